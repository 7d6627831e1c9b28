"""The module catalogue: 17 built-in modules, a county's own module from its own package, a district's
overrides and disabled modules, eligibility checks and related reading."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from farm_services import plugin as farm
from litestar.testing import TestClient

from newsplus import ArticleIn, SettingsError, frozen_clock
from newsplus.testing import HTML, bearer, call, login_resident, login_staff, make_app, page_text
from newsplus.users.accounts import create_department
from newsplus_services.modules import GROUPS, builtin_modules

EN = {"Accept-Language": "en"}
# Wednesday 2026-11-25, 09:30 in Beijing.
MORNING = datetime(2026, 11, 25, 1, 30, tzinfo=UTC)
NAMES = ["要结婚", "生小孩", "育儿托育", "上学", "就业创业", "社保", "看病就医", "公积金", "安居", "出行", "生活缴费"]
NAMES += ["户籍证照", "退休", "养老", "救助助残", "身后事", "本地生活"]


def test_the_17_built_in_modules_cover_the_taxonomy() -> None:
    modules = builtin_modules()
    assert [m.name for m in sorted(modules, key=lambda m: m.order)] == NAMES
    assert len({m.slug for m in modules}) == 17
    assert {m.group for m in modules} <= set(GROUPS)
    assert {"生", "老", "病", "走"} <= {m.group for m in modules}
    native = [m for m in modules if m.mode == "native"]
    assert all(m.guide and m.guide.materials and m.guide.steps for m in native if m.slug != "local-life")
    assert all(m.url for m in modules if m.mode != "native")
    assert sum(bool(m.form) for m in modules) >= 8 and sum(bool(m.resources) for m in modules) >= 3


def test_the_directory_groups_and_searches_the_modules(newsplus_app) -> None:
    with TestClient(newsplus_app(["services"])) as client:
        groups = client.get("/api/v1/services/modules").json()
        assert [g["group"] for g in groups] == [g for g in GROUPS if any(x["group"] == g for x in groups)]
        assert sum(len(g["modules"]) for g in groups) == 17
        found = client.get("/api/v1/services/modules", params={"q": "结婚"}).json()
        assert [m["name"] for g in found for m in g["modules"]] == ["要结婚"]
        sick = client.get("/api/v1/services/modules", params={"group": "病"}).json()
        assert {m["name"] for g in sick for m in g["modules"]} == {"看病就医", "救助助残"}


def test_services_register_modules_lets_a_county_package_add_its_own_module(newsplus_app) -> None:
    with frozen_clock(MORNING), TestClient(newsplus_app(["services", farm])) as client:
        listed = client.get("/api/v1/services/modules", params={"q": "农机"}).json()
        assert [m["slug"] for g in listed for m in g["modules"]] == ["farm-machinery"]
        page = client.get("/services/farm-machinery", headers=HTML)
        assert page.status_code == 200 and "农机购置补贴" in page_text(page.text)
        assert "/services/farm-machinery/apply" in page.text and "/services/farm-machinery/book" in page.text

        bureau = call(client, create_department, "县农业农村局", "bureau")
        handler = bearer(login_staff(client, "farm", roles=("service_handler",), department=bureau))
        resident = bearer(login_resident(client))
        answers = {"owner": "张三", "id_number": "11010519491231002X", "machine": "拖拉机", "price": "128000"}
        made = client.post(
            "/api/v1/services/modules/farm-machinery/applications", json={"answers": answers}, headers=resident
        )
        assert made.status_code == 201, made.text
        assert made.json()["number"].startswith("20261125")
        queue = client.get("/api/v1/services/queue", headers=handler).json()["items"]
        assert [a["number"] for a in queue] == [made.json()["number"]]
        detail = client.get(f"/api/v1/services/applications/{made.json()['token']}", headers=handler).json()
        assert detail["answers"] == {**answers, "price": 128000}

        slots = client.get(
            "/api/v1/services/modules/farm-machinery/resources/hall/slots", params={"day": "2026-11-28"}
        ).json()
        assert [s["left"] for s in slots] == [10, 10]  # 09:00 and 09:30 on a Saturday: it opens every day
        booked = client.post(
            "/api/v1/services/modules/farm-machinery/resources/hall/bookings",
            json={"starts_at": slots[1]["starts_at"]},
            headers=resident,
        )
        assert booked.status_code == 201, booked.text
        assert booked.json()["resource_name"] == "农机站核验" and len(booked.json()["code"]) == 8


def test_a_district_renames_disables_and_limits_modules_in_its_settings(newsplus_app) -> None:
    settings = {
        "plugins": {
            "services": {
                "disabled": ["funeral"],
                "overrides": {"marriage": {"name": "结婚登记", "department": "区民政局婚姻登记处"}},
            }
        }
    }
    with TestClient(newsplus_app(["services"], settings=settings)) as client:
        names = [m["name"] for g in client.get("/api/v1/services/modules").json() for m in g["modules"]]
        assert "结婚登记" in names and "要结婚" not in names and "身后事" not in names and len(names) == 16
        refused = client.get("/api/v1/services/modules/funeral", headers=EN)
        assert refused.status_code == 404 and refused.json()["detail"] == "This service is not offered here"
        assert client.get("/api/v1/services/modules/funeral").json()["detail"] == "本地暂未开通该服务"
        resident = bearer(login_resident(client))
        form = client.post(
            "/api/v1/services/modules/funeral/applications", json={"answers": {}}, headers={**resident, **EN}
        )
        assert form.status_code == 404
        assert client.get("/services/funeral", headers=HTML).status_code == 404

    only = {"plugins": {"services": {"enabled": ["medical", "school"]}}}
    with TestClient(newsplus_app(["services"], settings=only)) as client:
        names = [m["name"] for g in client.get("/api/v1/services/modules").json() for m in g["modules"]]
        assert sorted(names) == sorted(["看病就医", "上学"])


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ({"marriage": {"colour": "red"}}, "plugins.services.overrides.marriage"),
        ({"marriage": {"mode": "fax"}}, "plugins.services.overrides.marriage"),
        ({"wedding": {"name": "x"}}, "plugins.services.overrides.wedding: no such service module"),
    ],
)
def test_a_bad_override_stops_start_up_with_a_sentence_naming_it(override, named) -> None:
    with pytest.raises(SettingsError, match=named.replace(".", r"\.")):
        make_app(["services"], settings={"plugins": {"services": {"overrides": override}}})


def test_eligibility_gives_the_reason_for_each_answer_that_does_not_qualify(newsplus_app) -> None:
    with TestClient(newsplus_app(["services"])) as client:
        module = client.get("/api/v1/services/modules/marriage").json()
        questions = module["eligibility"]
        yes = {q["name"]: q["accept"][0] for q in questions}
        assert client.post("/api/v1/services/modules/marriage/eligibility", json=yes).json() == {
            "eligible": True,
            "reasons": [],
            "unanswered": [],
        }
        first = questions[0]
        no = next(c for c in first["choices"] if c not in first["accept"])
        answer = client.post("/api/v1/services/modules/marriage/eligibility", json={**yes, first["name"]: no}).json()
        assert answer["eligible"] is False and answer["reasons"] == [first["reason"]]
        partial = client.post("/api/v1/services/modules/marriage/eligibility", json={}).json()
        assert partial["eligible"] is False and set(partial["unanswered"]) == set(yes)
        none = client.post("/api/v1/services/modules/medical/eligibility", json={}, headers=EN)
        assert none.status_code == 400 and none.json()["detail"] == "This service has no eligibility check"


def test_a_module_shows_published_articles_with_its_tags_as_related_reading(newsplus_app) -> None:
    from newsplus import create_article, now
    from newsplus.content.cache import changes
    from newsplus.content.channels import save_channel
    from newsplus.content.schemas import ChannelIn
    from newsplus.content.tables import Article
    from newsplus.users.access import CurrentUser
    from newsplus.users.accounts import create_staff

    with TestClient(newsplus_app(["services"])) as client:
        newsplus = client.app.state.newsplus
        tag = next(m for m in builtin_modules() if m.slug == "marriage").tags[0]

        async def publish() -> None:
            await save_channel(newsplus, ChannelIn(slug="news", name="要闻"))
            editor = await create_staff(newsplus, "editor", "correct-horse-battery", roles=("editor",))
            author = CurrentUser(id=editor, kind="staff", display_name="编辑")
            for title, tags in (("婚姻登记处周六加班", [tag]), ("草稿不出现", [tag]), ("无关新闻", ["交通"])):
                await create_article(newsplus, author, ArticleIn(title=title, channel="news", tags=tags))
            async with changes(newsplus):
                await Article.update({Article.status: "published", Article.published_at: now()}).where(
                    Article.title.is_in(["婚姻登记处周六加班", "无关新闻"])
                )

        call(client, publish)
        related = client.get("/api/v1/services/modules/marriage").json()["related"]
        assert [a["title"] for a in related] == ["婚姻登记处周六加班"]
        assert "婚姻登记处周六加班" in page_text(client.get("/services/marriage", headers=HTML).text)
