"""回天专项: a service module for the 回龙观 and 天通苑 area (回天地区), added through ``services_register_modules``,
and its tile on the home page. Enabled by ``[plugins] modules`` in examples/changping/newsplus.toml."""

from __future__ import annotations

from newsplus import FormField, HomeTile, hookimpl
from newsplus_services import Faq, Guide, Resource, ServiceModule

name = "changping_huitian"

STREETS = ("回龙观街道", "天通苑北街道", "天通苑南街道", "霍营街道", "史各庄街道")

HUITIAN = ServiceModule(
    slug="huitian",
    name="回天专项",
    group="住",
    icon="home",
    summary="回龙观、天通苑地区民生服务：便民服务点预约、民生建议直达",
    guide=Guide(
        conditions=("居住或工作在回龙观、天通苑地区的居民",),
        materials=("本人身份证", "涉及房屋事项的，带上房屋相关材料"),
        steps=("在线预约便民服务点，或提交民生建议", "按预约时间到服务点办理", "建议由相关部门在十五个工作日内回复"),
        fees="免费",
        place="回天地区各便民服务点（以街道公示为准）",
        hours="工作日 9:00–17:00",
        phone="12345",
        time_limit="民生建议十五个工作日内回复",
    ),
    faqs=(
        Faq(question="民生建议会公开吗？", answer="不会公开您的姓名和电话；汇总后的办理情况在「回天之治」专题中公布。"),
        Faq(question="便民服务点能办哪些事？", answer="社保卡、居住证、老年卡等常见事项，具体以服务点公示为准。"),
    ),
    form_title="提交民生建议",
    form=(
        FormField(name="street", label="所在街道", type="choice", choices=STREETS, required=True),
        FormField(name="topic", label="建议类别", type="choice", choices=("交通出行", "教育", "医疗", "养老", "其他")),
        FormField(name="suggestion", label="建议内容", type="textarea", required=True, max_length=2000),
        FormField(name="phone", label="联系电话", type="phone", required=True),
    ),
    department="区公众服务统一办理平台",
    resources=(
        Resource(
            slug="service-point",
            name="回天便民服务点",
            place="回龙观东大街便民服务点",
            weekdays=(1, 2, 3, 4, 5, 6),
            opens="09:00",
            closes="17:00",
            slot_minutes=30,
            capacity=8,
        ),
    ),
    tags=("回天之治",),
    keywords=("回天", "回龙观", "天通苑"),
    order=5,
)


@hookimpl
def services_register_modules(newsplus) -> list[ServiceModule]:
    """The 回天 special module."""
    return [HUITIAN]


@hookimpl
def home_tiles(request, user) -> list[HomeTile]:
    """回天专项 first on the home page."""
    return [HomeTile(title="回天专项", url="/services/huitian", icon="home", summary="回龙观·天通苑", order=5)]
