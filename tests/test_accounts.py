"""Accounts: departments, staff and their roles, a resident's profile, data export and deletion, desk pages."""

from __future__ import annotations

import re

from litestar.testing import TestClient

from newsplus.testing import bearer, login_resident, login_staff, sms_codes

PHONE = "13800138000"
PASSWORD = "correct-horse-battery"
EN = {"Accept-Language": "en"}
HTML = {"Accept": "text/html"}
BUILTIN_ROLES = {"admin", "editor", "reviewer", "chief_editor", "dispatcher", "department_handler", "resident"}


def auth(token: str) -> dict[str, str]:
    """The bearer header, asking for English messages."""
    return {**bearer(token), **EN}


def add_department(client: TestClient, token: str, name: str, kind: str = "bureau", parent: int | None = None):
    return client.post("/api/v1/departments", json={"name": name, "kind": kind, "parent": parent}, headers=auth(token))


def department(client: TestClient, token: str, name: str, kind: str = "bureau", parent: int | None = None) -> int:
    response = add_department(client, token, name, kind, parent)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def districts_tree(client: TestClient, token: str) -> dict[str, int]:
    """A bureau, a street with one community, and a second street with its own community."""
    ids = {"bureau": department(client, token, "区城市管理委", "bureau")}
    ids["street"] = department(client, token, "城北街道", "street")
    ids["community"] = department(client, token, "西关社区", "community", ids["street"])
    ids["other_street"] = department(client, token, "城南街道", "street")
    ids["other_community"] = department(client, token, "南环里社区", "community", ids["other_street"])
    return ids


