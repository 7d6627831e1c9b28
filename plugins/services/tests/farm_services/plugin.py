"""农机购置补贴: a farm-machinery subsidy a rural county offers, with an online form and a bookable hall."""

from __future__ import annotations

from newsplus import FormField, hookimpl
from newsplus_services import Faq, Guide, Resource, ServiceModule

name = "farm_services"


@hookimpl
def services_register_modules(newsplus) -> list[ServiceModule]:
    """The county's subsidy module."""
    return [
        ServiceModule(
            slug="farm-machinery",
            name="农机购置补贴",
            group="用",
            summary="购买农机具后申请补贴，预约农机站现场核验",
            guide=Guide(conditions=("本县从事农业生产的个人或合作社",), materials=("购机发票", "身份证")),
            faqs=(Faq(question="补贴多久到账？", answer="审核通过后一般 30 个工作日内发放。"),),
            form=(
                FormField(name="owner", label="购机人", required=True),
                FormField(name="id_number", label="身份证号", type="id_number", required=True),
                FormField(name="machine", label="机具类型", type="choice", choices=("拖拉机", "收割机"), required=True),
                FormField(name="price", label="购机价格（元）", type="number", min=0, required=True),
            ),
            department="县农业农村局",
            resources=(
                Resource(
                    slug="hall",
                    name="农机站核验",
                    weekdays=(1, 2, 3, 4, 5, 6, 7),
                    opens="09:00",
                    closes="10:00",
                    slot_minutes=30,
                    capacity=10,
                ),
            ),
            keywords=("农机", "补贴"),
        )
    ]
