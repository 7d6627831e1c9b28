"""Dispatch targets: the district's handling platform receives inquiries as signed JSON and reports back."""

from __future__ import annotations

import json
import threading
import types
from http.server import BaseHTTPRequestHandler, HTTPServer

from litestar.testing import TestClient
from test_story import District, _deliver_all, _titles

from newsplus import hookimpl
from newsplus.notifications.webhooks import sign
from newsplus.testing import call
from newsplus.users.accounts import create_department
from newsplus_wenzheng.targets import DispatchTarget

SECRET = "shared-with-the-platform"


class Platform(BaseHTTPRequestHandler):
    """The handling platform's intake: records what arrives and answers with its own id."""

    received: list[tuple[dict, str]] = []

    def do_POST(self) -> None:  # noqa: N802 - the standard library's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Platform.received.append((json.loads(body), self.headers["X-Newsplus-Signature"] == sign(SECRET, body)))
        answer = json.dumps({"id": "GD-2026-0001"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args) -> None:
        pass


def callback(client: TestClient, secret: str = SECRET, **fields) -> object:
    body = json.dumps(fields).encode()
    return client.post(
        "/api/v1/wenzheng/callback",
        content=body,
        headers={"Content-Type": "application/json", "X-Newsplus-Signature": sign(secret, body)},
    )


def test_the_platform_receives_a_dispatched_inquiry_and_its_callbacks_move_it_on_once(newsplus_app) -> None:
    server = HTTPServer(("127.0.0.1", 0), Platform)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Platform.received.clear()
    settings = {
        "plugins": {
            "wenzheng": {
                "platform_url": f"http://127.0.0.1:{server.server_port}/intake",
                "platform_secret": SECRET,
                "department_targets": {"区公众服务统一办理平台": "webhook"},
            },
            "notifications": {"webhook_private_networks": ["127.0.0.0/8"]},
        }
    }
    try:
        with TestClient(newsplus_app(["wenzheng"], settings=settings)) as client:
            people = District(client)
            platform = call(client, create_department, "区公众服务统一办理平台", "bureau")
            token = people.write()["token"]
            people.act(people.dispatcher, token, "accept")
            people.act(people.dispatcher, token, "dispatch", department=platform)
            call(client, _deliver_all, client)

            [(payload, signed)] = Platform.received
            assert signed and payload["title"] == "小区垃圾堆积什么时候清运？"
            assert payload["department"] == "区公众服务统一办理平台" and payload["contact_phone"] == "13800138000"
            assert payload["callback_url"].endswith("/api/v1/wenzheng/callback")
            number = payload["number"]
            timeline = people.view(token, people.dispatcher)["timeline"]
            assert timeline[-1]["action"] == "forward" and "GD-2026-0001" in timeline[-1]["note"]

            assert callback(client, "wrong", event_id="e1", number=number, action="sign").status_code == 403
            assert callback(client, event_id="e1", number=number, action="sign").json() == {
                "status": "signed",
                "duplicate": False,
            }
            assert callback(client, event_id="e1", number=number, action="sign").json() == {
                "status": "signed",
                "duplicate": True,
            }
            early = callback(client, event_id="e0", number=number, action="return")
            assert early.status_code == 400  # a return needs its reason
            reply = callback(client, event_id="e2", number=number, action="reply", note="已协调清运，六小时完成。")
            assert reply.json()["status"] == "replied"
            assert callback(client, event_id="e3", number="nope", action="sign").status_code == 404
            assert callback(client, event_id="e4", number=number, action="close").status_code == 400

            seen = people.view(token, people.resident)
            assert seen["reply"] == "已协调清运，六小时完成。" and seen["department"] == "区公众服务统一办理平台"
            call(client, _deliver_all, client)
            assert "您的问政「小区垃圾堆积什么时候清运？」已答复，请评价" in call(client, _titles, "13800138000")
    finally:
        server.shutdown()


def test_wenzheng_register_dispatch_targets_lets_a_plugin_hand_inquiries_elsewhere(newsplus_app) -> None:
    handed: list[str] = []

    async def to_hotline(newsplus, inquiry) -> str:
        handed.append(inquiry["number"])
        return "12345-88"

    hotline = types.ModuleType("hotline_plugin")
    hotline.name = "hotline"

    @hookimpl
    def wenzheng_register_dispatch_targets(newsplus):
        return [DispatchTarget(name="hotline", label="12345 hotline", send=to_hotline)]

    hotline.wenzheng_register_dispatch_targets = wenzheng_register_dispatch_targets
    settings = {"plugins": {"wenzheng": {"department_targets": {"市民热线": "hotline"}}}}
    with TestClient(newsplus_app(["wenzheng", hotline], settings=settings)) as client:
        people = District(client)
        desk = call(client, create_department, "市民热线", "bureau")
        token = people.write()["token"]
        people.act(people.dispatcher, token, "accept")
        people.act(people.dispatcher, token, "dispatch", department=desk)
        call(client, _deliver_all, client)
        assert len(handed) == 1
        assert people.view(token, people.dispatcher)["timeline"][-1]["note"] == "12345 hotline 12345-88"
        # Departments without a target keep working in the desk: nothing is handed over.
        local = people.write(title="路灯不亮")["token"]
        people.act(people.dispatcher, local, "accept")
        people.act(people.dispatcher, local, "dispatch", department=people.street)
        call(client, _deliver_all, client)
        assert len(handed) == 1
        assert people.view(local, people.dispatcher)["timeline"][-1]["action"] == "dispatch"