def add_staff(client: TestClient, token: str, username: str, **fields):
    return client.post(
        "/api/v1/users", json={"username": username, "password": PASSWORD, **fields}, headers=auth(token)
    )


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    response = client.post("/api/v1/auth/login/password", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return response.json()["token"]


def me(client: TestClient, token: str) -> dict:
    response = client.get("/api/v1/me", headers=auth(token))
    assert response.status_code == 200, response.text
    return response.json()


# -- departments -----------------------------------------------------------------------------------------


def test_admin_builds_bureau_street_and_community_and_the_tree_nests_them(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        admin = login_staff(client, "admin")
        bureau = department(client, admin, "区城市管理委", "bureau")
        street = department(client, admin, "城北街道", "street")
        community = department(client, admin, "西关社区", "community", street)
        client.cookies.clear()

        tree = client.get("/api/v1/departments")  # the tree is public
        assert tree.status_code == 200
        assert tree.json() == [
            {"id": bureau, "name": "区城市管理委", "kind": "bureau", "parent": None, "code": "", "children": []},
            {
                "id": street,
                "name": "城北街道",
                "kind": "street",
                "parent": None,
                "code": "",
                "children": [
                    {
                        "id": community,
                        "name": "西关社区",
                        "kind": "community",
                        "parent": street,
                        "code": "",
                        "children": [],
                    }
                ],
            },
        ]


def test_a_duplicate_department_name_under_the_same_parent_conflicts(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        admin = login_staff(client, "admin")
        north = department(client, admin, "城北街道", "street")
        south = department(client, admin, "城南街道", "street")
        department(client, admin, "西关社区", "community", north)

        clash = add_department(client, admin, "西关社区", "community", north)
        assert clash.status_code == 409
        assert clash.json()["detail"] == "A department named 西关社区 exists here already"
        top_clash = client.post(
            "/api/v1/departments", json={"name": "城北街道", "kind": "street"}, headers=bearer(admin)
        )
        assert top_clash.status_code == 409
        assert top_clash.json()["detail"] == "此处已有名为 城北街道 的部门"
        # The same name under another parent is a different community.
        assert add_department(client, admin, "西关社区", "community", south).status_code == 201
        names = [c["name"] for s in client.get("/api/v1/departments").json() for c in s["children"]]
        assert names == ["西关社区", "西关社区"]


def test_a_department_under_an_unknown_parent_is_404(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        admin = login_staff(client, "admin")
        missing = add_department(client, admin, "西关社区", "community", 999_999)
        assert missing.status_code == 404
        assert missing.json()["detail"] == "No such parent department"
        assert client.get("/api/v1/departments").json() == []


def test_only_account_managers_may_add_departments(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        resident = login_resident(client, PHONE)
        editor = login_staff(client, "editor", roles=("editor",))
        client.cookies.clear()
        assert add_department(client, resident, "区城市管理委").status_code == 403
        assert add_department(client, editor, "区城市管理委").status_code == 403
        anonymous = client.post("/api/v1/departments", json={"name": "区城市管理委"})
        assert anonymous.status_code == 401
        assert client.get("/api/v1/departments").json() == []


# -- staff and roles -------------------------------------------------------------------------------------


def test_admin_creates_staff_who_sign_in_with_their_roles_and_department(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        admin = login_staff(client, "admin")
        bureau = department(client, admin, "区城市管理委")
        created = add_staff(client, admin, "zhang", display_name="张编辑", roles=["editor"], department=bureau)
        assert created.status_code == 201
        token = sign_in(client, "zhang")
        profile = me(client, token)
        assert profile["id"] == created.json()["id"]
        assert profile["kind"] == "staff"
        assert profile["display_name"] == "张编辑"
        assert profile["roles"] == ["editor"]
        # A role held within a department grants its permissions there, not district-wide.
        assert profile["permissions"] == []
        assert "content.edit" in profile["department_permissions"][str(bureau)]
        assert "users.manage" not in profile["department_permissions"][str(bureau)]
        assert profile["departments"] == [bureau]
        # An editor does not manage accounts.
        assert add_staff(client, token, "li", roles=["editor"]).status_code == 403


def test_admin_sees_every_permission_there_is(newsplus_app) -> None:
    app = newsplus_app()
    with TestClient(app) as client:
        admin = login_staff(client, "admin")
        assert set(me(client, admin)["permissions"]) == set(app.state.newsplus.permissions)
        assert {"users.manage", "content.edit"} <= set(me(client, admin)["permissions"])


def test_an_unknown_role_is_refused_and_no_account_is_made(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        admin = login_staff(client, "admin")
        refused = add_staff(client, admin, "zhang", roles=["editor", "overlord"])
        assert refused.status_code == 400
        assert refused.json()["detail"] == "Unknown role overlord"
        assert refused.json()["extra"]["field"] == "role"
        assert "editor" in refused.json()["extra"]["known"]
        chinese = client.post(
            "/api/v1/users",
            json={"username": "zhang", "password": PASSWORD, "roles": ["overlord"]},
            headers=bearer(admin),
        )
        assert chinese.json()["detail"] == "未知角色 overlord"
        failed = client.post("/api/v1/auth/login/password", json={"username": "zhang", "password": PASSWORD})
        assert failed.status_code == 401


def test_a_taken_username_conflicts(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        admin = login_staff(client, "admin")
        assert add_staff(client, admin, "zhang", roles=["editor"]).status_code == 201
        taken = add_staff(client, admin, "zhang", roles=["reviewer"], password="another-password")
        assert taken.status_code == 409
        assert taken.json()["detail"] == "The username zhang is taken"
        # The first account is untouched: same password, same role.
        assert me(client, sign_in(client, "zhang"))["roles"] == ["editor"]


def test_staff_fields_are_validated(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        admin = login_staff(client, "admin")
        short = client.post("/api/v1/users", json={"username": "zhang", "password": "short"}, headers=auth(admin))
        assert short.status_code == 400
        spaced = add_staff(client, admin, "zhang san")
        assert spaced.status_code == 400
        assert spaced.json()["extra"]["field"] == "username"


def test_granting_a_role_twice_is_harmless_and_revoking_removes_it(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        admin = login_staff(client, "admin")
        user_id = add_staff(client, admin, "zhang", roles=["editor"]).json()["id"]
        token = sign_in(client, "zhang")

        for _ in range(2):
            granted = client.post(f"/api/v1/users/{user_id}/grants", json={"role": "reviewer"}, headers=auth(admin))
            assert granted.status_code == 204
        assert me(client, token)["roles"] == ["editor", "reviewer"]
        assert "content.review" in me(client, token)["permissions"]

        revoked = client.delete(f"/api/v1/users/{user_id}/grants/reviewer", headers=auth(admin))
        assert revoked.status_code == 204
        assert me(client, token)["roles"] == ["editor"]
        assert "content.review" not in me(client, token)["permissions"]


def test_a_role_within_a_department_is_granted_and_revoked_there(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        admin = login_staff(client, "admin")
        bureau = department(client, admin, "区城市管理委")
        user_id = add_staff(client, admin, "handler").json()["id"]
        token = sign_in(client, "handler")
        grant = {"role": "department_handler", "department": bureau}
        assert client.post(f"/api/v1/users/{user_id}/grants", json=grant, headers=auth(admin)).status_code == 204
        assert me(client, token)["departments"] == [bureau]
        assert me(client, token)["roles"] == ["department_handler"]
        removed = client.delete(
            f"/api/v1/users/{user_id}/grants/department_handler", params={"department": bureau}, headers=auth(admin)
        )
        assert removed.status_code == 204
        assert me(client, token)["roles"] == []
        assert me(client, token)["departments"] == []


def test_the_last_administrator_cannot_take_their_own_role_away(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        admin = login_staff(client, "admin")
        me_id = me(client, admin)["id"]
        alone = client.delete(f"/api/v1/users/{me_id}/grants/admin", headers={**auth(admin), **EN})
        assert alone.status_code == 409
        assert alone.json()["detail"] == "The district needs at least one administrator; make someone else one first"
        assert me(client, admin)["roles"] == ["admin"]
        second = add_staff(client, admin, "deputy").json()["id"]
        assert (
            client.post(f"/api/v1/users/{second}/grants", json={"role": "admin"}, headers=auth(admin)).status_code
            == 204
        )
        assert client.delete(f"/api/v1/users/{me_id}/grants/admin", headers=auth(admin)).status_code == 204
        deputy = sign_in(client, "deputy")
        assert client.delete(f"/api/v1/users/{second}/grants/admin", headers=auth(deputy)).status_code == 409


def test_grants_name_a_real_user_role_and_department(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        admin = login_staff(client, "admin")
        user_id = add_staff(client, admin, "zhang").json()["id"]
        no_user = client.post("/api/v1/users/999999/grants", json={"role": "editor"}, headers=auth(admin))
        assert no_user.status_code == 404
        assert no_user.json()["detail"] == "No such user"
        no_role = client.post(f"/api/v1/users/{user_id}/grants", json={"role": "overlord"}, headers=auth(admin))
        assert no_role.status_code == 400
        no_department = client.post(
            f"/api/v1/users/{user_id}/grants", json={"role": "editor", "department": 999999}, headers=auth(admin)
        )
        assert no_department.status_code == 404
        assert no_department.json()["detail"] == "No such department"
        assert me(client, sign_in(client, "zhang"))["roles"] == []


def test_roles_list_the_builtin_roles_and_admin_has_every_permission(newsplus_app) -> None:
    app = newsplus_app()
    with TestClient(app) as client:
        admin = login_staff(client, "admin")
        response = client.get("/api/v1/roles", headers=auth(admin))
        assert response.status_code == 200
        roles = {r["name"]: r for r in response.json()}
        assert set(roles) >= BUILTIN_ROLES
        assert set(roles["admin"]["permissions"]) == set(app.state.newsplus.permissions)
        assert roles["admin"]["label"] == "管理员"
        assert roles["editor"]["label"] == "编辑"
        assert "content.edit" in roles["editor"]["permissions"]
        assert "users.manage" not in roles["editor"]["permissions"]
        assert roles["resident"]["label"] == "居民"


# -- a user's own profile --------------------------------------------------------------------------------


def test_a_resident_sets_name_street_and_community(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        admin = login_staff(client, "admin")
        ids = districts_tree(client, admin)
        resident = login_resident(client, PHONE)
        changed = client.patch(
            "/api/v1/me",
            json={"display_name": "  王大妈 ", "street": ids["street"], "community": ids["community"]},
            headers=auth(resident),
        )
        assert changed.status_code == 200
        assert changed.json()["display_name"] == "王大妈"
        assert (changed.json()["street"], changed.json()["community"]) == (ids["street"], ids["community"])
        again = me(client, resident)
        assert (again["display_name"], again["street"], again["community"]) == (
            "王大妈",
            ids["street"],
            ids["community"],
        )

        # Changing only the name keeps where they live.
        renamed = client.patch("/api/v1/me", json={"display_name": "王阿姨"}, headers=auth(resident)).json()
        assert (renamed["display_name"], renamed["street"], renamed["community"]) == (
            "王阿姨",
            ids["street"],
            ids["community"],
        )


def test_a_community_of_another_street_is_refused(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        admin = login_staff(client, "admin")
        ids = districts_tree(client, admin)
        resident = login_resident(client, PHONE)
        refused = client.patch(
            "/api/v1/me", json={"street": ids["street"], "community": ids["other_community"]}, headers=auth(resident)
        )
        assert refused.status_code == 400
        assert refused.json()["detail"] == "Please choose a community of that street"
        assert refused.json()["extra"]["field"] == "community"
        chinese = client.patch(
            "/api/v1/me", json={"street": ids["street"], "community": ids["other_community"]}, headers=bearer(resident)
        )
        assert chinese.json()["detail"] == "请选择该街道下的社区"
        assert (me(client, resident)["street"], me(client, resident)["community"]) == (None, None)


def test_a_bureau_is_not_a_street(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        admin = login_staff(client, "admin")
        ids = districts_tree(client, admin)
        resident = login_resident(client, PHONE)
        refused = client.patch("/api/v1/me", json={"street": ids["bureau"]}, headers=auth(resident))
        assert refused.status_code == 400
        assert refused.json()["detail"] == "Please choose a street office"
        assert refused.json()["extra"]["field"] == "street"
        unknown = client.patch("/api/v1/me", json={"street": 999_999}, headers=auth(resident))
        assert unknown.status_code == 400
        assert me(client, resident)["street"] is None


def test_profile_changes_need_the_bearer_token(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        resident = login_resident(client, PHONE)
        # The session cookie alone cannot write through the API.
        refused = client.patch("/api/v1/me", json={"display_name": "冒名"})
        assert refused.status_code == 401
        assert me(client, resident)["display_name"] == "居民8000"


# -- export and deletion ---------------------------------------------------------------------------------


def test_a_resident_exports_profile_roles_and_sessions_as_an_attachment(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        resident = login_resident(client, PHONE)
        client.cookies.clear()
        exported = client.get("/api/v1/me/export", headers=auth(resident))
        assert exported.status_code == 200
        assert exported.headers["content-disposition"].startswith("attachment")
        assert "newsplus-my-data.json" in exported.headers["content-disposition"]
        data = exported.json()
        assert data["profile"]["phone"] == PHONE
        assert data["profile"]["display_name"] == "居民8000"
        assert data["profile"]["id"] == me(client, resident)["id"]
        assert "password_hash" not in data["profile"]
        assert data["roles"] == [{"role": "resident", "department": None}]
        assert len(data["sessions"]) == 1
        assert "token_hash" not in data["sessions"][0]


def test_a_staff_export_leaves_out_the_password_hash(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        admin = login_staff(client, "admin")
        exported = client.get("/api/v1/me/export", headers=auth(admin))
        assert exported.status_code == 200
        assert exported.json()["profile"]["username"] == "admin"
        assert "password_hash" not in exported.json()["profile"]
        assert "argon2" not in exported.text
        assert exported.json()["roles"] == [{"role": "admin", "department": None}]


def test_a_deleted_resident_is_signed_out_and_a_new_login_makes_a_new_account(newsplus_app) -> None:
    app = newsplus_app(settings={"plugins": {"users": {"code_interval_seconds": 0}}})
    with TestClient(app) as client:
        admin = login_staff(client, "admin")
        ids = districts_tree(client, admin)
        first = login_resident(client, PHONE)
        old = me(client, first)
        client.patch("/api/v1/me", json={"display_name": "王大妈", "street": ids["street"]}, headers=auth(first))
        client.cookies.clear()

        deleted = client.delete("/api/v1/me", headers=auth(first))
        assert deleted.status_code == 204
        gone = client.get("/api/v1/me", headers=auth(first))
        assert gone.status_code == 401

        second = login_resident(client, PHONE)
        new = me(client, second)
        assert new["display_name"] == "居民8000"
        assert new["street"] is None
        assert len(client.get("/api/v1/me/sessions", headers=auth(second)).json()) == 1
        assert len(sms_codes(app)) == 2
        # A new person, not the old account come back: the id of a deleted account is never handed out again.
        assert new["id"] != old["id"]


def test_staff_cannot_delete_their_own_account(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        admin = login_staff(client, "admin")
        refused = client.delete("/api/v1/me", headers=auth(admin))
        assert refused.status_code == 403
        assert refused.json()["detail"] == "Staff accounts are removed by an administrator"
        assert client.delete("/api/v1/me", headers=bearer(admin)).json()["detail"] == "工作人员账号需由管理员删除"
        assert me(client, admin)["username"] == "admin"


# -- desk pages ------------------------------------------------------------------------------------------


def test_desk_staff_page_lists_staff_with_roles_and_departments(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        admin = login_staff(client, "admin")
        bureau = department(client, admin, "区城市管理委")
        add_staff(client, admin, "zhang", display_name="张编辑", roles=["editor"], department=bureau)
        client.cookies.set("newsplus_session", admin)
        page = client.get("/desk/users", headers=HTML)
        assert page.status_code == 200
        html = page.text
        assert "<table" in html
        assert "<td>zhang</td><td>张编辑</td>" in html
        assert "编辑 · 区城市管理委" in html
        assert "<td>admin</td>" in html and "管理员" in html
        assert 'action="/desk/users"' in html


def test_desk_departments_page_shows_the_tree(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        admin = login_staff(client, "admin")
        districts_tree(client, admin)
        client.cookies.set("newsplus_session", admin)
        page = client.get("/desk/departments", headers=HTML)
        assert page.status_code == 200
        html = page.text.split('action="/desk/departments"')[0]  # the tree, not the form's parent list
        for name in ("区城市管理委", "城北街道", "西关社区", "城南街道", "南环里社区"):
            assert name in html
        # Each community is listed inside its own street's branch, labelled with its kind.
        compact = re.sub(r"\s+", " ", html)
        assert (
            '<span class="tag">街道</span> 城北街道<ul> <li><span class="tag">社区</span> 西关社区</li> </ul></li>'
            in compact
        )
        assert '<span class="tag">街道</span> 城南街道<ul> <li><span class="tag">社区</span> 南环里社区</li>' in compact
        assert '<span class="tag">委办局</span> 区城市管理委</li>' in compact


def test_creating_a_department_through_the_desk_form_shows_it_in_the_tree(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        admin = login_staff(client, "admin")
        street = department(client, admin, "城北街道", "street")
        client.cookies.set("newsplus_session", admin)
        assert client.get("/desk/departments", headers=HTML).status_code == 200
        csrf = client.cookies.get("newsplus_csrf")
        created = client.post(
            "/desk/departments",
            data={"name": "西关社区", "kind": "community", "parent": str(street), "_csrf_token": csrf},
            follow_redirects=False,
        )
        assert created.status_code == 303
        assert created.headers["location"] == "/desk/departments"
        page = client.get("/desk/departments", headers=HTML).text
        assert '<span class="tag">社区</span> 西关社区' in page
        [north] = client.get("/api/v1/departments").json()
        assert [c["name"] for c in north["children"]] == ["西关社区"]


def test_a_duplicate_department_on_the_desk_form_shows_the_error(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        admin = login_staff(client, "admin")
        department(client, admin, "区城市管理委")
        client.cookies.set("newsplus_session", admin)
        client.get("/desk/departments", headers=HTML)
        refused = client.post(
            "/desk/departments",
            data={"name": "区城市管理委", "kind": "bureau", "_csrf_token": client.cookies.get("newsplus_csrf")},
        )
        assert refused.status_code == 409
        assert "此处已有名为 区城市管理委 的部门" in refused.text
        assert len(client.get("/api/v1/departments").json()) == 1


def test_creating_staff_through_the_desk_form_lists_them(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        admin = login_staff(client, "admin")
        client.cookies.set("newsplus_session", admin)
        client.get("/desk/users", headers=HTML)
        created = client.post(
            "/desk/users",
            data={
                "username": "zhao",
                "display_name": "赵审核",
                "password": PASSWORD,
                "role": "reviewer",
                "department": "",
                "_csrf_token": client.cookies.get("newsplus_csrf"),
            },
            follow_redirects=False,
        )
        assert created.status_code == 303
        assert created.headers["location"] == "/desk/users"
        assert "<td>zhao</td><td>赵审核</td>" in client.get("/desk/users", headers=HTML).text
        assert me(client, sign_in(client, "zhao"))["roles"] == ["reviewer"]


def test_desk_account_pages_are_closed_to_staff_without_the_permission(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        client.cookies["newsplus_session"] = login_staff(client, "editor", roles=("editor",))
        for path in ("/desk/users", "/desk/departments"):
            refused = client.get(path, headers=HTML)
            assert refused.status_code == 403, path
            assert "您没有执行此操作的权限" in refused.text


def test_a_role_held_within_a_department_grants_nothing_district_wide(newsplus_app) -> None:
    with TestClient(newsplus_app()) as client:
        admin = login_staff(client, "admin")
        bureau = department(client, admin, "区城市管理委")
        add_staff(client, admin, "local_admin", roles=["admin"], department=bureau)
        local = sign_in(client, "local_admin")
        assert me(client, local)["permissions"] == []
        assert add_staff(client, local, "mallory", roles=["admin"]).status_code == 403
        assert client.get("/api/v1/roles", headers=bearer(local)).status_code == 403


async def test_role_holders_are_active_and_district_wide_or_within_one_department(newsplus_app) -> None:
    from newsplus.districts.scope import district_scope
    from newsplus.testing import running
    from newsplus.users.accounts import create_department, create_staff, role_holders
    from newsplus.users.tables import User

    async with running(newsplus_app()) as newsplus:
        with district_scope(newsplus.districts.primary):
            street = await create_department("城北街道", "street")
            wide = await create_staff(newsplus, "wide", "correct-horse-battery", roles=("dispatcher",))
            gone = await create_staff(newsplus, "gone", "correct-horse-battery", roles=("dispatcher",))
            local = await create_staff(
                newsplus, "local", "correct-horse-battery", roles=("dispatcher",), department=street
            )
            await User.update({User.is_active: False}).where(User.id == gone)
            assert await role_holders("dispatcher") == [wide]
            assert await role_holders("dispatcher", street) == [local]
            assert await role_holders("supervisor") == []


async def test_staff_lists_read_the_index_of_staff_not_every_resident(tmp_path) -> None:
    """The desk's staff pickers and the staff page ask for staff accounts: on SQLite that query reads the small
    index of staff, not every account of the district (with a million residents it took 130–400 ms)."""
    from newsplus.testing import query_plans
    from newsplus.users.accounts import staff_accounts
    from newsplus.users.tables import User

    (plan,) = await query_plans(
        tmp_path,
        lambda: staff_accounts(User.id, User.display_name).where(User.is_active == True),  # noqa: E712
    )
    assert "users_staff_idx" in plan, plan
