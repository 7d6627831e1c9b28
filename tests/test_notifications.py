"""Notifications: inbox, broadcasts (fan-out on read), pop-ups, preferences, SSE, e-mail and webhooks."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx
import pytest
from aiosmtpd.controller import Controller
from litestar.testing import TestClient

from newsplus.clock import frozen_clock
from newsplus.districts.scope import district_scope
from newsplus.notifications import inbox
from newsplus.notifications.audience import Audience
from newsplus.notifications.tables import Broadcast, Notification, SendLog
from newsplus.testing import bearer, call, login_resident, login_staff, make_app, running, serving
from newsplus.users import accounts, auth
from newsplus.users.tables import User

EN = {"Accept-Language": "en"}
HTML = {"accept": "text/html"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def resident(newsplus, phone: str, street: int | None = None) -> int:
    """A resident account made directly (no SMS), optionally living on a street."""
    user = User(kind="resident", phone=phone, display_name=phone[-4:], street=street, created_at=datetime.now(UTC))
    await user.save()
    return user.id


async def current(newsplus, user_id: int):
    return await auth.load_user(newsplus, user_id)


# -- inbox ------------------------------------------------------------------------------------------------


async def test_notify_puts_a_message_in_one_inbox_and_marking_read_clears_the_badge(newsplus_app) -> None:
    async with running(newsplus_app()) as newsplus:
        with district_scope(newsplus.districts.primary):
            ming, hong = await resident(newsplus, "13800000001"), await resident(newsplus, "13800000002")
            first = await inbox.notify(newsplus, ming, "您的问政已受理", body="编号 2026-001", link="/wenzheng/1")
            await inbox.notify(newsplus, ming, "已派单至天通苑北街道")
            me = await current(newsplus, ming)
            page = await inbox.inbox(me)
            assert [i["title"] for i in page["items"]] == ["已派单至天通苑北街道", "您的问政已受理"]
            assert await inbox.unread_count(me) == 2
            assert await inbox.unread_count(await current(newsplus, hong)) == 0
            await inbox.mark_read(me, "notification", first)
            assert await inbox.unread_count(me) == 1
            from newsplus.errors import NotFound

            with pytest.raises(NotFound):  # another person's notification
                await inbox.mark_read(await current(newsplus, hong), "notification", first)


async def test_notify_many_tells_each_reader_once_in_batches_and_each_notice_is_delivered(
    newsplus_app, monkeypatch
) -> None:
    monkeypatch.setattr(inbox, "NOTIFY_BATCH", 2)  # six accounts named: three batches
    async with running(newsplus_app()) as newsplus:
        with district_scope(newsplus.districts.primary):
            readers = [await resident(newsplus, f"1380000010{n}") for n in range(6)]
            gone = readers.pop()
            await User.update({User.is_active: False}).where(User.id == gone)
            written = await inbox.notify_many(
                newsplus, [*readers, readers[0], gone], "新问政：路口信号灯不亮", link="/desk/wenzheng/x"
            )
            assert sorted(written) == sorted(readers)  # named twice, told once; a disabled account not at all
            for reader in readers:
                page = await inbox.inbox(await current(newsplus, reader))
                assert [(i["id"], i["title"]) for i in page["items"]] == [(written[reader], "新问政：路口信号灯不亮")]
            assert not await Notification.exists().where(Notification.user == gone)
            # Each notice has its own event, and each is delivered (no SMS or e-mail chosen: marked skipped).
            await newsplus.dispatcher.deliver_pending()
            rows = await Notification.select(Notification.id, Notification.external).where(
                Notification.id.is_in(list(written.values()))
            )
            assert sorted(r["id"] for r in rows) == sorted(written.values())
            assert {r["external"] for r in rows} == {"skipped"}


async def test_the_inbox_pages_with_a_cursor_and_refuses_a_forged_one(newsplus_app) -> None:
    start = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    async with running(newsplus_app()) as newsplus:
        with district_scope(newsplus.districts.primary):
            ming = await resident(newsplus, "13800000001")
            with frozen_clock(start) as clock:
                for n in range(5):
                    await inbox.notify(newsplus, ming, f"第{n}条")
                    clock.advance(minutes=1)
            me = await current(newsplus, ming)
            first = await inbox.inbox(me, limit=2)
            second = await inbox.inbox(me, cursor=first["next"], limit=2)
            third = await inbox.inbox(me, cursor=second["next"], limit=2)
            titles = [i["title"] for p in (first, second, third) for i in p["items"]]
            assert titles == ["第4条", "第3条", "第2条", "第1条", "第0条"] and third["next"] is None
            from newsplus.errors import InvalidInput

            with pytest.raises(InvalidInput, match="cursor"):
                await inbox.inbox(me, cursor="bm90LWEtY3Vyc29y")


def test_the_inbox_api_and_page(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        token = login_resident(client, "13800000009")

        async def write() -> None:
            user = await auth.load_current_user(client.app.state.newsplus, token)
            await inbox.notify(client.app.state.newsplus, user.id, "您的预约已确认", body="明天 9:00")

        call(client, write)
        listed = client.get("/api/v1/me/notifications", headers=bearer(token)).json()
        assert listed["unread"] == 1 and listed["items"][0]["title"] == "您的预约已确认"
        client.cookies["newsplus_session"] = token
        page = client.get("/me/notifications", headers=HTML).text
        assert "您的预约已确认" in page and 'class="badge"' in page
        marked = client.post("/api/v1/me/notifications/read", json={"all": True}, headers=bearer(token))
        assert marked.status_code == 204
        assert client.get("/api/v1/me/notifications/unread", headers=bearer(token)).json() == {"unread": 0}
        assert client.post("/api/v1/me/notifications/read", json={}, headers=bearer(token)).status_code == 400


# -- broadcasts -------------------------------------------------------------------------------------------


async def test_broadcasts_reach_their_audience_on_read(newsplus_app) -> None:
    async with running(newsplus_app()) as newsplus:
        with district_scope(newsplus.districts.primary):
            north = await accounts.create_department("天通苑北街道", "street")
            south = await accounts.create_department("天通苑南街道", "street")
            ming, hong = await resident(newsplus, "13800000001", north), await resident(newsplus, "13800000002", south)
            await inbox.broadcast(newsplus, Audience(streets=[north]), "北街道停水通知")
            await inbox.broadcast(newsplus, Audience(everyone=True), "全区寒潮预警")
            mine = [i["title"] for i in (await inbox.inbox(await current(newsplus, ming)))["items"]]
            hers = [i["title"] for i in (await inbox.inbox(await current(newsplus, hong)))["items"]]
            assert mine == ["全区寒潮预警", "北街道停水通知"] and hers == ["全区寒潮预警"]
            me = await current(newsplus, ming)
            assert await inbox.unread_count(me) == 2
            await inbox.mark_all_read(me)
            assert await inbox.unread_count(me) == 0
            assert await inbox.unread_count(await current(newsplus, hong)) == 1


async def test_an_audience_that_matches_nobody_is_refused_before_sending(newsplus_app) -> None:
    from newsplus.errors import InvalidInput
    from newsplus.notifications.tables import Broadcast

    async with running(newsplus_app()) as newsplus:
        with district_scope(newsplus.districts.primary):
            empty = await accounts.create_department("霍营街道", "street")
            with pytest.raises(InvalidInput, match="matches nobody"):
                await inbox.broadcast(newsplus, Audience(streets=[empty]), "无人接收")
            with pytest.raises(InvalidInput, match="Choose who"):
                await inbox.broadcast(newsplus, Audience(), "没有对象")
            with pytest.raises(InvalidInput, match="Unknown street"):
                await inbox.broadcast(newsplus, Audience(streets=[empty + 999]), "不存在的街道")
            assert await Broadcast.count() == 0


async def _table_rows(newsplus) -> int:
    total = 0
    for app in newsplus.registry.app_configs.values():
        for table in app.table_classes:
            total += (await table.raw(f'SELECT count(*) AS n FROM "{table._meta.tablename}"'))[0]["n"]
    return total


async def _bulk_residents(newsplus, count: int, street: int) -> None:
    """Insert residents in one statement (the API would take far too long for a hundred thousand)."""
    district = newsplus.districts.primary.id
    series = (
        "generate_series(1, {n}) AS i"
        if newsplus.engine.engine_type == "postgres"
        else "(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) SELECT i FROM s) AS t"
    ).format(n=count)
    phone = (
        "'139' || lpad(i::text, 8, '0')" if newsplus.engine.engine_type == "postgres" else "'139' || printf('%08d', i)"
    )
    await User.raw(
        f"INSERT INTO users_user (district, kind, phone, password_hash, display_name, street, is_active, created_at) "
        f"SELECT {district}, 'resident', {phone}, '', '居民', {street}, true, CURRENT_TIMESTAMP FROM {series}"
    )


@pytest.mark.parametrize("residents", [10, 100_000])
async def test_a_broadcast_writes_the_same_few_rows_for_ten_or_a_hundred_thousand(newsplus_app, residents) -> None:
    async with running(newsplus_app()) as newsplus:
        with district_scope(newsplus.districts.primary):
            street = await accounts.create_department("回龙观街道", "street")
            await _bulk_residents(newsplus, residents, street)
            before = await _table_rows(newsplus)
            sent = await inbox.broadcast(newsplus, Audience(streets=[street]), "回龙观街道燃气检修")
            written = await _table_rows(newsplus) - before
            # the broadcast, its event, and one delivery per event handler (notifications): nothing per person
            assert written == 3
            await newsplus.dispatcher.deliver_pending()
            # how many it reached is counted once it is sent, and shows in the send log
            [row] = await Broadcast.select(Broadcast.recipients).where(Broadcast.id == sent)
            assert row["recipients"] == residents


# -- pop-ups ----------------------------------------------------------------------------------------------


async def test_popups_respect_their_window_audience_and_frequency(newsplus_app) -> None:
    from newsplus.notifications import popups

    monday_8 = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)  # 08:00 in Beijing
    async with running(newsplus_app()) as newsplus:
        with district_scope(newsplus.districts.primary):
            north = await accounts.create_department("天通苑北街道", "street")
            ming = await current(newsplus, await resident(newsplus, "13800000001", north))
            hong = await current(newsplus, await resident(newsplus, "13800000002"))
            window = {"starts_at": monday_8, "ends_at": monday_8 + timedelta(days=3)}
            once = await popups.create_popup(newsplus, title="医保缴费提醒", audience=Audience(everyone=True), **window)
            daily = await popups.create_popup(
                newsplus,
                title="北街道施工",
                audience=Audience(streets=[north]),
                frequency="daily",
                priority=5,
                **window,
            )
            always = await popups.create_popup(
                newsplus,
                title="疫苗接种",
                audience=Audience(everyone=True),
                frequency="every_launch",
                priority=1,
                **window,
            )
            with frozen_clock(monday_8 - timedelta(minutes=1)) as clock:
                assert await popups.due_popups(newsplus, ming) == []  # the window has not opened
                clock.set(monday_8)
                first = [p["title"] for p in await popups.due_popups(newsplus, ming)]
                assert first == ["北街道施工", "疫苗接种", "医保缴费提醒"]  # highest priority first
                assert [p["title"] for p in await popups.due_popups(newsplus, ming)] == ["疫苗接种"]
                assert [p["title"] for p in await popups.due_popups(newsplus, hong)] == ["疫苗接种", "医保缴费提醒"]
                clock.advance(days=1)
                assert [p["title"] for p in await popups.due_popups(newsplus, ming)] == ["北街道施工", "疫苗接种"]
                await popups.record_action(newsplus, ming, daily, "dismissed")
                assert await popups.record_action(newsplus, ming, once, "clicked") == ""
                clock.advance(days=3)
                assert await popups.due_popups(newsplus, ming) == []  # the window has closed
            stats = await popups.popup_stats([once, daily, always])
            assert stats[daily] == {"shown": 1, "dismissed": 1, "clicked": 0}
            assert stats[once] == {"shown": 2, "dismissed": 0, "clicked": 1}


def test_popup_api_refuses_bad_windows_and_the_home_page_shows_a_due_popup(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        chief = login_staff(client, "chief", roles=("chief_editor",))
        now = datetime.now(UTC)
        body = {
            "title": "寒潮预警",
            "audience": {"everyone": True},
            "link": "/news/1",
            "starts_at": now.isoformat(),
            "ends_at": (now - timedelta(hours=1)).isoformat(),
        }
        refused = client.post("/api/v1/notifications/popups", json=body, headers={**bearer(chief), **EN})
        assert refused.status_code == 400 and refused.json()["detail"] == "The window must end after it starts"
        body["ends_at"] = (now + timedelta(days=1)).isoformat()
        resident_token = login_resident(client, "13800000001")
        created = client.post("/api/v1/notifications/popups", json=body, headers=bearer(chief))
        assert created.status_code == 201, created.text
        reach = client.post(
            "/api/v1/notifications/audience", json={"audience": body["audience"]}, headers=bearer(chief)
        )
        assert reach.json() == {"recipients": 2}  # the resident and the chief editor
        client.cookies["newsplus_session"] = resident_token
        home = client.get("/", headers=HTML).text
        assert 'role="dialog"' in home and "寒潮预警" in home
        assert 'role="dialog"' not in client.get("/", headers=HTML).text  # once per person
        opened = client.post(
            f"/popups/{created.json()['id']}/open",
            data={"_csrf_token": client.cookies["newsplus_csrf"]},
            follow_redirects=False,
        )
        assert opened.status_code == 303 and opened.headers["location"] == "/news/1"
        stats = client.get("/api/v1/notifications/popups", headers=bearer(chief)).json()[0]
        assert (stats["shown"], stats["clicked"]) == (1, 1)
        assert client.get("/api/v1/notifications/popups", headers=bearer(resident_token)).status_code == 403


# -- preferences, quiet hours and the digest --------------------------------------------------------------


async def test_quiet_hours_hold_sms_until_morning_and_digests_collect(newsplus_app) -> None:
    from newsplus.notifications.delivery import send_digests, send_held
    from newsplus.notifications.preferences import Preferences, save_preferences

    night = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)  # 23:00 in Beijing
    async with running(newsplus_app()) as newsplus:
        sms = newsplus.channels[-1]
        with district_scope(newsplus.districts.primary), frozen_clock(night) as clock:
            ming = await resident(newsplus, "13800000001")
            wants = Preferences(modes={"system": {"sms": "immediate"}}, quiet_start="22:00", quiet_end="07:00")
            await save_preferences(newsplus, ming, wants)
            await inbox.notify(newsplus, ming, "明早停水")
            await inbox.notify(newsplus, ming, "账号在新设备登录", category="account")  # high priority
            await newsplus.dispatcher.deliver_pending()
            assert [m.body.split("\n")[0] for m in sms.sent] == ["账号在新设备登录"]
            clock.set(datetime(2026, 11, 26, 23, 30, tzinfo=UTC))  # 07:30 Beijing
            await send_held(newsplus)
            assert [m.body.split("\n")[0] for m in sms.sent] == ["账号在新设备登录", "明早停水"]

            await save_preferences(newsplus, ming, Preferences(modes={"system": {"sms": "digest"}}))
            await inbox.notify(newsplus, ming, "社区活动报名")
            await inbox.notify(newsplus, ming, "图书馆延长开放")
            await newsplus.dispatcher.deliver_pending()
            assert len(sms.sent) == 2  # nothing at once
            await send_digests(newsplus)
            assert sms.sent[-1].body == "· 社区活动报名\n· 图书馆延长开放"
            assert await Notification.count().where(Notification.external == "digest") == 0


def test_register_notification_categories_feed_preferences_which_are_validated(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        token = login_resident(client, "13800000001")
        current_prefs = client.get("/api/v1/me/notification-preferences", headers=bearer(token)).json()
        assert {c["name"] for c in current_prefs["categories"]} >= {"account", "system"}
        wanted = {
            "modes": {"system": {"email": "digest"}},
            "quiet_start": "22:00",
            "quiet_end": "07:00",
            "email": "ming@example.cn",
        }
        saved = client.put("/api/v1/me/notification-preferences", json=wanted, headers=bearer(token))
        assert saved.status_code == 200 and saved.json()["modes"]["system"] == {"email": "digest"}
        for bad, message in (
            ({"modes": {"account": {"sms": "off"}}}, "cannot be turned off or delayed"),
            ({"modes": {"nosuch": {"sms": "off"}}}, "Unknown category nosuch"),
            ({"modes": {}, "quiet_start": "25:00", "quiet_end": "07:00"}, "HH:MM"),
            ({"modes": {}, "email": "not-an-address"}, "valid e-mail"),
        ):
            refused = client.put("/api/v1/me/notification-preferences", json=bad, headers={**bearer(token), **EN})
            assert refused.status_code == 400 and message in refused.json()["detail"], refused.text


# -- channels: SSE, e-mail, webhook ------------------------------------------------------------------------


class Mailbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append((envelope.mail_from, envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
        return "250 OK"


def test_a_notification_reaches_an_smtp_inbox(newsplus_database_url: str) -> None:
    mailbox, port = Mailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        app = make_app(
            database_url=newsplus_database_url,
            settings={
                "plugins": {
                    "notifications": {
                        "smtp_host": "127.0.0.1",
                        "smtp_port": port,
                        "mail_from": "changping@news.example",
                    }
                }
            },
        )
        with TestClient(app) as client:
            token = login_resident(client, "13800000001")
            client.put(
                "/api/v1/me/notification-preferences",
                headers=bearer(token),
                json={"modes": {"system": {"email": "immediate"}}, "email": "ming@example.cn"},
            )

            async def notify_and_deliver() -> None:
                user = await auth.load_current_user(client.app.state.newsplus, token)
                await inbox.notify(client.app.state.newsplus, user.id, "您的问政已办结", body="请评价办理结果")
                await client.app.state.newsplus.dispatcher.deliver_pending()

            call(client, notify_and_deliver)

            async def logged() -> list[str]:
                return [r["status"] for r in await SendLog.select(SendLog.status).where(SendLog.channel == "email")]

            assert call(client, logged) == ["sent"]
        [(sender, recipients, content)] = mailbox.messages
        assert sender == "changping@news.example" and recipients == ["ming@example.cn"]
        assert "请评价办理结果" in content or "=E8=AF=B7" in content or "5aSE" in content
    finally:
        controller.stop()


class Receiver(BaseHTTPRequestHandler):
    """A district system's webhook endpoint that checks the signature."""

    secret = ""
    received: list[dict] = []
    fail_first = 0

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        expected = "sha256=" + hmac.new(Receiver.secret.encode(), body, hashlib.sha256).hexdigest()
        if Receiver.fail_first > 0:
            Receiver.fail_first -= 1
            self.send_response(503)
        elif hmac.compare_digest(expected, self.headers["X-Newsplus-Signature"]):
            Receiver.received.append(
                {
                    "body": json.loads(body),
                    "event": self.headers["X-Newsplus-Event"],
                    "key": self.headers["X-Newsplus-Delivery"],
                }
            )
            self.send_response(204)
        else:
            self.send_response(401)
        self.end_headers()

    def log_message(self, *args) -> None:
        return None


