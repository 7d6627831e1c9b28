"""Residents' files for service forms: a file no application claims is deleted after a day, a claimed one stays."""

from __future__ import annotations

from pathlib import Path

from litestar.testing import TestClient
from test_applications import BIRTH, EN, MORNING, birth_answers, png, upload

from newsplus import frozen_clock
from newsplus.content.media import media_root
from newsplus.testing import bearer, call, login_resident
from newsplus_services.tables import ApplicationFile


def test_a_file_no_application_claimed_is_deleted_after_a_day(newsplus_app) -> None:
    with frozen_clock(MORNING) as clock, TestClient(newsplus_app(["services"])) as client:
        newsplus = client.app.state.newsplus
        resident = bearer(login_resident(client, "13800138000"))
        abandoned = upload(client, resident, png())
        assert abandoned.status_code == 201
        sent = client.post(BIRTH, json={"answers": birth_answers(client, resident)}, headers={**resident, **EN})
        assert sent.status_code == 201, sent.text
        root = media_root(newsplus)

        def files() -> set[str]:
            return {p.name for p in Path(root).rglob("*") if p.is_file()}

        before = files()
        assert len(before) == 4  # two images, each with its thumbnail
        clock.advance(hours=25)
        call(client, newsplus.scheduler.run_due)
        after = files()
        assert len(after) == 2  # the claimed certificate and its thumbnail are kept
        rows = call(client, lambda: ApplicationFile.select(ApplicationFile.application))
        assert [r["application"] is not None for r in rows] == [True]
