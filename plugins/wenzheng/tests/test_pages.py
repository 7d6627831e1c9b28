"""问政 as people use it: residents on the H5 pages, dispatchers, department liaisons and supervisors on the desk.

Assertions are on what a page shows (its text, forms and buttons), never on the status code alone. Data that is
not the point of a test is set up over the JSON API (quicker); then pages are read and their forms posted as a
browser would, with the session cookie and the CSRF token the page carries. Pages are asked for in English.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

from litestar.testing import TestClient
from PIL import Image

from newsplus import frozen_clock
from newsplus.testing import HTML, bearer, browse_as, call, login_resident, login_staff, submit_form, view
from newsplus.testing import page_text as text
from newsplus.users.accounts import create_department

EN = {"Accept-Language": "en"}
# Wednesday 2026-11-25, 09:30 in Beijing.
MORNING = datetime(2026, 11, 25, 1, 30, tzinfo=UTC)
TITLE = "小区垃圾堆积什么时候清运？"
BODY = "天通苑北一区的垃圾已经堆了一周，气味很大。"
ADDRESS = "天通苑北一区3号楼"
PHONE = "13800138000"


# -- helpers ---------------------------------------------------------------------------------------------


class District:
    """A street office with its liaison, a bureau with its own handler, a dispatcher, a supervisor, residents.

    People sign in when first needed; ``token(who)`` is their session token: pages send it as the session
    cookie, the API as a bearer token.
    """

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.street = call(client, create_department, "天通苑北街道", "street")
        self.other = call(client, create_department, "区城市管理委", "bureau")
        self.tokens: dict[str, str] = {}

    def token(self, who: str) -> str:
        if who not in self.tokens:
            self.tokens[who] = {
                "resident": lambda: login_resident(self.client, PHONE),
                "neighbour": lambda: login_resident(self.client, "13900139000"),
                "dispatcher": lambda: login_staff(self.client, who, roles=("dispatcher",)),
                "supervisor": lambda: login_staff(self.client, who, roles=("supervisor",)),
                "liaison": lambda: login_staff(self.client, who, roles=("department_handler",), department=self.street),
                "outsider": lambda: login_staff(self.client, who, roles=("department_handler",), department=self.other),
            }[who]()
        return self.tokens[who]

    def api(self, who: str) -> dict[str, str]:
        return {**bearer(self.token(who)), **EN}

    def write(self, **fields) -> str:
        body = {
            "kind": "complaint",
            "category": "sanitation",
            "title": TITLE,
            "body": BODY,
            "street": self.street,
            "address": ADDRESS,
            "public": True,
            "contact_phone": PHONE,
            **fields,
        }
        made = self.client.post("/api/v1/wenzheng/inquiries", json=body, headers=self.api("resident"))
        assert made.status_code == 201, made.text
        return made.json()["token"]

    def act(self, who: str, token: str, action: str, **body) -> None:
        done = self.client.post(f"/api/v1/wenzheng/inquiries/{token}/{action}", json=body, headers=self.api(who))
        assert done.status_code == 200, done.text

    def walk(self, token: str, *, to: str = "replied", department: int | None = None) -> None:
        """Take an inquiry along the chain over the API, up to ``to``."""
        department = department or self.street
        handler = "liaison" if department == self.street else "outsider"
        steps = [
            ("accepted", "dispatcher", "accept", {}),
            ("dispatched", "dispatcher", "dispatch", {"department": department}),
            ("signed", handler, "sign", {}),
            ("replied", handler, "reply", {"note": "已安排环卫车辆清运。"}),
        ]
        for status, who, action, body in steps:
            self.act(who, token, action, **body)
            if status == to:
                return


def forms(page: str, url: str) -> list[str]:
    """The POST forms of a page that go to this address."""
    return re.findall(rf'<form method="post" action="{re.escape(url)}".*?</form>', page, re.S)


def action_form(page: str, token: str, action: str) -> str:
    """The desk detail page's form for one action."""
    found = [f for f in forms(page, f"/desk/wenzheng/{token}") if f'name="action" value="{action}"' in f]
    assert len(found) == 1, (action, page[:3000])
    return found[0]