def test_a_webhook_receives_signed_events_and_is_retried(newsplus_app) -> None:
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Receiver.received, Receiver.fail_first = [], 1
    intranet = {"plugins": {"notifications": {"webhook_private_networks": ["127.0.0.0/8"]}}}
    try:
        with TestClient(newsplus_app(settings=intranet)) as client:
            admin = login_staff(client, "admin")
            bad = client.post(
                "/api/v1/notifications/webhooks", json={"url": "ftp://x.example/in"}, headers={**bearer(admin), **EN}
            )
            assert bad.status_code == 400 and "http://" in bad.json()["detail"]
            url = f"http://127.0.0.1:{server.server_port}/hook"
            created = client.post(
                "/api/v1/notifications/webhooks",
                headers=bearer(admin),
                json={"url": url, "events": "notifications.*", "description": "区融媒体平台"},
            )
            assert created.status_code == 201
            Receiver.secret = created.json()["secret"]
            assert "secret" not in client.get("/api/v1/notifications/webhooks", headers=bearer(admin)).json()[0]
            token = login_resident(client, "13800000001")

            async def notify() -> None:
                user = await auth.load_current_user(client.app.state.newsplus, token)
                await inbox.notify(client.app.state.newsplus, user.id, "预约成功")

            call(client, notify)
            call(client, client.app.state.newsplus.dispatcher.deliver_pending)
            assert Receiver.received == []  # the receiver answered 503: to be retried
            with frozen_clock(datetime.now(UTC) + timedelta(seconds=6)):
                call(client, client.app.state.newsplus.dispatcher.deliver_pending)
            [delivery] = Receiver.received
            assert delivery["event"] == "notifications.notification_created"
            assert delivery["body"]["data"]["title"] == "预约成功" and delivery["body"]["district"] == "default"
            assert len(delivery["key"]) == 32
    finally:
        server.shutdown()


