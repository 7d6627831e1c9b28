"""Rates on a constructed month: response, on-time, resolution and satisfaction rates, average hours."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from litestar.testing import TestClient

from newsplus.testing import bearer, call, login_staff
from newsplus.users.accounts import create_department
from newsplus_wenzheng.tables import Inquiry

T0 = datetime(2026, 11, 10, 1, 0, tzinfo=UTC)  # 09:00 Beijing


async def make(n: int, department: int | None, street: int | None, category: str, **times) -> None:
    hours = lambda h: T0 + timedelta(hours=h)  # noqa: E731
    await Inquiry(
        number=f"2026111000000{n}",
        token=f"token-{n}",
        kind="complaint",
        category=category,
        title=f"问题{n}",
        body="……",
        street=street,
        department=department,
        created_at=T0,
        updated_at=T0,
        response_due_at=hours(33),
        handle_due_at=hours(57),
        status=times.pop("status"),
        rating=times.pop("rating", ""),
        **{k: hours(v) for k, v in times.items()},
    ).save()


async def month_of_inquiries(street: int, bureau: int) -> None:
    # On time everywhere, satisfied.
    await make(
        1, street, street, "sanitation", status="closed", accepted_at=2, replied_at=10, closed_at=12, rating="satisfied"
    )
    # Taken in late, replied late, not satisfied: back with the department.
    await make(
        2, street, street, "sanitation", status="dispatched", accepted_at=40, replied_at=70, rating="dissatisfied"
    )
    # The bureau: on time, basically satisfied.
    await make(
        3,
        bureau,
        street,
        "heating",
        status="closed",
        accepted_at=1,
        replied_at=20,
        closed_at=30,
        rating="basically_satisfied",
    )
    # Rejected on time, never dispatched.
    await make(4, None, None, "other", status="rejected", closed_at=3)
    # Another month: not counted.
    await Inquiry(
        number="2026120100000",
        token="token-dec",
        kind="consult",
        category="other",
        title="十二月",
        body="…",
        created_at=datetime(2026, 12, 1, 1, tzinfo=UTC),
        updated_at=T0,
        status="submitted",
    ).save()


def test_rates_by_department_street_category_and_month(newsplus_app) -> None:
    with TestClient(newsplus_app(["wenzheng"])) as client:
        street = call(client, create_department, "天通苑北街道", "street")
        bureau = call(client, create_department, "区城市管理委", "bureau")
        call(client, month_of_inquiries, street, bureau)
        supervisor = bearer(login_staff(client, "supervisor", roles=("supervisor",)))

        def table(by: str) -> dict:
            answer = client.get(f"/api/v1/wenzheng/rates?month=2026-11&by={by}", headers=supervisor)
            assert answer.status_code == 200, answer.text
            return {row["name"]: row for row in answer.json()}

        departments = table("department")
        street_row = departments["天通苑北街道"]
        assert (street_row["received"], street_row["dispatched"], street_row["replied"]) == (2, 2, 2)
        assert street_row["response_rate"] == 0.5  # no. 2 was taken in after its deadline
        assert street_row["on_time_rate"] == 0.5  # no. 2 replied after its deadline
        assert street_row["resolution_rate"] == 0.5  # no. 2 is open again
        assert street_row["satisfaction_rate"] == 0.5
        assert street_row["average_hours"] == 40.0  # (10 + 70) / 2
        bureau_row = departments["区城市管理委"]
        assert (bureau_row["satisfaction_rate"], bureau_row["resolution_rate"], bureau_row["average_hours"]) == (
            1.0,
            1.0,
            20.0,
        )
        assert list(departments)[0] == "区城市管理委"  # ranked by satisfaction
        assert departments["—"]["received"] == 1 and departments["—"]["response_rate"] == 1.0

        assert table("street")["天通苑北街道"]["received"] == 3
        assert table("category")["sanitation"]["received"] == 2
        assert table("month")["2026-11"]["received"] == 4

        download = client.get("/api/v1/wenzheng/rates?month=2026-11&by=department&format=csv", headers=supervisor)
        assert download.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(download.text.lstrip("\ufeff"))))
        assert {r["name"] for r in rows} == {"天通苑北街道", "区城市管理委", "—"}

        assert client.get("/api/v1/wenzheng/rates?month=2026-13", headers=supervisor).status_code == 400
        handler = bearer(login_staff(client, "handler", roles=("department_handler",), department=street))
        assert client.get("/api/v1/wenzheng/rates?month=2026-11", headers=handler).status_code == 403