def actions(page: str, token: str) -> set[str]:
    """The actions the desk detail page offers."""
    return {re.search(r'name="action" value="([^"]+)"', f).group(1) for f in forms(page, f"/desk/wenzheng/{token}")}


def part(page: str, pattern: str) -> str:
    """The first piece of a page matching a regular expression (DOTALL)."""
    found = re.search(pattern, page, re.S)
    assert found, f"{pattern!r} not found in page:\n{page[:3000]}"
    return found.group(0)


def timeline(page: str) -> list[str]:
    """The steps of the timeline, one text each."""
    return [text(li) for li in re.findall(r"<li>.*?</li>", part(page, r'<ol class="plain timeline">.*?</ol>'), re.S)]


def board_cards(page: str) -> list[str]:
    return re.findall(r'<li class="card">.*?</li>', part(page, r'<ul class="plain inquiry-list">.*?</ul>'), re.S)


def desk_rows(page: str) -> list[str]:
    return [text(r) for r in re.findall(r"<tr[^>]*>.*?</tr>", part(page, r"<tbody>.*?</tbody>"), re.S)]


def png(width: int = 64, height: int = 48) -> bytes:
    """A real PNG image made by Pillow."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (30, 160, 60)).save(buffer, "PNG")
    return buffer.getvalue()


# -- H5: the board, writing, following, rating -----------------------------------------------------------


def test_the_board_shows_public_inquiries_masked_and_the_reply_once_answered(newsplus_app) -> None:
    with TestClient(newsplus_app(["wenzheng"])) as client:
        people = District(client)
        token = people.write()
        people.write(title="我家的私事不公开", public=False)
        waiting = people.write(title="还没受理的问政")
        assert "No public inquiries yet." in text(view(client, "/wenzheng"))

        people.walk(token, to="signed")
        page = view(client, "/wenzheng")
        cards = board_cards(page)
        assert len(cards) == 1  # neither the private inquiry nor the one not yet accepted
        card = text(cards[0])
        assert f'href="/wenzheng/{token}"' in cards[0] and card.startswith(f"{TITLE} 已签收")
        assert "投诉 · 天通苑北街道 · " in card and card.count("天通苑北街道") == 2  # its street, and its department
        assert "Reply" not in card
        assert PHONE not in page and ADDRESS not in page and f"/wenzheng/{waiting}" not in page
        assert "还没受理的问政" not in page and "我家的私事不公开" not in page

        # Its page, reached from the board, masks the phone number and the house number.
        public = view(client, f"/wenzheng/{token}")
        assert "138****8000" in text(public) and "天通苑北一区*号楼" in text(public)
        assert PHONE not in public and ADDRESS not in public

        people.act("liaison", token, "reply", note="已安排环卫车辆清运，明早前清理完毕。")
        card = text(board_cards(view(client, "/wenzheng"))[0])
        assert "已答复" in card and "Reply： 已安排环卫车辆清运，明早前清理完毕。" in card
        public = view(client, f"/wenzheng/{token}")
        reply = text(part(public, r'<section class="reply">.*?</section>'))
        assert reply == "Reply · 天通苑北街道 已安排环卫车辆清运，明早前清理完毕。"
        assert PHONE not in public and ADDRESS not in public
        assert "Are you satisfied" not in public  # no rating form for readers who did not write it


def test_a_resident_writes_an_inquiry_with_a_photo_and_follows_it(newsplus_app) -> None:
    with TestClient(newsplus_app(["wenzheng"])) as client:
        people = District(client)
        resident = people.token("resident")
        browse_as(client, None)
        to_login = client.get("/wenzheng/new", headers=HTML, follow_redirects=False)
        assert to_login.headers["location"] == "/login?next=/wenzheng/new"

        form = view(client, "/wenzheng/new", resident)
        assert 'enctype="multipart/form-data"' in form and 'name="_csrf_token"' in form
        assert '<option value="sanitation">市容环卫</option>' in form
        assert f'<option value="{people.street}">天通苑北街道</option>' in form
        assert f'<option value="{people.other}">' not in form  # a bureau is not a street
        assert f'name="contact_phone" inputmode="tel" maxlength="20" value="{PHONE}"' in form
        assert '<input type="radio" name="kind" value="complaint" checked>' in form
        assert "You have not written any inquiry yet." in view(client, "/wenzheng/mine", resident)

        # A one-letter title: the form comes back with the reason and everything as it was typed.
        typed = {
            "kind": "help",
            "category": "sanitation",
            "title": "x",
            "body": BODY,
            "street": str(people.street),
            "address": ADDRESS,
            "contact_phone": "13800138001",
            "public": "1",
        }
        photo = [("photos", ("pile.png", png(), "image/png"))]
        again = submit_form(client, "/wenzheng/new", typed, resident, files=photo)
        assert again.status_code == 400
        page = again.text
        error = text(part(page, r'<p class="error" role="alert">.*?</p>'))
        assert error == "A title of 2 to 100 characters is required"
        assert 'name="title" maxlength="100" required value="x" aria-invalid="true"' in page
        assert f">{BODY}</textarea>" in page
        assert '<option value="sanitation" selected>市容环卫</option>' in page
        assert f'<option value="{people.street}" selected>天通苑北街道</option>' in page
        assert f'value="{ADDRESS}"' in page and 'value="13800138001"' in page
        assert '<input type="radio" name="kind" value="help" checked>' in page
        assert '<input type="checkbox" name="public" value="1" checked>' in page
        assert "You have not written any inquiry yet." in view(client, "/wenzheng/mine", resident)

        sent = submit_form(client, "/wenzheng/new", {**typed, "title": TITLE}, resident, files=photo)
        assert sent.history and sent.history[0].status_code == 303
        assert re.fullmatch(r"http://testserver\.local/wenzheng/[\w-]+\?sent=1", str(sent.url)), sent.url
        token = str(sent.url).split("/wenzheng/")[1].split("?")[0]
        page = sent.text
        number = re.search(r"Sent\. Your tracking number is (\d{14}); you will be told at every step\.", text(page))
        assert number, text(page)
        number = number.group(1)
        assert f"求助 · {number}" in text(page)
        assert text(part(page, r"<h1>.*?</h1>")) == f"{TITLE} 待受理"
        assert BODY in page and ADDRESS in page and "13800138001" in page  # all of it, for its writer
        assert len(timeline(page)) == 1 and timeline(page)[0].startswith("提交")
        gallery = part(page, r'<div class="gallery">.*?</div>')
        photo_url, thumb = re.search(r'<a href="([^"]+)"><img src="([^"]+)" alt="Photo"></a>', gallery).groups()
        for url in (photo_url, thumb):
            image = client.get(url)
            assert image.status_code == 200 and image.headers["content-type"].startswith("image/"), url
            assert Image.open(io.BytesIO(image.content)).size[0] > 0
        assert "Sent." not in view(client, f"/wenzheng/{token}", resident)  # the notice is for the moment of sending

        mine = view(client, "/wenzheng/mine", resident)
        assert f'<a href="/wenzheng/{token}">{TITLE}</a>' in mine and f"{TITLE} 待受理 {number}" in text(mine)
        assert "You have not written any inquiry yet." in view(client, "/wenzheng/mine", people.token("neighbour"))
        # Not on the board, nor readable by others, before it is accepted.
        view(client, f"/wenzheng/{token}", people.token("neighbour"), status=404)
        assert "No public inquiries yet." in text(view(client, "/wenzheng"))

        # The dispatcher accepts it: the resident's page and list say so, and the timeline grows.
        people.act("dispatcher", token, "accept")
        page = view(client, f"/wenzheng/{token}", resident)
        assert text(part(page, r"<h1>.*?</h1>")) == f"{TITLE} 已受理"
        assert [step.split()[0] for step in timeline(page)] == ["提交", "受理"]
        assert "To be handled by" in text(page)
        assert f"{TITLE} 已受理" in text(view(client, "/wenzheng/mine", resident))
        # Now public: readers see it, masked, and without the photos.
        public = view(client, f"/wenzheng/{token}")
        assert "138****8001" in text(public) and "天通苑北一区*号楼" in text(public)
        assert 'class="gallery"' not in public and photo_url not in public


def test_once_replied_only_its_resident_may_rate_and_satisfied_closes_it(newsplus_app) -> None:
    with TestClient(newsplus_app(["wenzheng"])) as client:
        people = District(client)
        token = people.write()
        private = people.write(title="我家门口的私事", public=False)
        resident, neighbour = people.token("resident"), people.token("neighbour")
        for each in (token, private):
            people.walk(each, to="signed")
        assert "Are you satisfied" not in view(client, f"/wenzheng/{token}", resident)  # not replied yet
        for each in (token, private):
            people.act("liaison", each, "reply", note="已安排环卫车辆清运。")

        # A private inquiry is not found for anyone but its resident (and the staff on it).
        for who in (neighbour, None):
            page = view(client, f"/wenzheng/{private}", who, status=404)
            assert "No such inquiry" in text(page) and "我家门口的私事" not in page
        page = view(client, f"/wenzheng/{private}", resident)
        assert text(part(page, r"<h1>.*?</h1>")) == "我家门口的私事 已答复" and PHONE in page
        assert "我家门口的私事" not in view(client, "/wenzheng")
        assert "No such inquiry" in text(view(client, "/wenzheng/no-such-token", status=404))

        page = view(client, f"/wenzheng/{token}", resident)
        form = part(page, rf'<form method="post" action="/wenzheng/{token}/rate".*?</form>')
        assert "Are you satisfied with the reply?" in text(form)
        assert re.findall(r'name="rating" value="(\w+)"', form) == ["satisfied", "basically_satisfied", "dissatisfied"]
        assert "满意 基本满意 不满意" in text(form)
        for other in (neighbour, None):
            public = view(client, f"/wenzheng/{token}", other)
            assert "已安排环卫车辆清运。" in public and f"/wenzheng/{token}/rate" not in public
        # Another resident posting the form by hand is refused.
        refused = submit_form(client, f"/wenzheng/{token}/rate", {"rating": "satisfied"}, neighbour)
        assert refused.status_code == 403 and "Only the resident who wrote it can rate it" in text(refused.text)

        rated = submit_form(client, f"/wenzheng/{token}/rate", {"rating": "satisfied", "comment": "很快"}, resident)
        assert str(rated.url).endswith(f"/wenzheng/{token}")
        assert text(part(rated.text, r"<h1>.*?</h1>")) == f"{TITLE} 已办结"
        assert "Are you satisfied" not in rated.text
        steps = timeline(rated.text)
        assert steps[-1].startswith("评价") and "很快" in steps[-1]
        assert f"{TITLE} 已办结" in text(view(client, "/wenzheng/mine", resident))
        assert "已办结" in text(board_cards(view(client, "/wenzheng"))[0])

        # 不满意 sends the private one back to the department; the resident sees it being handled again.
        again = submit_form(
            client, f"/wenzheng/{private}/rate", {"rating": "dissatisfied", "comment": "没清完"}, resident
        )
        assert text(part(again.text, r"<h1>.*?</h1>")) == "我家门口的私事 已转办"
        assert [s.split()[0] for s in timeline(again.text)][-2:] == ["评价", "重新办理"]
        assert "Are you satisfied" not in again.text


def test_markup_in_the_title_and_body_is_shown_as_text_everywhere(newsplus_app) -> None:
    with TestClient(newsplus_app(["wenzheng"])) as client:
        people = District(client)
        title = '<script>alert("t")</script>垃圾'
        body = '<img src=x onerror="alert(1)">垃圾堆了一周<b>没人管</b>'
        token = people.write(title=title, body=body)
        people.act("dispatcher", token, "accept")
        pages = {
            "board": view(client, "/wenzheng"),
            "inquiry": view(client, f"/wenzheng/{token}"),
            "mine": view(client, "/wenzheng/mine", people.token("resident")),
            "console": view(client, "/desk/wenzheng?status=accepted", people.token("dispatcher")),
            "detail": view(client, f"/desk/wenzheng/{token}", people.token("dispatcher")),
        }
        for name, page in pages.items():
            assert "<script>alert" not in page and "<img src=x" not in page and "<b>没人管" not in page, name
            assert title in text(page), name
        for name in ("board", "inquiry", "detail"):
            assert "&lt;img src=x onerror=" in pages[name] and body in text(pages[name]), name


# -- desk: console, detail actions, queue, rates, rules -----------------------------------------------


def test_the_console_lists_new_inquiries_under_to_accept_with_counts(newsplus_app) -> None:
    with TestClient(newsplus_app(["wenzheng"])) as client:
        people = District(client)
        dispatcher = people.token("dispatcher")
        assert desk_rows(view(client, "/desk/wenzheng", dispatcher)) == ["Nothing here."]
        first = people.write(title="路灯不亮")
        second = people.write()
        accepted = people.write(title="已经受理的问政")
        people.act("dispatcher", accepted, "accept")

        page = view(client, "/desk/wenzheng", dispatcher)
        tabs = part(page, r'<nav class="channel-tabs">.*?</nav>')
        assert '<a class="tag active" href="/desk/wenzheng?status=submitted">待受理 (2)</a>' in tabs
        assert '<a class="tag" href="/desk/wenzheng?status=accepted">待转办 (1)</a>' in tabs
        assert '<a class="tag" href="/desk/wenzheng?status=dispatched">待签收</a>' in tabs
        rows = desk_rows(page)
        # The oldest first: it is the nearest to its deadline.
        assert len(rows) == 2 and rows[1].split()[1:3] == [TITLE, "待受理"]
        assert "路灯不亮" in rows[0] and "天通苑北街道" in rows[1]
        assert f'href="/desk/wenzheng/{second}"' in page and f'href="/desk/wenzheng/{first}"' in page
        assert "已经受理的问政" not in page
        assert "已经受理的问政" in text(view(client, "/desk/wenzheng?status=accepted", dispatcher))
        # Department handlers and residents have no console.
        refused = view(client, "/desk/wenzheng", people.token("liaison"), status=403)
        assert "You do not have permission to do this" in text(refused) and "路灯不亮" not in refused
        refused = view(client, "/desk/wenzheng", people.token("resident"), status=403)
        assert "You do not have permission to do this" in text(refused) and "路灯不亮" not in refused


def test_the_detail_page_walks_an_inquiry_from_accept_to_reply(newsplus_app) -> None:
    with TestClient(newsplus_app(["wenzheng"])) as client:
        people = District(client)
        dispatcher, liaison, outsider = (people.token(w) for w in ("dispatcher", "liaison", "outsider"))
        # A routing rule sends sanitation in this street to the street office.
        rules = view(client, "/desk/wenzheng/rules", dispatcher)
        assert "No rules yet" in text(rules)
        submit_form(
            client,
            "/desk/wenzheng/rules",
            {"category": "sanitation", "street": str(people.street), "department": str(people.street)},
            dispatcher,
        )
        token = people.write()
        url = f"/desk/wenzheng/{token}"

        page = view(client, url, dispatcher)
        assert re.fullmatch(rf"\d{{14}} · {TITLE}", text(part(page, r"<h1>.*?</h1>")))
        assert actions(page, token) == {"accept", "reject", "merge"}
        assert "Sign for it" not in page
        assert PHONE in page and ADDRESS in page  # staff see every detail
        assert len(timeline(page)) == 1
        # A rejection needs a reason: the page comes back saying so, nothing done.
        refused = submit_form(client, url, {"action": "reject", "note": " "}, dispatcher)
        assert refused.status_code == 400
        assert text(part(refused.text, r'<p class="error" role="alert">.*?</p>')) == "Say why"
        assert actions(refused.text, token) == {"accept", "reject", "merge"} and len(timeline(refused.text)) == 1

        page = submit_form(client, url, {"action": "accept", "days": ""}, dispatcher).text
        assert "已受理" in text(part(page, r"<p>.*?</p>"))
        assert actions(page, token) == {"dispatch", "deadline"}
        select = part(action_form(page, token, "dispatch"), r'<select name="department">.*?</select>')
        assert f'<option value="{people.street}" selected>天通苑北街道</option>' in select
        assert f'<option value="{people.other}">区城市管理委</option>' in select
        assert len(timeline(page)) == 2
        assert '<input name="days" type="number" min="1" max="60" required>' in action_form(page, token, "deadline")

        page = submit_form(client, url, {"action": "dispatch", "department": str(people.street)}, dispatcher).text
        assert "已转办" in text(part(page, r"<p>.*?</p>"))
        assert "sign" not in actions(page, token)  # the dispatcher does not sign for a department
        assert timeline(page)[-1].split(" · ")[1:] == ["dispatch", "天通苑北街道"]

        refused = view(client, url, outsider, status=403)
        assert "This inquiry was not dispatched to your department" in text(refused) and PHONE not in refused
        page = view(client, url, liaison)
        assert actions(page, token) == {"sign", "return"}
        # Replying before signing, posted by hand, brings the page back with the reason.
        refused = submit_form(client, url, {"action": "reply", "note": "已清运"}, liaison)
        assert refused.status_code == 409
        assert "This inquiry is 已转办; it cannot be replied to now" in text(
            part(refused.text, r'<p class="error" role="alert">.*?</p>')
        )
        assert actions(refused.text, token) == {"sign", "return"} and len(timeline(refused.text)) == 3

        page = submit_form(client, url, {"action": "sign"}, liaison).text
        assert "已签收" in text(part(page, r"<p>.*?</p>"))
        assert actions(page, token) == {"progress", "reply", "return"}
        page = submit_form(client, url, {"action": "progress", "note": "已协调外运车辆"}, liaison).text
        assert "办理中" in text(part(page, r"<p>.*?</p>"))
        assert timeline(page)[-1].endswith("progress · 天通苑北街道 · 已协调外运车辆")
        page = submit_form(client, url, {"action": "reply", "note": "经协调，垃圾已全部清运。"}, liaison).text
        assert "已答复" in text(part(page, r"<p>.*?</p>"))
        assert "Reply： 经协调，垃圾已全部清运。" in text(page)
        assert [step.split(" · ")[1] for step in timeline(page)] == [
            "submit",
            "accept",
            "dispatch",
            "sign",
            "progress",
            "reply",
        ]
        assert actions(page, token) == set()  # nothing left for the liaison: the resident rates it
        assert actions(view(client, url, dispatcher), token) == {"close"}
        # The resident sees the same steps in Chinese.
        steps = timeline(view(client, f"/wenzheng/{token}", people.token("resident")))
        assert [s.split()[0] for s in steps] == ["提交", "受理", "转办", "签收", "办理进展", "答复"]


def test_the_accept_and_merge_forms_carry_their_inputs(newsplus_app) -> None:
    with TestClient(newsplus_app(["wenzheng"])) as client:
        people = District(client)
        dispatcher = people.token("dispatcher")
        first = people.write()
        again = people.write(title="垃圾还是没人清运")
        page = view(client, f"/desk/wenzheng/{again}", dispatcher)
        assert "&lt;input" not in page
        assert '<input name="into" placeholder="token of the first inquiry">' in action_form(page, again, "merge")
        merged = submit_form(client, f"/desk/wenzheng/{again}", {"action": "merge", "into": first}, dispatcher)
        assert "已合并" in text(part(merged.text, r"<p>.*?</p>"))

        # A complex case needs its handling deadline, typed into the accept form.
        planning = people.write(category="planning", title="小区旁边要建变电站吗？")
        page = view(client, f"/desk/wenzheng/{planning}", dispatcher)
        accept = action_form(page, planning, "accept")
        assert '<input name="days" type="number" min="1" max="60" placeholder="Working days (complex cases)">' in accept
        accepted = submit_form(client, f"/desk/wenzheng/{planning}", {"action": "accept", "days": "10"}, dispatcher)
        assert "已受理" in text(part(accepted.text, r"<p>.*?</p>")) and "Handle by" in text(accepted.text)


def test_a_refused_photo_brings_the_form_back_without_sending_the_inquiry(newsplus_app) -> None:
    with TestClient(newsplus_app(["wenzheng"])) as client:
        people = District(client)
        resident = people.token("resident")
        view(client, "/wenzheng/new", resident)
        typed = {"kind": "help", "category": "sanitation", "title": TITLE, "body": BODY}
        not_an_image = [("photos", ("notes.txt", b"not an image at all", "text/plain"))]
        again = submit_form(client, "/wenzheng/new", typed, resident, files=not_an_image)
        assert "Only JPEG, PNG, GIF and WebP images can be uploaded" in text(again.text)
        assert f'value="{TITLE}"' in again.text  # the form is back as typed, to send again ...
        # ... and nothing was sent yet, so sending it again does not make a second inquiry.
        assert "You have not written any inquiry yet." in view(client, "/wenzheng/mine", resident)


def test_a_number_field_of_a_category_is_read_from_the_form(newsplus_app) -> None:
    floor = {"name": "floor", "label": "楼层", "type": "number", "required": True}
    categories = [{"code": "heating", "name": "供暖供热", "fields": [floor]}]
    with TestClient(
        newsplus_app(["wenzheng"], settings={"plugins": {"wenzheng": {"categories": categories}}})
    ) as client:
        people = District(client)
        resident = people.token("resident")
        form = view(client, "/wenzheng/new?category=heating", resident)
        assert '楼层 <input name="extra.floor" value="" required>' in form
        typed = {
            "kind": "help",
            "category": "heating",
            "title": "暖气不热",
            "body": "家里暖气只有十五度。",
            "extra.floor": "3",
        }
        sent = submit_form(client, "/wenzheng/new", typed, resident)
        assert "楼层 must be a number" not in text(sent.text)
        assert "Your tracking number is" in text(sent.text)


def test_the_desk_shows_what_the_resident_wrote_in_the_categorys_own_fields(newsplus_app) -> None:
    with TestClient(newsplus_app(["wenzheng"])) as client:
        people = District(client)
        resident = people.token("resident")
        form = view(client, "/wenzheng/new?category=sanitation", resident)
        assert '具体位置 <input name="extra.spot" value="">' in form
        typed = {
            "kind": "complaint",
            "category": "sanitation",
            "title": TITLE,
            "body": BODY,
            "extra.spot": "东门垃圾站",
        }
        sent = submit_form(client, "/wenzheng/new", typed, resident)
        token = str(sent.url).split("/wenzheng/")[1].split("?")[0]
        stored = client.get(f"/api/v1/wenzheng/inquiries/{token}", headers=people.api("dispatcher")).json()
        assert stored["extra"] == {"spot": "东门垃圾站"}  # it was kept; only the desk page leaves it out
        page = view(client, f"/desk/wenzheng/{token}", people.token("dispatcher"))
        assert "具体位置" in text(page) and "东门垃圾站" in text(page)


def test_a_rule_naming_a_department_that_is_gone_is_refused_with_a_reason(newsplus_app) -> None:
    with TestClient(newsplus_app(["wenzheng"])) as client:
        people = District(client)
        dispatcher = people.token("dispatcher")
        view(client, "/desk/wenzheng/rules", dispatcher)  # then the department is removed, say, and the form sent
        for fields in ({"department": "99999"}, {"street": "99999", "department": str(people.street)}):
            refused = submit_form(client, "/desk/wenzheng/rules", {"category": "", "street": "", **fields}, dispatcher)
            assert "Something went wrong" not in text(refused.text)
            assert refused.status_code == 400 and "Please choose from the list" in text(refused.text)
        assert "No rules yet" in text(view(client, "/desk/wenzheng/rules", dispatcher))


def test_the_queue_shows_a_liaison_only_their_departments_inquiries(newsplus_app) -> None:
    with TestClient(newsplus_app(["wenzheng"])) as client:
        people = District(client)
        ours = people.write(title="街道的问政")
        theirs = people.write(title="城管委的问政")
        people.write(title="还没转办的问政")
        people.walk(ours, to="dispatched")
        people.walk(theirs, to="signed", department=people.other)

        page = view(client, "/desk/wenzheng/queue", people.token("liaison"))
        rows = desk_rows(page)
        assert len(rows) == 1 and "街道的问政 已转办" in rows[0] and "天通苑北街道" in rows[0]
        assert f'href="/desk/wenzheng/{ours}"' in page and "城管委的问政" not in page and "还没转办" not in page
        page = view(client, "/desk/wenzheng/queue", people.token("outsider"))
        assert [r for r in desk_rows(page) if "城管委的问政 已签收" in r] and "街道的问政" not in page
        # a dispatcher works across departments: the queue shows every department's dispatched inquiries
        page = view(client, "/desk/wenzheng/queue", people.token("dispatcher"))
        assert "街道的问政" in page and "城管委的问政" in page and "还没转办" not in page


def test_the_rates_page_shows_percentages_to_a_supervisor_only(newsplus_app) -> None:
    with frozen_clock(MORNING) as clock, TestClient(newsplus_app(["wenzheng"])) as client:
        people = District(client)
        done = people.write()
        people.walk(done, to="signed")
        clock.advance(hours=6)
        people.act("liaison", done, "reply", note="已清运。")
        rated = client.post(
            f"/api/v1/wenzheng/inquiries/{done}/rate", json={"rating": "satisfied"}, headers=people.api("resident")
        )
        assert rated.status_code == 200, rated.text
        people.write(title="第二件还在等")

        page = view(client, "/desk/wenzheng/rates?month=2026-11", people.token("supervisor"))
        assert "Rates · 2026-11" in text(page)
        assert 'type="month" name="month" value="2026-11"' in page
        assert '<a href="/api/v1/wenzheng/rates?month=2026-11&amp;by=department&amp;format=csv">' in page
        rows = desk_rows(page)
        assert len(rows) == 2
        # The street office: one received and dispatched, answered in time, closed satisfied.
        assert rows[0] == "1 天通苑北街道 1 100.0% 100.0% 100.0% 100.0% 6.0"
        # Not yet dispatched: received, not yet answered, nothing to rate.
        assert rows[1] == "2 — 1 0.0% — — — —"
        assert 'width="120.0"' in page
        empty = view(client, "/desk/wenzheng/rates?month=2026-10", people.token("supervisor"))
        assert desk_rows(empty) == ["No inquiries this month."]
        # The CSV link works from the desk, with the session cookie.
        csv = client.get("/api/v1/wenzheng/rates?month=2026-11&by=department&format=csv")
        assert csv.headers["content-type"].startswith("text/csv") and "天通苑北街道,1,1,1,1,1.0" in csv.text
        refused = view(client, "/desk/wenzheng/rates?month=2026-11", people.token("liaison"), status=403)
        assert "You do not have permission to do this" in text(refused) and "100.0%" not in refused


def test_the_rules_page_adds_and_removes_a_rule_and_a_template_prefills_the_reply(newsplus_app) -> None:
    with TestClient(newsplus_app(["wenzheng"])) as client:
        people = District(client)
        dispatcher = people.token("dispatcher")
        page = view(client, "/desk/wenzheng/rules", dispatcher)
        assert "No rules yet: every inquiry is dispatched by hand." in text(page)
        assert "No templates yet." in text(page)
        added = submit_form(
            client,
            "/desk/wenzheng/rules",
            {"category": "noise", "street": "", "department": str(people.other)},
            dispatcher,
        )
        assert str(added.url).endswith("/desk/wenzheng/rules")
        rows = desk_rows(part(added.text, r"<table.*?</table>"))
        assert rows == ["噪音扰民 Any 区城市管理委 Remove"]
        rule = re.search(r'<button name="remove" value="(\d+)"', added.text).group(1)

        removed = submit_form(client, "/desk/wenzheng/rules", {"remove": rule}, dispatcher)
        assert "No rules yet" in text(removed.text) and "区城市管理委 Remove" not in text(removed.text)

        template = "您好，您反映的问题已转交环卫所处理，将于两个工作日内清运完毕。"
        with_template = submit_form(
            client,
            "/desk/wenzheng/rules",
            {"template_title": "清运答复", "template_body": template, "template_category": "sanitation"},
            dispatcher,
        )
        assert "清运答复 · 您好" in text(part(with_template.text, r"<h2>Reply templates</h2>.*?</ul>"))

        token = people.write()
        people.walk(token, to="signed")
        page = view(client, f"/desk/wenzheng/{token}", people.token("liaison"))
        reply = action_form(page, token, "reply")
        assert f'<textarea name="note" rows="4" required>{template}</textarea>' in reply
        assert "Templates: 清运答复" in text(reply)
        # A template of another category is not offered.
        other = people.write(category="noise", title="夜间施工噪音")
        people.walk(other, to="signed")
        reply = action_form(view(client, f"/desk/wenzheng/{other}", people.token("liaison")), other, "reply")
        assert '<textarea name="note" rows="4" required></textarea>' in reply and "清运答复" not in reply
        # Department handlers cannot change the rules.
        refused = view(client, "/desk/wenzheng/rules", people.token("liaison"), status=403)
        assert "You do not have permission to do this" in text(refused) and "清运答复" not in refused
