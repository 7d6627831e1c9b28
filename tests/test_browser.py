"""The Changping app in a real browser (Debian's Chromium driven by Playwright): a resident's H5 pages and
the desk render and respond. The screenshots in docs/screenshots are taken here: run with
NEWSPLUS_SCREENSHOTS=1 to refresh them (otherwise they go to the test's temporary folder)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from changping_demo import seeded_changping

from newsplus.testing import serving

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
DOCS_SHOTS = ROOT / "docs" / "screenshots"

if not CHROMIUM.exists():
    reason = "Debian's chromium is not installed (.ci/run installs it: apt-get install chromium)"
    if os.environ.get("NEWSPLUS_REQUIRE_BROWSER") == "1":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason, allow_module_level=True)

from playwright.async_api import async_playwright  # noqa: E402 - only where a browser can run


def test_a_resident_and_the_staff_walk_through_changping_in_a_browser(tmp_path: Path) -> None:
    app, _ = seeded_changping(tmp_path)
    shots = DOCS_SHOTS if os.environ.get("NEWSPLUS_SCREENSHOTS") == "1" else tmp_path / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    asyncio.run(walk(app, shots))
    assert len(list(shots.glob("*.png"))) >= 10


async def walk(app: Any, shots: Path) -> None:
    """A resident on a phone, then an administrator at the desk, with a screenshot of each page."""
    async with serving(app) as base, async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            phone = await browser.new_context(
                viewport={"width": 390, "height": 844}, device_scale_factor=2, locale="zh-CN"
            )
            page = await phone.new_page()
            await page.goto(f"{base}/")
            assert await page.locator(".brand").inner_text() == "北京昌平"
            assert await page.locator(".tile-title", has_text="回天专项").count() == 1
            await page.screenshot(path=shots / "h5-home.png")

            await page.locator(".tabbar a", has_text="服务").click()
            await page.wait_for_url(f"{base}/services")
            assert await page.locator("h2", has_text="生 · 出生与成长").count() == 1
            await page.screenshot(path=shots / "h5-services.png", full_page=True)

            await page.goto(f"{base}/services/marriage")
            await page.locator("input[name='q.age'][value='是']").check()
            for name in ("unmarried", "in_person"):
                radio = page.locator(f"input[name='q.{name}']").first
                if await radio.count():
                    await radio.check()
            await page.get_by_role("button", name="自测").click()
            assert await page.get_by_role("status").count() + await page.get_by_role("alert").count() >= 1
            await page.screenshot(path=shots / "h5-service-marriage.png", full_page=True)

            for path, shot, text in (
                ("/govinfo", "h5-govinfo.png", "政务公开"),
                ("/activities/respect-elders", "h5-contest.png", "爱老敬老评比"),
                ("/wenzheng", "h5-wenzheng.png", "问政"),
            ):
                await page.goto(f"{base}{path}")
                assert text in await page.content()
                await page.screenshot(path=shots / shot)

            async with httpx.AsyncClient(base_url=base) as http:
                signed = await http.post(
                    "/api/v1/auth/login/password", json={"username": "admin", "password": "changping-demo"}
                )
            desk = await browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
            await desk.add_cookies([{"name": "newsplus_session", "value": signed.json()["token"], "url": base}])
            staff = await desk.new_page()
            for path, shot in (
                ("/desk", "desk-home.png"),
                ("/desk/wenzheng", "desk-wenzheng.png"),
                ("/desk/services", "desk-services.png"),
                ("/desk/activities", "desk-activities.png"),
            ):
                answer = await staff.goto(f"{base}{path}")
                assert answer is not None and answer.status == 200, path
                await staff.screenshot(path=shots / shot)
            assert (
                await staff.locator(".sidebar a", has_text="活动").count()
                + await staff.locator(".sidebar a", has_text="Activities").count()
                >= 1
            )
        finally:
            await browser.close()