async def test_a_notification_reaches_an_open_sse_stream_and_a_reconnect_replays(newsplus_database_url) -> None:
    app = make_app(database_url=newsplus_database_url)
    async with serving(app) as base:
        newsplus = app.state.newsplus
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            await http.post("/api/v1/auth/code", json={"phone": "13800000001"})
            code = [m.body.split("验证码 ")[1][:6] for m in newsplus.channels[-1].sent][-1]
            token = (await http.post("/api/v1/auth/login/code", json={"phone": "13800000001", "code": code})).json()[
                "token"
            ]
            user = (await http.get("/api/v1/me", headers=bearer(token))).json()["id"]
            events: list[str] = []
            async with http.stream("GET", "/api/v1/me/notifications/stream", headers=bearer(token)) as stream:
                lines = stream.aiter_lines()
                assert await anext(lines) == ": ready"
                with district_scope(newsplus.districts.primary):
                    first = await inbox.notify(newsplus, user, "您的问政有了新答复")
                    await newsplus.dispatcher.deliver_pending()
                async with asyncio.timeout(10):
                    async for line in lines:
                        events.append(line)
                        if line.startswith("data:"):
                            break
            assert f"id: {first}" in events and "event: notification" in events
            assert "您的问政有了新答复" in events[-1]
            with district_scope(newsplus.districts.primary):
                missed = await inbox.notify(newsplus, user, "断线期间的消息")
            headers = {**bearer(token), "Last-Event-ID": str(first)}
            async with http.stream("GET", "/api/v1/me/notifications/stream", headers=headers) as again:
                replay = []
                async with asyncio.timeout(10):
                    async for line in again.aiter_lines():
                        replay.append(line)
                        if line.startswith("data:"):
                            break
            assert f"id: {missed}" in replay and "断线期间的消息" in replay[-1]
        await asyncio.sleep(0.1)
        assert newsplus.stream.clients == {}  # disconnected clients cost nothing


