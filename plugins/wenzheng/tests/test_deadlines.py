"""Deadlines counted in working days, reminders before them, escalation after, unrated replies closed."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar.testing import TestClient
from test_story import District, _deliver_all, _titles, _titles_of_staff

from newsplus import frozen_clock
from newsplus.testing import call
from newsplus_wenzheng.calendar import WorkingCalendar
from newsplus_wenzheng.settings import WenzhengSettings

HOLIDAYS = {
    "plugins": {
        "wenzheng": {
            # 2026 National Day: 1–7 October off, Saturday 10 October a working day (调休).
            "holidays": ["2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07"],
            "workdays": ["2026-10-10"],
        }
    }
}


def beijing(day: str, clock: str = "09:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}:00+08:00").astimezone(UTC)


def test_working_days_skip_weekends_and_holidays_and_count_working_weekends() -> None:
    calendar = WorkingCalendar(
        WenzhengSettings(holidays=tuple(HOLIDAYS["plugins"]["wenzheng"]["holidays"]), workdays=("2026-10-10",)),
        "Asia/Shanghai",
    )
    # Friday afternoon + 2 working days → Tuesday, close of business.
    assert calendar.deadline(beijing("2026-11-27", "16:00"), 2) == beijing("2026-12-01", "18:00")
    # Saturday + 1 → Monday.
    assert calendar.deadline(beijing("2026-11-28"), 1) == beijing("2026-11-30", "18:00")
    # Over the National Day holiday: Wednesday 30 September + 2 → Thursday 8 October, Friday 9 October.
    assert calendar.deadline(beijing("2026-09-30"), 1) == beijing("2026-10-08", "18:00")
    assert calendar.deadline(beijing("2026-09-30"), 2) == beijing("2026-10-09", "18:00")
    # The 调休 Saturday counts: + 3 → Saturday 10 October.
    assert calendar.deadline(beijing("2026-09-30"), 3) == beijing("2026-10-10", "18:00")
    assert not calendar.is_working_day(datetime(2026, 10, 1).date())
    assert calendar.is_working_day(datetime(2026, 10, 10).date())


def test_holidays_set_in_settings_move_the_deadlines_of_real_inquiries(newsplus_app) -> None:
    with (
        frozen_clock(beijing("2026-09-30", "10:00")),
        TestClient(newsplus_app(["wenzheng"], settings=HOLIDAYS)) as client,
    ):
        people = District(client)
        made = people.write()
        assert made["response_due_at"] == "2026-10-08T10:00:00Z"  # Thursday 8 October 18:00 Beijing
        people.act(people.dispatcher, made["token"], "accept")
        assert people.view(made["token"], people.dispatcher)["handle_due_at"] == "2026-10-09T10:00:00Z"


def test_a_complex_case_needs_its_own_deadline_from_the_dispatcher(newsplus_app) -> None:
    with frozen_clock(beijing("2026-11-25")), TestClient(newsplus_app(["wenzheng"])) as client:
        people = District(client)
        token = people.write(category="planning")["token"]
        refused = people.act(people.dispatcher, token, "accept")
        assert refused["status_code"] == 400 and refused["extra"]["field"] == "days"
        assert people.act(people.dispatcher, token, "accept", days=15)["status"] == "accepted"
        assert people.view(token, people.dispatcher)["handle_due_at"] == "2026-12-16T10:00:00Z"


def test_departments_are_reminded_before_the_deadline_and_supervisors_told_when_it_passes(newsplus_app) -> None:
    from newsplus.testing import login_staff

    with frozen_clock(beijing("2026-11-25")) as clock, TestClient(newsplus_app(["wenzheng"])) as client:
        people = District(client)
        login_staff(client, "supervisor", roles=("supervisor",))
        token = people.write()["token"]
        people.act(people.dispatcher, token, "accept")  # due Friday 27th, 18:00
        people.act(people.dispatcher, token, "dispatch", department=people.street)
        newsplus = client.app.state.newsplus

        def run() -> dict:
            return call(client, newsplus.scheduler.run_now, "wenzheng.deadlines")

        run()
        assert [s["action"] for s in people.view(token, people.dispatcher)["timeline"]][-1] == "dispatch"
        clock.set(beijing("2026-11-27", "15:00"))  # three hours before the deadline
        run()
        clock.advance(minutes=5)
        run()  # a second run reminds nobody twice
        clock.set(beijing("2026-11-27", "18:30"))
        run()
        actions = [s["action"] for s in call(client, _steps, token)]
        assert actions[-2:] == ["remind", "escalate"] and actions.count("remind") == 1
        signed = client.post(
            "/api/v1/auth/login/password", json={"username": "dispatcher", "password": "correct-horse-battery"}
        )  # two days on, the morning's staff session has ended
        dispatcher = {"Authorization": f"Bearer {signed.json()['token']}"}
        overdue = client.get("/api/v1/wenzheng/queue?overdue=true", headers=dispatcher).json()["items"]
        assert [i["token"] for i in overdue] == [token]
        call(client, _deliver_all, client)
        assert "催办：小区垃圾堆积什么时候清运？" in call(client, _titles_of_staff, "liaison")
        assert "督办：小区垃圾堆积什么时候清运？" in call(client, _titles_of_staff, "supervisor")


def test_a_reply_nobody_rates_closes_itself_after_the_rating_days(newsplus_app) -> None:
    with frozen_clock(beijing("2026-11-25")) as clock, TestClient(newsplus_app(["wenzheng"])) as client:
        people = District(client)
        token = people.write()["token"]
        people.act(people.dispatcher, token, "accept")
        people.act(people.dispatcher, token, "dispatch", department=people.street)
        people.act(people.liaison, token, "sign")
        people.act(people.liaison, token, "reply", note="已清运")
        clock.advance(days=8)
        call(client, client.app.state.newsplus.scheduler.run_now, "wenzheng.deadlines")
        seen = people.view(token, people.resident)
        assert seen["status"] == "closed" and seen["timeline"][-1]["action"] == "close"
        call(client, _deliver_all, client)
        assert "您的问政「小区垃圾堆积什么时候清运？」已办结" in call(client, _titles, "13800138000")


def test_duplicates_are_merged_into_the_first(newsplus_app) -> None:
    with TestClient(newsplus_app(["wenzheng"])) as client:
        people = District(client)
        first = people.write()["token"]
        second = people.write(title="垃圾又堆起来了")["token"]
        merged = people.act(people.dispatcher, second, "merge", into=first)
        assert merged["status"] == "merged"
        assert people.act(people.dispatcher, second, "merge", into=second)["status_code"] == 400
        assert people.act(people.dispatcher, second, "merge", into=first)["status_code"] == 409  # already merged
        assert people.view(second, people.resident)["timeline"][-1]["action"] == "merge"


def test_watch_words_flag_an_inquiry_and_alert_the_dispatchers(newsplus_app) -> None:
    settings = {"plugins": {"wenzheng": {"watch_words": ["集体上访", "媒体曝光"]}}}
    with TestClient(newsplus_app(["wenzheng"], settings=settings)) as client:
        people = District(client)
        token = people.write(body="再不处理我们就要集体上访，找媒体曝光。")["token"]
        assert people.view(token, people.dispatcher)["flagged"] == "集体上访,媒体曝光"
        call(client, _deliver_all, client)
        assert "舆情预警（集体上访,媒体曝光）：小区垃圾堆积什么时候清运？" in call(
            client, _titles_of_staff, "dispatcher"
        )


def test_a_deadline_can_be_set_again_only_while_the_case_is_open(newsplus_app) -> None:
    with frozen_clock(beijing("2026-11-25")), TestClient(newsplus_app(["wenzheng"])) as client:
        people = District(client)
        token = people.write()["token"]
        people.act(people.dispatcher, token, "accept")
        assert people.act(people.dispatcher, token, "deadline", days=5)["status"] == "accepted"
        assert people.view(token, people.dispatcher)["handle_due_at"] == "2026-12-02T10:00:00Z"
        assert people.act(people.dispatcher, token, "deadline", days=0)["status_code"] == 400


async def _steps(token: str) -> list[dict]:
    from newsplus_wenzheng.tables import Inquiry, Step

    inquiry = await Inquiry.select(Inquiry.id).where(Inquiry.token == token).first()
    return await Step.select(Step.action).where(Step.inquiry == inquiry["id"]).order_by(Step.id)


def test_supervisors_see_escalated_inquiries_in_the_console(newsplus_app) -> None:
    from newsplus.testing import login_staff

    with frozen_clock(beijing("2026-11-25")) as clock, TestClient(newsplus_app(["wenzheng"])) as client:
        people = District(client)
        token = people.write()["token"]
        people.act(people.dispatcher, token, "accept")
        people.act(people.dispatcher, token, "dispatch", department=people.street)
        clock.set(beijing("2026-11-27", "18:30"))
        call(client, client.app.state.newsplus.scheduler.run_now, "wenzheng.deadlines")
        supervisor = login_staff(client, "supervisor", roles=("supervisor",))
        client.cookies.set("newsplus_session", supervisor)
        page = client.get("/desk/wenzheng?escalated=true", headers={"Accept": "text/html", "Accept-Language": "en"})
        assert page.status_code == 200 and "小区垃圾堆积什么时候清运？" in page.text
        assert 'class="tag active" href="/desk/wenzheng?escalated=true"' in page.text
        detail = client.get(f"/desk/wenzheng/{token}", headers={"Accept": "text/html", "Accept-Language": "en"})
        assert (
            "督办：已超过办理时限" in detail.text
            and "Sign for it" not in detail.text
            and "Dispatch</button>" not in detail.text
        )


def test_a_new_deadline_after_escalation_is_watched_again(newsplus_app) -> None:
    with frozen_clock(beijing("2026-11-25")) as clock, TestClient(newsplus_app(["wenzheng"])) as client:
        people = District(client)
        token = people.write()["token"]
        people.act(people.dispatcher, token, "accept")
        people.act(people.dispatcher, token, "dispatch", department=people.street)
        newsplus = client.app.state.newsplus
        clock.set(beijing("2026-11-27", "18:30"))
        call(client, newsplus.scheduler.run_now, "wenzheng.deadlines")
        signed = client.post(
            "/api/v1/auth/login/password", json={"username": "dispatcher", "password": "correct-horse-battery"}
        )
        dispatcher = {"Authorization": f"Bearer {signed.json()['token']}"}
        assert people.act(dispatcher, token, "deadline", days=2)["status"] == "dispatched"  # due Tuesday 1 Dec
        clock.set(beijing("2026-12-01", "18:30"))
        call(client, newsplus.scheduler.run_now, "wenzheng.deadlines")
        assert [s["action"] for s in call(client, _steps, token)].count("escalate") == 2


async def test_the_deadline_job_finds_overdue_inquiries_without_reading_every_past_deadline(tmp_path) -> None:
    """Every five minutes the job asks which open inquiries are overdue and not yet escalated: on SQLite that
    query reads the small index of such inquiries, not the (district, handle_due_at) index over every
    deadline that ever passed (with a million inquiries it took half a second, on a reader of the worker)."""
    from newsplus.testing import query_plans
    from newsplus_wenzheng.deadlines import overdue

    (plan,) = await query_plans(tmp_path, lambda: overdue(datetime.now(UTC)), plugins=["wenzheng"])
    assert "wenzheng_inquiry_unescalated_idx" in plan, plan


async def test_overdue_lists_walk_the_open_inquiries_not_every_past_deadline(tmp_path) -> None:
    """The console's and the queue's overdue lists (newest or oldest first, by id) read the partial index of
    open inquiries; with a million inquiries, the index of every past deadline and a sort took 0.6–1.7 s."""
    from newsplus.testing import query_plans
    from newsplus_wenzheng.deadlines import past_deadline
    from newsplus_wenzheng.tables import Inquiry

    def overdue_list(oldest_first: bool):
        query = Inquiry.select().where(past_deadline(datetime.now(UTC)))
        return query.order_by(Inquiry.id, ascending=oldest_first).limit(51)

    plans = await query_plans(tmp_path, lambda: overdue_list(True), lambda: overdue_list(False), plugins=["wenzheng"])
    for plan in plans:
        assert "wenzheng_inquiry_open_idx" in plan and "TEMP B-TREE" not in plan, plan
