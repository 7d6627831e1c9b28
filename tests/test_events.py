"""Domain events through the outbox, and scheduled jobs that exactly one worker runs."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from litestar.testing import TestClient

from newsplus import Event, Job, db, publish
from newsplus.clock import frozen_clock
from newsplus.districts.scope import all_districts, district_scope
from newsplus.events.outbox import UnknownEvent
from newsplus.events.tables import Delivery, EventRecord, JobRun
from newsplus.testing import bearer, call, login_staff, make_app, running
from notes_plugin import plugin as notes
from notes_plugin.tables import Note

TWO_DISTRICTS = {
    "site": {"district": "changping", "district_name": "昌平区"},
    "districts": [{"slug": "yanqing", "name": "延庆区", "hosts": ["yanqing.example"]}],
}


@pytest.fixture(autouse=True)
def fresh_recorder():
    notes.recorder.__init__()
    yield notes.recorder


def test_register_events_names_each_event_type(newsplus_app) -> None:
    app = newsplus_app([notes])
    types = app.state.newsplus.event_types
    assert types["notes.note_written"] is notes.NoteWritten
    assert set(types) == {
        "notes.note_written",
        "notifications.notification_created",
        "notifications.broadcast_created",
        "content.article_submitted",
        "content.article_rejected",
        "content.article_published",
        "content.article_unpublished",
        "content.comment_posted",
    }


async def test_an_event_committed_with_its_change_reaches_handle_event(newsplus_app) -> None:
    async with running(newsplus_app([notes])) as newsplus:
        with district_scope(newsplus.districts.primary):
            note_id = await notes.add_note(newsplus, "路灯坏了", None)
            assert notes.recorder.events == []  # nothing is delivered inside the request
            assert await newsplus.dispatcher.deliver_pending() == 1
        [event] = notes.recorder.events
        assert (event.note_id, event.body) == (note_id, "路灯坏了")
        assert len(event.key) == 32 and event.occurred_at is not None
        with district_scope(newsplus.districts.primary):
            assert await newsplus.dispatcher.deliver_pending() == 0  # delivered once


async def test_an_event_in_a_rolled_back_transaction_is_never_delivered(newsplus_app) -> None:
    async with running(newsplus_app([notes])) as newsplus:
        with district_scope(newsplus.districts.primary):
            with pytest.raises(RuntimeError):
                async with db.transaction():
                    await Note.insert(Note(body="草稿", created_at=datetime.now(UTC)))
                    await publish(newsplus, notes.NoteWritten(note_id=1, body="草稿"))
                    raise RuntimeError("the change failed")
            assert await EventRecord.count() == 0 and await Note.count() == 0
            assert await newsplus.dispatcher.deliver_pending() == 0
    assert notes.recorder.events == []


async def test_a_committed_event_survives_a_stop_before_delivery(newsplus_database_url: str) -> None:
    async with running(make_app([notes], database_url=newsplus_database_url)) as newsplus:
        with district_scope(newsplus.districts.primary):
            await notes.add_note(newsplus, "停机前写的", None)
    assert notes.recorder.events == []  # the process stopped before delivering
    async with running(make_app([notes], database_url=newsplus_database_url)) as restarted:
        assert await restarted.dispatcher.deliver_pending() == 1
    assert [e.body for e in notes.recorder.events] == ["停机前写的"]


async def test_failed_deliveries_are_retried_with_back_off_then_marked_failed(newsplus_app) -> None:
    app = newsplus_app([notes], settings={"plugins": {"events": {"max_attempts": 3}}})
    start = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
    with frozen_clock(start) as clock:
        async with running(app) as newsplus:
            with district_scope(newsplus.districts.primary):
                notes.recorder.fail_next = 1
                await notes.add_note(newsplus, "第一次失败", None)
                assert await newsplus.dispatcher.deliver_pending() == 0
                [row] = await Delivery.select().where(Delivery.target == "plugin:notes")
                assert (row["status"], row["attempts"]) == ("pending", 1)
                assert row["next_attempt_at"] == start + timedelta(seconds=5)
                assert "search index unavailable" in row["last_error"]
                assert await newsplus.dispatcher.deliver_pending() == 0  # not due yet
                clock.advance(seconds=5)
                assert await newsplus.dispatcher.deliver_pending() == 1
                assert [e.body for e in notes.recorder.events] == ["第一次失败"]

                notes.recorder.fail_next = 3
                await notes.add_note(newsplus, "一直失败", None)
                for wait in (0, 5, 10):
                    clock.advance(seconds=wait)
                    await newsplus.dispatcher.deliver_pending()
                [failed] = await Delivery.select().where(Delivery.status == "failed")
                assert failed["attempts"] == 3
                # A person retries it from the desk once the cause is fixed.
                await newsplus.dispatcher.retry(failed["id"])
                assert await newsplus.dispatcher.deliver_pending() == 1
    assert [e.body for e in notes.recorder.events] == ["第一次失败", "一直失败"]


def test_failed_deliveries_are_visible_and_retryable_in_the_desk(newsplus_app) -> None:
    app = newsplus_app([notes], settings={"plugins": {"events": {"max_attempts": 1}}})
    with TestClient(app) as client:
        admin = login_staff(client, "admin")
        notes.recorder.fail_next = 1
        client.post("/api/v1/notes", json={"body": "投递失败"}, headers=bearer(admin))
        call(client, app.state.newsplus.dispatcher.deliver_pending)
        failed = client.get("/api/v1/events/deliveries", params={"status": "failed"}, headers=bearer(admin)).json()
        assert [(d["event.name"], d["target"], d["attempts"]) for d in failed] == [
            ("notes.note_written", "plugin:notes", 1)
        ]
        assert "search index unavailable" in failed[0]["last_error"]
        client.cookies["newsplus_session"] = admin
        page = client.get("/desk/events?status=failed", headers={"accept": "text/html"}).text
        assert "notes.note_written" in page and "search index unavailable" in page and "重试" in page
        retried = client.post(f"/api/v1/events/deliveries/{failed[0]['id']}/retry", headers=bearer(admin))
        assert retried.status_code == 204
        assert call(client, app.state.newsplus.dispatcher.deliver_pending) == 1
        assert client.get("/api/v1/events/deliveries", params={"status": "failed"}, headers=bearer(admin)).json() == []
        editor = login_staff(client, "editor", roles=("editor",))
        assert client.get("/api/v1/events/deliveries", headers=bearer(editor)).status_code == 403


async def test_a_worker_asks_who_subscribes_at_most_once_a_second(newsplus_app, monkeypatch) -> None:
    """Publishing runs inside the publisher's transaction, so the subscribers (webhooks) are not asked on
    every event: a new subscriber on another worker is reached within a second, on this worker at once."""
    from newsplus.events import dispatcher as dispatching

    async with running(newsplus_app([notes])) as newsplus:
        asked = []

        async def probes(name: str) -> list[str]:
            asked.append(name)
            return [f"probe:{len(asked)}"]

        newsplus.dispatcher.add_target_kind("probe", lambda *_: asyncio.sleep(0), probes)
        with district_scope(newsplus.districts.primary):
            first = await newsplus.dispatcher.targets_for("notes.note_written")
            assert await newsplus.dispatcher.targets_for("notes.note_written") == first
            assert first[-1] == "probe:1" and len(asked) == 1

            newsplus.dispatcher.forget_targets()  # a webhook was added here
            assert (await newsplus.dispatcher.targets_for("notes.note_written"))[-1] == "probe:2"

            monkeypatch.setattr(dispatching, "TARGETS_SECONDS", 0.0)  # time enough has passed
            assert (await newsplus.dispatcher.targets_for("notes.note_written"))[-1] == "probe:3"


async def test_publishing_an_unregistered_event_is_refused(newsplus_app) -> None:
    class Stray(Event, frozen=True, tag="notes.stray_happened"):
        pass

    class Untagged(Event, frozen=True):
        pass

    async with running(newsplus_app([notes])) as newsplus:
        with district_scope(newsplus.districts.primary):
            with pytest.raises(UnknownEvent, match="not registered"):
                await publish(newsplus, Stray())
            with pytest.raises(UnknownEvent, match="needs a tag"):
                await publish(newsplus, Untagged())


async def test_handle_event_runs_in_the_events_own_district(newsplus_app) -> None:
    seen: list[str] = []

    async def record(target, event, newsplus):
        from newsplus import current_district

        seen.append(current_district().slug)

    async def subscribed(name: str) -> list[str]:
        return ["probe:1"]

    async with running(newsplus_app([notes], settings=TWO_DISTRICTS)) as newsplus:
        newsplus.dispatcher.add_target_kind("probe", record, subscribed)
        for slug in ("yanqing", "changping"):
            with district_scope(newsplus.districts.by_slug[slug]):
                await notes.add_note(newsplus, slug, None)
        assert await newsplus.dispatcher.deliver_pending() == 4
    assert seen == ["yanqing", "changping"]


# -- jobs ---------------------------------------------------------------------------------------------------


async def test_register_jobs_runs_each_slot_once_in_every_district(newsplus_app) -> None:
    moment = datetime(2026, 11, 26, 0, 0, 30, tzinfo=UTC)
    with frozen_clock(moment) as clock:
        async with running(newsplus_app([notes], settings=TWO_DISTRICTS)) as newsplus:
            with district_scope(newsplus.districts.by_slug["yanqing"]):
                await notes.add_note(newsplus, "延庆", None)
            assert "notes.count" in await newsplus.scheduler.run_due()
            assert sorted(notes.recorder.job_runs) == [("changping", "0"), ("yanqing", "1")]
            assert "notes.count" not in await newsplus.scheduler.run_due()  # the same minute: already run
            clock.advance(minutes=1)
            assert "notes.count" in await newsplus.scheduler.run_due()
            assert len(notes.recorder.job_runs) == 4


async def test_several_workers_run_a_due_slot_exactly_once(newsplus_app) -> None:
    from newsplus.events.jobs import Scheduler

    runs: list[int] = []

    async def tick(newsplus) -> None:
        runs.append(1)
        await asyncio.sleep(0.01)

    job = Job(name="test.tick", run=tick, every=timedelta(seconds=30), per_district=False)
    with frozen_clock(datetime(2026, 11, 26, 0, 0, 45, tzinfo=UTC)):
        async with running(newsplus_app()) as newsplus:
            workers = [Scheduler(newsplus, [job]) for _ in range(8)]
            results = await asyncio.gather(*(w.run_due() for w in workers))
            assert sum(len(r) for r in results) == 1 and runs == [1]
            with all_districts():
                assert await JobRun.count().where(JobRun.job == "test.tick") == 1


async def test_cron_jobs_follow_the_sites_time_zone_and_at_jobs_run_once(newsplus_app) -> None:
    ran: list[str] = []

    async def morning(newsplus) -> None:
        ran.append("morning")

    async def once(newsplus) -> None:
        ran.append("once")

    jobs = [
        Job(name="test.morning", run=morning, cron="0 8 * * 1", per_district=False),  # Mondays 08:00 Beijing
        Job(name="test.once", run=once, at=datetime(2026, 11, 30, 0, 5, tzinfo=UTC), per_district=False),
    ]
    from newsplus.events.jobs import Scheduler

    with frozen_clock(datetime(2026, 11, 29, 23, 59, tzinfo=UTC)) as clock:  # Monday 07:59 in Beijing
        async with running(newsplus_app()) as newsplus:
            scheduler = Scheduler(newsplus, jobs)
            assert await scheduler.run_due() == []
            clock.advance(minutes=1)  # 08:00 Beijing
            assert await scheduler.run_due() == ["test.morning"]
            clock.advance(minutes=5)
            assert await scheduler.run_due() == ["test.once"]
            clock.advance(days=1)
            assert await scheduler.run_due() == []  # Tuesday, and the one-off is done
            clock.set(datetime(2026, 12, 7, 3, 0, tzinfo=UTC))  # Monday 11:00: 08:00 is past the grace hour
            assert await scheduler.run_due() == []
    assert ran == ["morning", "once"]


def test_a_job_needs_exactly_one_valid_schedule() -> None:
    async def nothing(newsplus) -> None:
        return None

    with pytest.raises(ValueError, match="exactly one of every=, cron= or at="):
        Job(name="x", run=nothing)
    with pytest.raises(ValueError, match="invalid cron expression"):
        Job(name="x", run=nothing, cron="every monday")


async def test_a_failing_job_is_recorded_and_the_next_slot_still_runs(newsplus_app) -> None:
    from newsplus.events.jobs import Scheduler

    attempts: list[int] = []

    async def flaky(newsplus) -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise ValueError("feed source down")

    job = Job(name="test.flaky", run=flaky, every=timedelta(minutes=5), per_district=False)
    with frozen_clock(datetime(2026, 11, 26, 1, 0, tzinfo=UTC)) as clock:
        async with running(newsplus_app()) as newsplus:
            scheduler = Scheduler(newsplus, [job])
            await scheduler.run_due()
            last = (await scheduler.last_runs())["test.flaky"]
            assert "feed source down" in last["error"] and last["finished_at"] is not None
            clock.advance(minutes=5)
            await scheduler.run_due()
            assert (await scheduler.last_runs())["test.flaky"]["error"] == ""


def test_newsplus_jobs_lists_jobs_and_runs_one_by_hand(tmp_path, monkeypatch) -> None:
    from click.testing import CliRunner

    from newsplus.events.commands import jobs

    config = tmp_path / "newsplus.toml"
    config.write_text(
        '[site]\nsecret = "s"\n[database]\nurl = "sqlite:///db.sqlite3"\nauto_migrate = true\n'
        '[plugins]\nmodules = ["notes_plugin.plugin"]\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("NEWSPLUS_CONFIG", str(config))

    async def migrate() -> None:
        from newsplus.runtime import Newsplus
        from newsplus.settings import load_settings

        newsplus = Newsplus(load_settings(config))
        newsplus.serving = False  # migrate only: no scheduler tick may run the job first
        await newsplus.start()
        await newsplus.stop()

    asyncio.run(migrate())
    listed = CliRunner().invoke(jobs, [])
    assert listed.exit_code == 0, listed.output
    assert "notes.count" in listed.output and "every 60 s" in listed.output and "never" in listed.output
    ran = CliRunner().invoke(jobs, ["run", "notes.count"])
    assert ran.exit_code == 0 and "Ran notes.count." in ran.output
    assert notes.recorder.job_runs == [("default", "0")]
    assert "ok" in CliRunner().invoke(jobs, []).output
    unknown = CliRunner().invoke(jobs, ["run", "nosuch"])
    assert unknown.exit_code != 0 and "unknown job 'nosuch'" in unknown.output


def test_a_committed_event_survives_kill_9_before_delivery(newsplus_database_url: str) -> None:
    import os
    import signal
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent(
        f"""
        import asyncio, sys
        sys.path.insert(0, "tests")
        from newsplus.testing import make_app, running
        from newsplus.districts.scope import district_scope
        from notes_plugin import plugin as notes

        async def main():
            async with running(make_app([notes], database_url={newsplus_database_url!r})) as newsplus:
                with district_scope(newsplus.districts.primary):
                    await notes.add_note(newsplus, "断电前写的", None)
                print("committed", flush=True)
                await asyncio.sleep(60)  # killed here, before anything is delivered

        asyncio.run(main())
        """
    )
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert process.stdout.readline().decode().strip() == "committed", process.stderr.read().decode()
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()

    async def restart() -> int:
        async with running(make_app([notes], database_url=newsplus_database_url)) as newsplus:
            return await newsplus.dispatcher.deliver_pending()

    assert asyncio.run(restart()) == 1
    assert [e.body for e in notes.recorder.events] == ["断电前写的"]


async def test_two_workers_with_short_claims_never_run_a_delivery_twice(newsplus_app) -> None:
    from newsplus.events.dispatcher import Dispatcher

    async with running(newsplus_app([notes])) as newsplus:
        with district_scope(newsplus.districts.primary):
            for n in range(4):
                await notes.add_note(newsplus, f"第{n}条", None)
        notes.recorder.delay = 0.1  # both workers are busy at once, and each batch nears its claim
        workers = [Dispatcher(newsplus, claim_seconds=2) for _ in range(2)]
        await asyncio.gather(*(w.deliver_pending() for w in workers))
        await asyncio.gather(*(w.deliver_pending() for w in workers))
    bodies = sorted(e.body for e in notes.recorder.events)
    assert bodies == ["第0条", "第1条", "第2条", "第3条"]


async def test_one_districts_failing_job_does_not_stop_the_others(newsplus_app) -> None:
    from newsplus import current_district
    from newsplus.events.jobs import Scheduler

    reached: list[str] = []

    async def picky(newsplus) -> None:
        slug = current_district().slug
        if slug == "changping":
            raise RuntimeError("昌平的数据源不可用")
        reached.append(slug)

    job = Job(name="test.picky", run=picky, every=timedelta(minutes=1))
    with frozen_clock(datetime(2026, 11, 26, 2, 0, tzinfo=UTC)):
        async with running(newsplus_app(settings=TWO_DISTRICTS)) as newsplus:
            scheduler = Scheduler(newsplus, [job])
            await scheduler.run_due()
            error = (await scheduler.last_runs())["test.picky"]["error"]
    assert reached == ["yanqing"] and "[changping]" in error and "昌平的数据源不可用" in error


async def test_old_delivered_events_and_job_runs_are_pruned(newsplus_app) -> None:
    from newsplus.events.jobs import prune

    start = datetime(2026, 10, 1, tzinfo=UTC)
    with frozen_clock(start) as clock:
        async with running(newsplus_app([notes])) as newsplus:
            with district_scope(newsplus.districts.primary):
                await notes.add_note(newsplus, "旧的", None)
                await newsplus.dispatcher.deliver_pending()
                notes.recorder.fail_next = 10
                await notes.add_note(newsplus, "一直投不出去", None)
                await newsplus.dispatcher.deliver_pending()
                await newsplus.scheduler.run_now("notes.count")
                clock.advance(days=31)
                await prune(newsplus)
                assert await EventRecord.count() == 1  # the one still being retried is kept
                assert await Delivery.count() == 1
            with all_districts():
                assert await JobRun.count() == 0


async def test_a_background_loop_finishes_its_round_before_it_stops_and_a_stuck_one_is_cancelled() -> None:
    from newsplus.events.background import Background

    rounds: list[str] = []
    worker = Background()

    async def loop() -> None:
        while not worker.stopping.is_set():
            rounds.append("started")
            await asyncio.sleep(0.2)  # a round of work (a database transaction) in progress
            rounds.append("finished")

    worker.start(loop(), name="test-loop")
    await asyncio.sleep(0.05)
    await worker.stop()
    assert rounds == ["started", "finished"]  # stopped between rounds, never in the middle of one

    stuck = Background()

    async def never_looks() -> None:
        await asyncio.sleep(60)

    stuck.start(never_looks(), name="stuck")
    started = asyncio.get_running_loop().time()
    await stuck.stop(grace=0.1)
    assert asyncio.get_running_loop().time() - started < 5


async def test_deliveries_are_claimed_oldest_due_first(newsplus_app) -> None:
    start = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
    with frozen_clock(start) as clock:
        async with running(newsplus_app([notes])) as newsplus:
            with district_scope(newsplus.districts.primary):
                notes.recorder.fail_next = 1
                await notes.add_note(newsplus, "先写，失败一次", None)
                assert await newsplus.dispatcher.deliver_pending() == 0  # due again five seconds on
                clock.advance(seconds=1)
                for n in range(3):
                    await notes.add_note(newsplus, f"后写{n}", None)
                clock.advance(seconds=10)
                assert await newsplus.dispatcher.deliver_pending(limit=3) == 3
                assert [e.body for e in notes.recorder.events] == ["后写0", "后写1", "后写2"]
                assert await newsplus.dispatcher.deliver_pending(limit=3) == 1
    assert notes.recorder.events[-1].body == "先写，失败一次"


async def test_a_claim_reads_its_batch_not_the_whole_backlog(tmp_path) -> None:
    from newsplus.events.dispatcher import CLAIM
    from newsplus.testing import query_plans

    moment = "2026-11-26 00:00:00+00:00"
    (plan,) = await query_plans(
        tmp_path, lambda: Delivery.raw(CLAIM["sqlite"], moment, "t", moment, moment, 10, moment, moment)
    )
    # The batch comes in the index's order (no sort of every due row), and the update looks its ids up.
    assert "USING INDEX events_delivery_status_next_attempt_at_idx" in plan
    assert "TEMP B-TREE" not in plan
    assert plan.startswith("SEARCH events_delivery USING INTEGER PRIMARY KEY")