# -- desk -------------------------------------------------------------------------------------------------


def test_the_desk_counts_an_audience_then_sends_a_broadcast(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        login_resident(client, "13800000001")
        login_resident(client, "13800000002")
        chief = login_staff(client, "chief", roles=("chief_editor",))
        client.cookies["newsplus_session"] = chief
        client.get("/desk/notifications/broadcast", headers=HTML)
        form = {
            "title": "全区寒潮预警",
            "body": "请注意保暖",
            "everyone": "1",
            "_csrf_token": client.cookies["newsplus_csrf"],
        }
        preview = client.post("/desk/notifications/broadcast", data={**form, "action": "preview"}, headers=HTML)
        assert "将送达 3 人。" in preview.text  # two residents and the chief editor
        sent = client.post("/desk/notifications/broadcast", data={**form, "action": "send"}, follow_redirects=False)
        assert sent.status_code == 303
        assert "全区寒潮预警" in client.get("/desk/notifications/broadcast", headers=HTML).text
        nobody = client.post(
            "/desk/notifications/broadcast",
            data={**form, "everyone": "", "tags": "无人标签", "action": "send"},
            headers=HTML,
        )
        assert nobody.status_code == 400 and "没有匹配到任何人" in nobody.text


def test_the_desk_previews_and_schedules_a_popup_and_shows_its_figures(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        chief = login_staff(client, "chief", roles=("chief_editor",))
        client.cookies["newsplus_session"] = chief
        client.get("/desk/notifications/popups", headers=HTML)
        form = {
            "title": "医保缴费截止提醒",
            "body": "12月31日前完成缴费",
            "everyone": "1",
            "starts_at": "2026-11-30T08:00",
            "ends_at": "2026-12-31T20:00",
            "frequency": "daily",
            "priority": "3",
            "_csrf_token": client.cookies["newsplus_csrf"],
        }
        preview = client.post("/desk/notifications/popups", data={**form, "action": "preview"}, headers=HTML)
        assert 'class="popup-card"' in preview.text and "12月31日前完成缴费" in preview.text
        backwards = client.post(
            "/desk/notifications/popups", headers=HTML, data={**form, "ends_at": "2026-11-01T08:00", "action": "send"}
        )
        assert backwards.status_code == 400 and "结束时间须晚于开始时间" in backwards.text
        sent = client.post("/desk/notifications/popups", data={**form, "action": "send"}, follow_redirects=False)
        assert sent.status_code == 303
        listing = client.get("/desk/notifications/popups", headers=HTML).text
        assert "医保缴费截止提醒" in listing and "2026-11-30 08:00" in listing  # shown in Beijing time
        assert '<td class="stat-shown">0</td>' in listing


def test_the_delivery_log_shows_sends_failures_and_retries(newsplus_app) -> None:
    from newsplus import hookimpl

    class Down:
        name, kinds = "down_sms", frozenset({"sms"})

        async def send(self, message) -> bool:
            raise ConnectionError("短信网关超时")

    import types

    provider = types.ModuleType("provider")
    provider.name = "provider"
    provider.register_notification_channels = hookimpl(lambda newsplus: [Down()])
    with TestClient(make_app([provider])) as client:
        admin = login_staff(client, "admin")

        async def notify_urgently() -> None:
            ming = await resident(client.app.state.newsplus, "13800000001")
            await inbox.notify(client.app.state.newsplus, ming, "账号在新设备登录", category="account")
            await client.app.state.newsplus.dispatcher.deliver_pending()

        call(client, notify_urgently)
        client.cookies["newsplus_session"] = admin
        log = client.get("/desk/notifications/log", headers=HTML).text
        assert 'class="send-failed"' in log and "sms" in log
        assert "notifications.notification_created" in log and "plugin:notifications" in log  # being retried


def test_a_webhook_may_not_reach_private_addresses_unless_allowed(newsplus_app) -> None:
    with TestClient(newsplus_app(settings={"plugins": {"events": {"max_attempts": 1}}})) as client:
        admin = login_staff(client, "admin")
        for url in ("http://127.0.0.1:5432/", "http://169.254.169.254/latest/meta-data", "http://localhost:22/"):
            created = client.post("/api/v1/notifications/webhooks", json={"url": url}, headers=bearer(admin))
            assert created.status_code == 201
        token = login_resident(client, "13800000001")

        async def notify() -> None:
            user = await auth.load_current_user(client.app.state.newsplus, token)
            await inbox.notify(client.app.state.newsplus, user.id, "内部地址不应收到")
            await client.app.state.newsplus.dispatcher.deliver_pending()

        call(client, notify)
        failed = client.get("/api/v1/events/deliveries", params={"status": "failed"}, headers=bearer(admin)).json()
        webhook_failures = [d for d in failed if d["target"].startswith("webhook:")]
        assert len(webhook_failures) == 3
        assert all("not a public address" in d["last_error"] for d in webhook_failures)


def test_links_that_could_run_script_are_refused_and_never_rendered(newsplus_app) -> None:
    from newsplus.web.links import safe_href

    with TestClient(newsplus_app()) as client:
        chief = login_staff(client, "chief", roles=("chief_editor",))
        for link in ("javascript:alert(1)", "//evil.example/x", "/\\evil.example", "data:text/html,hi"):
            refused = client.post(
                "/api/v1/notifications/broadcasts",
                json={"title": "t", "audience": {"everyone": True}, "link": link},
                headers={**bearer(chief), **EN},
            )
            assert refused.status_code == 400, link
        assert safe_href("javascript:alert(1)") == "#" and safe_href("/news/1") == "/news/1"


async def test_a_held_notification_stays_held_when_the_morning_send_fails(newsplus_app) -> None:
    from newsplus.notifications.delivery import send_held
    from newsplus.notifications.preferences import Preferences, save_preferences

    night = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)  # 23:00 in Beijing
    async with running(newsplus_app()) as newsplus:
        sms = newsplus.channels[-1]
        with district_scope(newsplus.districts.primary), frozen_clock(night) as clock:
            ming = await resident(newsplus, "13800000001")
            wants = Preferences(modes={"system": {"sms": "immediate"}}, quiet_start="22:00", quiet_end="07:00")
            await save_preferences(newsplus, ming, wants)
            await inbox.notify(newsplus, ming, "明早停水")
            await newsplus.dispatcher.deliver_pending()
            clock.set(datetime(2026, 11, 26, 23, 5, tzinfo=UTC))  # 07:05: the provider is down
            working_send = sms.send

            async def down(message) -> bool:
                raise ConnectionError("gateway down")

            sms.send = down
            await send_held(newsplus)
            assert await Notification.count().where(Notification.external == "held") == 1
            sms.send = working_send
            clock.advance(minutes=5)
            await send_held(newsplus)
            assert [m.body.split("\\n")[0] for m in sms.sent] == ["明早停水"]
            assert await Notification.count().where(Notification.external == "sent") == 1


def test_odd_cursors_times_and_stream_ids_are_4xx_not_500(newsplus_app) -> None:
    import base64

    with TestClient(newsplus_app()) as client:
        token = login_resident(client, "13800000001")
        naive = base64.urlsafe_b64encode(b"2099-01-01T00:00:00|notification|1").decode()
        assert (
            client.get("/api/v1/me/notifications", params={"cursor": naive}, headers=bearer(token)).status_code == 200
        )
        chief = login_staff(client, "chief", roles=("chief_editor",))
        body = {
            "title": "t",
            "audience": {"everyone": True},
            "starts_at": "2026-11-30T08:00:00",
            "ends_at": "2026-12-01T08:00:00+08:00",
        }
        assert client.post("/api/v1/notifications/popups", json=body, headers=bearer(chief)).status_code == 400
        client.cookies["newsplus_session"] = chief
        client.get("/desk/notifications/popups", headers=HTML)
        form = {
            "title": "t",
            "everyone": "1",
            "starts_at": "2026-11-30T08:00",
            "ends_at": "2026-12-01T08:00",
            "priority": "9" * 5000,
            "action": "send",
            "_csrf_token": client.cookies["newsplus_csrf"],
        }
        assert client.post("/desk/notifications/popups", data=form, follow_redirects=False).status_code == 303
    from newsplus.notifications.api import last_event_id

    assert [last_event_id(v) for v in ("42", "99999999999", "2147483648", "-1", "１２", "", None)] == [
        42,
        None,
        None,
        None,
        None,
        None,
        None,
    ]


def test_the_home_page_records_only_the_popup_it_shows(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        chief = login_staff(client, "chief", roles=("chief_editor",))
        resident_token = login_resident(client, "13800000001")
        now = datetime.now(UTC)
        for title, priority in (("第一个弹窗", 2), ("第二个弹窗", 1)):
            body = {
                "title": title,
                "audience": {"everyone": True},
                "priority": priority,
                "starts_at": now.isoformat(),
                "ends_at": (now + timedelta(days=1)).isoformat(),
            }
            assert client.post("/api/v1/notifications/popups", json=body, headers=bearer(chief)).status_code == 201
        client.cookies["newsplus_session"] = resident_token
        assert "第一个弹窗" in client.get("/", headers=HTML).text
        assert "第二个弹窗" in client.get("/", headers=HTML).text  # the second was not used up unseen
        assert 'role="dialog"' not in client.get("/", headers=HTML).text
