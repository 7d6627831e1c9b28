"""Signing in and out: residents by SMS code, staff by password, sessions, login pages and route guards."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from litestar.testing import TestClient

from newsplus.testing import bearer, call, login_resident, login_staff, sms_codes
from newsplus.users.tables import Session, VerificationCode

PHONE = "13800138000"
EN = {"Accept-Language": "en"}
HTML = {"Accept": "text/html"}
# Codes may be asked for again at once, so a test can sign the same number in twice.
NO_CODE_INTERVAL = {"plugins": {"users": {"code_interval_seconds": 0}}}


def send_code(client: TestClient, phone: str = PHONE) -> str:
    """Ask for a login code over the API; return the code the SMS carried."""
    sent = client.post("/api/v1/auth/code", json={"phone": phone})
    assert sent.status_code == 202, sent.text
    return latest_code(client, phone)


def latest_code(client: TestClient, phone: str = PHONE) -> str:
    return [code for to, code in sms_codes(client.app) if to == phone][-1]


def code_login(client: TestClient, phone: str, code: str, headers: dict | None = None):
    return client.post(
        "/api/v1/auth/login/code", json={"phone": phone, "code": code}, headers=EN if headers is None else headers
    )


def wrong(code: str) -> str:
    """A code of the same length that is surely not ``code``."""
    return "".join(str((int(c) + 1) % 10) for c in code)


def me(client: TestClient, token: str):
    return client.get("/api/v1/me", headers={**bearer(token), **EN})


def csrf_token(client: TestClient, page: str = "/login") -> str:
    """GET a page (which sets the CSRF cookie) and return the token a form must post back."""
    response = client.get(page, headers=HTML)
    assert response.status_code == 200, response.text
    token = client.cookies.get("newsplus_csrf")
    assert token
    return token


def expire_codes(client: TestClient, phone: str) -> None:
    async def expire() -> None:
        past = datetime.now(UTC) - timedelta(minutes=1)
        await VerificationCode.update({VerificationCode.expires_at: past}).where(VerificationCode.phone == phone)

    call(client, expire)


# -- resident code login over the API ------------------------------------------------------------------


def test_code_request_is_accepted_and_says_how_long_the_code_lives(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        sent = client.post("/api/v1/auth/code", json={"phone": "+86 138-0013-8000"})
        assert sent.status_code == 202
        assert sent.json() == {"expires_in": 300}
        # The number is normalised before the SMS goes out, and the code has six digits.
        [(to, code)] = sms_codes(client.app)
        assert to == PHONE
        assert len(code) == 6 and code.isdigit()


def test_code_login_returns_a_bearer_token_and_me_shows_a_resident(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        code = send_code(client)
        response = code_login(client, PHONE, code)
        assert response.status_code == 200
        body = response.json()
        assert body["token_type"] == "bearer"
        assert body["token"]
        assert body["user"]["phone"] == PHONE
        # The API is exempt from CSRF checks, so its login never hands a browser a session cookie.
        assert "newsplus_session" not in response.cookies

        client.cookies.clear()
        mine = me(client, body["token"])
        assert mine.status_code == 200
        assert mine.json()["kind"] == "resident"
        assert mine.json()["roles"] == ["resident"]
        assert mine.json()["phone"] == PHONE
        assert mine.json()["display_name"] == "居民8000"


def test_first_code_login_creates_the_account_and_the_next_one_reuses_it(newsplus_app) -> None:
    with TestClient(newsplus_app(settings=NO_CODE_INTERVAL)) as client:
        first = code_login(client, PHONE, send_code(client))
        second = code_login(client, PHONE, send_code(client))
        assert first.status_code == second.status_code == 200
        assert first.json()["token"] != second.json()["token"]
        assert first.json()["user"]["id"] == second.json()["user"]["id"]
        # Another number is another account.
        other = code_login(client, "13900139000", send_code(client, "13900139000"))
        assert other.json()["user"]["id"] != first.json()["user"]["id"]


def test_wrong_code_is_refused_with_401(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        code = send_code(client)
        refused = code_login(client, PHONE, wrong(code))
        assert refused.status_code == 401
        assert refused.json()["detail"] == "The code is wrong"
        assert "newsplus_session" not in refused.cookies
        chinese = code_login(client, PHONE, wrong(code), headers={})
        assert chinese.status_code == 401
        assert chinese.json() == {"status_code": 401, "detail": "验证码错误"}


def test_five_wrong_codes_lock_the_code_even_for_the_right_one(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        code = send_code(client)
        for _ in range(5):
            assert code_login(client, PHONE, wrong(code)).status_code == 401
        locked = code_login(client, PHONE, code)
        assert locked.status_code == 429
        assert locked.json()["detail"] == "Too many wrong codes; please ask for a new one"
        assert int(locked.headers["Retry-After"]) > 0
        assert "newsplus_session" not in locked.cookies
        assert code_login(client, PHONE, code, headers={}).json()["detail"] == "验证码错误次数过多，请重新获取"


def test_a_new_code_after_the_lock_signs_the_resident_in(newsplus_app) -> None:
    with TestClient(newsplus_app(settings=NO_CODE_INTERVAL)) as client:
        code = send_code(client)
        for _ in range(5):
            code_login(client, PHONE, wrong(code))
        assert code_login(client, PHONE, code).status_code == 429
        fresh = code_login(client, PHONE, send_code(client))
        assert fresh.status_code == 200
        assert fresh.json()["user"]["phone"] == PHONE


def test_codes_per_number_per_day_are_capped(newsplus_app) -> None:
    settings = {"plugins": {"users": {"code_interval_seconds": 0, "codes_per_day": 3}}}
    with TestClient(newsplus_app(settings=settings)) as client:
        for _ in range(3):
            send_code(client)
        capped = client.post("/api/v1/auth/code", json={"phone": PHONE}, headers=EN)
        assert capped.status_code == 429
        assert capped.json()["detail"] == "Too many codes for this number today"
        assert int(capped.headers["Retry-After"]) > 0
        assert len(sms_codes(client.app)) == 3


def test_expired_code_is_refused_with_the_expiry_message(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        code = send_code(client)
        expire_codes(client, PHONE)
        refused = code_login(client, PHONE, code)
        assert refused.status_code == 401
        assert refused.json()["detail"] == "The code has expired; please ask for a new one"
        assert code_login(client, PHONE, code, headers={}).json()["detail"] == "验证码已过期，请重新获取"


def test_a_used_code_cannot_sign_in_again(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        code = send_code(client)
        assert code_login(client, PHONE, code).status_code == 200
        again = code_login(client, PHONE, code)
        assert again.status_code == 401
        assert again.json()["detail"] == "No valid code for this number; please ask for a new one"


def test_a_second_code_within_a_minute_is_rate_limited(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        send_code(client)
        again = client.post("/api/v1/auth/code", json={"phone": PHONE}, headers=EN)
        assert again.status_code == 429
        assert again.json()["detail"] == "A code was sent moments ago; please wait before asking again"
        assert 0 < int(again.headers["Retry-After"]) <= 60
        assert len(sms_codes(client.app)) == 1
        # Another number is not held up.
        assert client.post("/api/v1/auth/code", json={"phone": "13900139000"}).status_code == 202


def test_an_invalid_phone_is_refused_naming_the_field(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        for phone in ("12345", "23800138000", "1380013800a"):
            refused = client.post("/api/v1/auth/code", json={"phone": phone}, headers=EN)
            assert refused.status_code == 400, phone
            assert refused.json()["extra"]["field"] == "phone"
            assert refused.json()["detail"] == "Please enter a valid 11-digit mobile number"
        chinese = client.post("/api/v1/auth/code", json={"phone": "12345"})
        assert chinese.json()["detail"] == "请输入有效的 11 位手机号码"
        assert sms_codes(client.app) == []


# -- staff password login over the API ------------------------------------------------------------------


def test_staff_password_login_gives_a_token_for_the_staff_member(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        token = login_staff(client, "wang", roles=("editor",), password="correct-horse-battery")
        client.cookies.clear()
        mine = me(client, token)
        assert mine.status_code == 200
        assert mine.json()["kind"] == "staff"
        assert mine.json()["username"] == "wang"
        assert mine.json()["roles"] == ["editor"]
        assert mine.json()["phone"] is None


def test_wrong_password_and_unknown_username_get_the_same_401(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        login_staff(client, "wang", password="correct-horse-battery")
        client.cookies.clear()
        bad_password = client.post(
            "/api/v1/auth/login/password", json={"username": "wang", "password": "wrong-horse"}, headers=EN
        )
        unknown = client.post(
            "/api/v1/auth/login/password", json={"username": "nobody", "password": "wrong-horse"}, headers=EN
        )
        assert bad_password.status_code == unknown.status_code == 401
        assert bad_password.json() == unknown.json() == {"status_code": 401, "detail": "Wrong username or password"}
        assert "newsplus_session" not in bad_password.cookies
        chinese = client.post("/api/v1/auth/login/password", json={"username": "nobody", "password": "x"})
        assert chinese.json()["detail"] == "用户名或密码错误"


def test_a_resident_cannot_sign_in_with_a_password(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        login_resident(client, PHONE)
        refused = client.post(
            "/api/v1/auth/login/password", json={"username": PHONE, "password": "anything-at-all"}, headers=EN
        )
        assert refused.status_code == 401


def test_ten_failed_logins_for_one_username_are_rate_limited(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        login_staff(client, "wang", password="correct-horse-battery")
        for _ in range(10):
            failed = client.post("/api/v1/auth/login/password", json={"username": "wang", "password": "guess-guess"})
            assert failed.status_code == 401
        limited = client.post(
            "/api/v1/auth/login/password", json={"username": "wang", "password": "correct-horse-battery"}, headers=EN
        )
        assert limited.status_code == 429
        assert int(limited.headers["Retry-After"]) > 0
        assert limited.json()["detail"] == "Too many attempts, try again later"
        # The limit is per username: another account still signs in.
        assert login_staff(client, "li", password="correct-horse-battery")


def test_padding_the_username_does_not_escape_the_login_limit(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        login_staff(client, "wang", password="correct-horse-battery")
        for _ in range(10):
            failed = client.post("/api/v1/auth/login/password", json={"username": "wang", "password": "guess-guess"})
            assert failed.status_code == 401
        # " wang" signs in as wang (the name is stripped), so it must count against wang's limit too.
        padded = client.post(
            "/api/v1/auth/login/password", json={"username": " wang", "password": "correct-horse-battery"}
        )
        assert padded.status_code == 429


# -- sessions --------------------------------------------------------------------------------------------


def test_logout_ends_the_session_and_its_token(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        token = login_resident(client, PHONE)
        assert me(client, token).status_code == 200
        out = client.post("/api/v1/auth/logout", headers=bearer(token))
        assert out.status_code == 204
        assert "Max-Age=0" in out.headers["set-cookie"]
        assert not client.cookies.get("newsplus_session")  # the browser forgets the cookie
        client.cookies.clear()
        gone = me(client, token)
        assert gone.status_code == 401
        assert gone.json()["detail"] == "Please sign in first"


def test_sessions_list_marks_the_current_one(newsplus_app) -> None:
    with TestClient(newsplus_app(settings=NO_CODE_INTERVAL)) as client:
        phone_token = code_login(client, PHONE, send_code(client), headers={"User-Agent": "PhoneApp/1.0"}).json()
        laptop_token = login_resident(client, PHONE)
        sessions = client.get("/api/v1/me/sessions", headers=bearer(laptop_token))
        assert sessions.status_code == 200
        rows = sessions.json()
        assert len(rows) == 2
        assert [row["current"] for row in rows] == [True, False]  # newest first
        assert rows[1]["client"] == "PhoneApp/1.0"
        assert rows[0]["expires_at"] > rows[0]["created_at"]
        from_phone = client.get("/api/v1/me/sessions", headers=bearer(phone_token["token"])).json()
        assert [row["current"] for row in from_phone] == [False, True]


def test_an_expired_session_is_no_longer_listed(newsplus_app) -> None:
    with TestClient(newsplus_app(settings=NO_CODE_INTERVAL)) as client:
        old = login_resident(client, PHONE)
        current = login_resident(client, PHONE)
        client.cookies.clear()
        [old_id] = [row["id"] for row in client.get("/api/v1/me/sessions", headers=bearer(current)).json()[1:]]

        async def expire() -> None:
            past = datetime.now(UTC) - timedelta(minutes=1)
            await Session.update({Session.expires_at: past}).where(Session.id == old_id)

        call(client, expire)
        assert me(client, old).status_code == 401  # the expired token no longer signs in...
        rows = client.get("/api/v1/me/sessions", headers=bearer(current)).json()
        assert [row["current"] for row in rows] == [True]  # ...so it is not a signed-in device either


def test_revoking_another_device_kills_that_token_only(newsplus_app) -> None:
    with TestClient(newsplus_app(settings=NO_CODE_INTERVAL)) as client:
        phone = login_resident(client, PHONE)
        laptop = login_resident(client, PHONE)
        client.cookies.clear()
        rows = client.get("/api/v1/me/sessions", headers=bearer(laptop)).json()
        [other] = [row["id"] for row in rows if not row["current"]]
        revoked = client.delete(f"/api/v1/me/sessions/{other}", headers=bearer(laptop))
        assert revoked.status_code == 204
        assert me(client, phone).status_code == 401
        assert me(client, laptop).status_code == 200
        assert [row["current"] for row in client.get("/api/v1/me/sessions", headers=bearer(laptop)).json()] == [True]


def test_revoking_someone_elses_session_is_404_and_leaves_it_alive(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        mine = login_resident(client, PHONE)
        theirs = login_resident(client, "13900139000")
        client.cookies.clear()
        [their_session] = client.get("/api/v1/me/sessions", headers=bearer(theirs)).json()
        refused = client.delete(f"/api/v1/me/sessions/{their_session['id']}", headers={**bearer(mine), **EN})
        assert refused.status_code == 404
        assert refused.json()["detail"] == "No such session"
        assert me(client, theirs).status_code == 200


# -- login pages -----------------------------------------------------------------------------------------


def test_login_page_shows_the_code_form_and_the_password_form(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        response = client.get("/login?next=/me", headers=HTML)
        assert response.status_code == 200
        html = response.text
        assert 'action="/login/code/send"' in html
        assert 'name="phone"' in html
        assert 'action="/login/password"' in html
        assert 'name="username"' in html and 'name="password"' in html
        assert 'name="next" value="/me"' in html
        assert "居民：手机号验证码登录" in html


def test_login_forms_carry_a_csrf_field_a_browser_can_post_back(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        html = client.get("/login", headers=HTML).text
        cookie = client.cookies.get("newsplus_csrf")
        assert cookie
        # Each form holds a real hidden input (not escaped text) carrying the token of the cookie.
        assert "&lt;input" not in html
        fields = re.findall(r'<input type="hidden" name="_csrf_token" value="([^"]+)"', html)
        assert fields == [cookie, cookie]
        # What a browser would post from the page is accepted.
        sent = client.post("/login/code/send", data={"phone": PHONE, "_csrf_token": fields[0]})
        assert sent.status_code == 200
        assert len(sms_codes(client.app)) == 1


def test_resident_signs_in_through_the_forms_and_sees_the_masked_phone(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        token = csrf_token(client, "/login?next=/me")
        step = client.post("/login/code/send", data={"phone": PHONE, "next": "/me", "_csrf_token": token})
        assert step.status_code == 200
        assert 'action="/login/code"' in step.text
        assert 'name="code"' in step.text
        assert "验证码已发送到您的手机" in step.text
        code = latest_code(client)

        signed_in = client.post(
            "/login/code",
            data={"phone": PHONE, "code": code, "next": "/me", "_csrf_token": token},
            follow_redirects=False,
        )
        assert signed_in.status_code == 303
        assert signed_in.headers["location"] == "/me"
        assert signed_in.cookies.get("newsplus_session")

        page = client.get("/me", headers=HTML)
        assert page.status_code == 200
        assert "138****8000" in page.text
        assert PHONE not in page.text
        assert "居民8000" in page.text


def test_wrong_code_on_the_form_shows_the_error_and_keeps_the_code_step(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        token = csrf_token(client)
        client.post("/login/code/send", data={"phone": PHONE, "_csrf_token": token})
        refused = client.post(
            "/login/code", data={"phone": PHONE, "code": wrong(latest_code(client)), "_csrf_token": token}
        )
        assert refused.status_code == 401
        assert "验证码错误" in refused.text
        assert 'action="/login/code"' in refused.text
        assert "newsplus_session" not in refused.cookies


def test_staff_signs_in_through_the_password_form_and_lands_on_the_desk(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        login_staff(client, "wang", roles=("editor",), password="correct-horse-battery")
        client.cookies.clear()
        token = csrf_token(client)
        signed_in = client.post(
            "/login/password",
            data={"username": "wang", "password": "correct-horse-battery", "_csrf_token": token},
            follow_redirects=False,
        )
        assert signed_in.status_code == 303
        assert signed_in.headers["location"] == "/desk"
        assert signed_in.cookies.get("newsplus_session")
        desk = client.get("/desk", headers=HTML)
        assert desk.status_code == 200
        assert "工作台" in desk.text
        assert "wang" in desk.text


def test_wrong_password_on_the_form_rerenders_the_page_with_a_chinese_error(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        login_staff(client, "wang", password="correct-horse-battery")
        client.cookies.clear()
        token = csrf_token(client)
        refused = client.post(
            "/login/password", data={"username": "wang", "password": "wrong-horse-battery", "_csrf_token": token}
        )
        assert refused.status_code == 401
        assert "用户名或密码错误" in refused.text
        assert 'action="/login/password"' in refused.text
        assert 'value="wang"' in refused.text  # the username is kept
        assert "wrong-horse-battery" not in refused.text  # the password is not echoed
        assert "newsplus_session" not in refused.cookies


def test_a_form_post_without_the_csrf_token_is_refused(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        csrf_token(client)
        refused = client.post("/login/code/send", data={"phone": PHONE}, headers=HTML)
        assert refused.status_code == 403
        assert "表单已过期，请刷新页面后重试" in refused.text
        forged = client.post("/login/code/send", data={"phone": PHONE, "_csrf_token": "forged"}, headers=EN)
        assert forged.status_code == 403
        assert forged.json()["detail"] == "This form has expired; please reload the page and try again"
        assert sms_codes(client.app) == []


def test_login_never_redirects_off_site(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        token = csrf_token(client, "/login?next=//evil.example")
        client.post("/login/code/send", data={"phone": PHONE, "next": "//evil.example", "_csrf_token": token})
        signed_in = client.post(
            "/login/code",
            data={"phone": PHONE, "code": latest_code(client), "next": "//evil.example", "_csrf_token": token},
            follow_redirects=False,
        )
        assert signed_in.status_code == 303
        assert signed_in.headers["location"] == "/"


def test_login_page_does_not_carry_an_off_site_next(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        for target in ("//evil.example", "https://evil.example/", "/\\evil.example"):
            page = client.get("/login", params={"next": target}, headers=HTML)
            assert "evil.example" not in page.text, target


def test_logout_form_signs_the_browser_out(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        token = login_resident(client, PHONE)
        client.cookies["newsplus_session"] = token
        csrf = csrf_token(client, "/me")
        out = client.post("/logout", data={"_csrf_token": csrf}, follow_redirects=False)
        assert out.status_code == 303
        assert out.headers["location"] == "/"
        assert me(client, token).status_code == 401
        after = client.get("/me", headers=HTML, follow_redirects=False)
        assert after.status_code in (302, 303, 307)


# -- guards ----------------------------------------------------------------------------------------------


def test_anonymous_desk_visit_is_sent_to_login_with_next(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        response = client.get("/desk", headers=HTML, follow_redirects=False)
        assert response.status_code in (302, 303, 307)
        location = urlsplit(response.headers["location"])
        assert location.path == "/login"
        assert parse_qs(location.query) == {"next": ["/desk"]}
        deeper = client.get("/desk/users?page=2&q=x", headers=HTML, follow_redirects=False)
        assert parse_qs(urlsplit(deeper.headers["location"]).query) == {"next": ["/desk/users?page=2&q=x"]}


def test_anonymous_api_caller_gets_401_json(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        response = client.get("/api/v1/me", headers=HTML)
        assert response.status_code == 401
        assert response.json() == {"status_code": 401, "detail": "请先登录"}
        assert client.get("/api/v1/me", headers=EN).json()["detail"] == "Please sign in first"
        assert client.get("/api/v1/me", headers=bearer("not-a-real-token")).status_code == 401


def test_resident_bearer_cannot_list_roles(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        token = login_resident(client, PHONE)
        client.cookies.clear()
        refused = client.get("/api/v1/roles", headers={**bearer(token), **EN})
        assert refused.status_code == 403
        assert refused.json()["detail"] == "You do not have permission to do this"


def test_resident_with_a_cookie_gets_a_403_page_at_the_desk(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        client.cookies["newsplus_session"] = login_resident(client, PHONE)
        refused = client.get("/desk", headers=HTML, follow_redirects=False)
        assert refused.status_code == 403
        assert refused.headers["content-type"].startswith("text/html")
        assert "此页面仅限工作人员访问" in refused.text


def test_api_writes_ignore_the_session_cookie(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        token = login_resident(client, PHONE)
        client.cookies["newsplus_session"] = token
        # A read may use the cookie; a write needs the bearer token.
        assert client.get("/api/v1/me").status_code == 200
        assert client.post("/api/v1/auth/logout").status_code == 401
        assert me(client, token).status_code == 200
