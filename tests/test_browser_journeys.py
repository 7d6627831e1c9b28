"""Whole journeys through the seeded Changping app in Debian's Chromium: a 问政 inquiry from a phone to its rating,
an article through the review chain onto the home page, a pop-up shown once, and hostile text kept inert."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from changping_demo import seeded_changping
from litestar import Litestar
from PIL import Image

from newsplus.districts.scope import district_scope
from newsplus.runtime import Newsplus
from newsplus.testing import serving, sms_codes
from newsplus.users.tables import User

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
DOCS_SHOTS = ROOT / "docs" / "screenshots"
PASSWORD = "changping-demo"
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 860}

if not CHROMIUM.exists():
    reason = "Debian's chromium is not installed (.ci/run installs it: apt-get install chromium)"
    if os.environ.get("NEWSPLUS_REQUIRE_BROWSER") == "1":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason, allow_module_level=True)

from playwright.async_api import Browser, Locator, Page, async_playwright, expect  # noqa: E402
from playwright.async_api import TimeoutError as PlaywrightTimeout  # noqa: E402

# One seeded app and one browser for the whole module: every test runs in the module's event loop.
pytestmark = pytest.mark.asyncio(loop_scope="module")

# What an attacker types: each would set window.__xss if a page let it run.
SCRIPT = "<script>window.__xss=1</script>"
IMG = '<img src=x onerror="window.__xss=1">'
SVG = '"><svg onload=window.__xss=1>'
JS_LINK = "javascript:window.__xss=1"


# -- the site, the browser and the people using it ----------------------------------------------------------


@dataclass
class Site:
    """The served app, the browser, where screenshots go, and the signed-in pages kept for reuse."""

    base: str
    app: Litestar
    browser: Browser
    shots: Path
    problems: list[str] = field(default_factory=list)
    staff_pages: dict[str, Page] = field(default_factory=dict)

    @property
    def newsplus(self) -> Newsplus:
        return self.app.state.newsplus

    async def new_page(self, *, phone: bool) -> Page:
        """A page in a fresh browser context (a phone, or a desk screen), its console watched."""
        if phone:
            context = await self.browser.new_context(viewport=PHONE, device_scale_factor=2, locale="zh-CN")
        else:
            context = await self.browser.new_context(viewport=DESK, locale="zh-CN")
        context.set_default_timeout(10_000)
        page = await context.new_page()
        watch(page, self.problems)
        return page

    async def shot(self, page: Page, name: str, *, full_page: bool = False) -> None:
        await page.screenshot(path=self.shots / name, full_page=full_page)

    async def staff(self, username: str) -> Page:
        """A desk page signed in as this demo account (through the sign-in page the first time)."""
        if username not in self.staff_pages:
            page = await self.new_page(phone=False)
            await sign_in_staff(self, page, username)
            self.staff_pages[username] = page
        return self.staff_pages[username]


def watch(page: Page, problems: list[str]) -> None:
    """Record script errors, console errors and Content-Security-Policy violations of a page."""
    page.on("pageerror", lambda error: problems.append(f"{page.url}: script error: {error}"))

    def console(message: Any) -> None:
        source = message.location.get("url", "")
        if source.endswith("/x") and message.text.startswith("Failed to load resource"):
            return  # the payloads' own <img src=x>: kept as an inert image by the sanitiser, it fails to load
        if message.type == "error" or "Content Security Policy" in message.text:
            problems.append(f"{page.url}: console {message.type}: {message.text} {source}")

    page.on("console", console)


@pytest.fixture(scope="module")
def changping(tmp_path_factory: pytest.TempPathFactory) -> Litestar:
    return seeded_changping(tmp_path_factory.mktemp("changping"))[0]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def site(changping: Litestar, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    shots = DOCS_SHOTS if os.environ.get("NEWSPLUS_SCREENSHOTS") == "1" else tmp_path_factory.mktemp("screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    async with serving(changping) as base, async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            here = Site(base=base, app=changping, browser=browser, shots=shots)
            await deliver(here)  # the demo data's own notifications, as a running server would have sent them
            yield here
        finally:
            await browser.close()


@pytest.fixture
def problems(site: Site) -> Iterator[list[str]]:
    """The console and script errors a test's pages logged (checked at its end: there must be none)."""
    site.problems.clear()
    yield site.problems
    assert site.problems == [], "\n".join(site.problems)


async def sign_in_resident(site: Site, page: Page, phone: str, next: str = "/") -> None:
    """Sign in on the H5 sign-in page with the SMS code the development channel 'sent'."""
    await page.goto(f"{site.base}/login?next={quote(next)}")
    await page.get_by_label("手机号码").fill(phone)
    await page.get_by_role("button", name="获取验证码").click()
    await expect(page.get_by_role("status")).to_have_text("验证码已发送到您的手机")
    await expect(page.get_by_text(f"验证码已发送至 {phone}")).to_be_visible()
    code = [c for p, c in sms_codes(site.app) if p == phone][-1]
    await page.get_by_label("验证码", exact=True).fill(code)
    await page.locator("form[action='/login/code']").get_by_role("button", name="登录").click()
    await page.wait_for_url(f"{site.base}{next}")


async def sign_in_staff(site: Site, page: Page, username: str) -> None:
    """Sign in on the sign-in page's staff tab; staff land on the desk."""
    await page.goto(f"{site.base}/login")
    await page.get_by_text("工作人员：账号密码登录").click()
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码").fill(PASSWORD)
    await page.locator("form[action='/login/password']").get_by_role("button", name="登录").click()
    await page.wait_for_url(f"{site.base}/desk")


async def deliver(site: Site) -> None:
    """Deliver the queued events (the background loop is off): notifications, then their pushes."""
    newsplus = site.newsplus
    with district_scope(newsplus.districts.primary):
        while await newsplus.dispatcher.deliver_pending():
            pass


async def user_id(site: Site, phone: str) -> int:
    with district_scope(site.newsplus.districts.primary):
        row = await User.select(User.id).where(User.phone == phone).first()
    assert row is not None
    return row["id"]


async def new_stream(site: Site, user: int, known: set[int]) -> set[int]:
    """Wait until the person's browser holds an event stream not in ``known``; return the streams now open."""
    for _ in range(200):
        open_now = {id(s) for (_, u), subs in list(site.newsplus.stream.clients.items()) if u == user for s in subs}
        if open_now - known:
            return open_now
        await asyncio.sleep(0.05)
    raise AssertionError("the inquiry page did not open its event stream within 10 s")


async def no_xss(page: Page) -> None:
    """The page ran none of the payloads (each would have set window.__xss)."""
    await page.wait_for_load_state("load")
    assert await page.evaluate("typeof window.__xss") == "undefined", page.url


def photo() -> dict[str, Any]:
    """A small real JPEG as a phone would upload it."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (40, 120, 60)).save(buffer, "JPEG")
    return {"name": "rubbish.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


# -- 1. 问政: from a phone to the street office and back --------------------------------------------------------


async def test_a_resident_files_an_inquiry_follows_it_live_and_rates_the_reply(site: Site, problems: list) -> None:
    phone_number = "13712340001"
    resident = await site.new_page(phone=True)
    await sign_in_resident(site, resident, phone_number, next="/wenzheng/new")
    await expect(resident.get_by_role("heading", name="我要留言")).to_be_visible()

    title = "天通苑北一区垃圾桶满溢"
    await resident.get_by_label("投诉").check()
    await resident.get_by_label("类别").select_option(label="市容环卫")
    await resident.get_by_label("标题").fill(title)
    await resident.get_by_label("问题描述").fill("小区东门的垃圾桶已经三天没有清运，气味很大。")
    await resident.get_by_label("街道").select_option(label="天通苑北街道")
    await resident.get_by_label("地址").fill("天通苑北一区东门")
    await resident.get_by_label("照片").set_input_files(photo())
    await site.shot(resident, "journey-inquiry-form.png", full_page=True)
    await resident.get_by_role("button", name="提交").click()

    await resident.wait_for_url(re.compile(r"/wenzheng/[\w-]+\?sent=1$"))
    notice = await resident.get_by_role("status").inner_text()
    number = re.search(r"已提交。查询编号 (\S+)，每一步进展都会通知你。", notice)
    assert number, notice
    assert number.group(1) in await resident.locator("article .muted").first.inner_text()
    await expect(resident.locator("h1")).to_contain_text(title)
    await expect(resident.locator("h1 .status")).to_have_text("待受理")
    await expect(resident.locator("ol.timeline li")).to_have_text([re.compile("^提交")])
    thumbnail = resident.locator(".gallery img")
    await expect(thumbnail).to_have_count(1)
    assert await thumbnail.evaluate("img => img.complete && img.naturalWidth > 0"), "the photo does not load"
    await site.shot(resident, "journey-inquiry-sent.png", full_page=True)
    inquiry_url = resident.url.split("?")[0]
    token = inquiry_url.rsplit("/", 1)[1]
    me = await user_id(site, phone_number)
    streams = await new_stream(site, me, set())

    # The dispatcher takes it in at the desk, in another browser.
    dispatcher = await site.staff("dispatcher")
    await dispatcher.goto(f"{site.base}/desk/wenzheng?status=submitted")
    await dispatcher.get_by_role("link", name=title).click()
    await dispatcher.wait_for_url(f"{site.base}/desk/wenzheng/{token}")
    await expect(dispatcher.locator("h1")).to_have_text(f"{number.group(1)} · {title}")
    await dispatcher.get_by_role("button", name="受理", exact=True).click()
    await expect(dispatcher.locator("main .status").first).to_have_text("已受理")

    # The resident's page follows along by itself (the notification stream), without being reloaded by hand.
    await deliver(site)
    await expect(resident.locator("h1 .status")).to_have_text("已受理")
    await expect(resident.locator("ol.timeline li").nth(1)).to_contain_text("受理")
    streams = await new_stream(site, me, streams)

    # Routing suggests the street office for a 市容环卫 case in its street; the dispatcher sends it there.
    department = dispatcher.locator("select[name=department]")
    assert await department.evaluate("s => s.selectedOptions[0].textContent") == "天通苑北街道"
    await dispatcher.get_by_role("button", name="派单").click()
    await expect(dispatcher.locator("main .status").first).to_have_text("已转办")
    await site.shot(dispatcher, "journey-inquiry-dispatched.png", full_page=True)

    await deliver(site)
    await expect(resident.locator("h1 .status")).to_have_text("已转办")
    await expect(resident.locator("ol.timeline li").nth(2)).to_contain_text("转办 · 天通苑北街道")
    streams = await new_stream(site, me, streams)

    # The street office's handler finds it in the department queue, signs for it and replies.
    handler = await site.staff("tiantongyuan")
    await handler.goto(f"{site.base}/desk/wenzheng/queue")
    await handler.get_by_role("link", name=title).click()
    await handler.get_by_role("button", name="签收").click()
    await expect(handler.locator("main .status").first).to_have_text("已签收")
    reply = "已安排环卫车辆当天清运，并将东门清运频次调整为每天两次。"
    await handler.locator("form:has(input[value=reply]) textarea[name=note]").fill(reply)
    await handler.get_by_role("button", name="发送答复").click()
    await expect(handler.locator("main .status").first).to_have_text("已答复")
    await site.shot(handler, "journey-inquiry-replied-desk.png", full_page=True)

    await deliver(site)
    await expect(resident.locator("h1 .status")).to_have_text("已答复")
    await expect(resident.locator("section.reply")).to_contain_text("答复 · 天通苑北街道")
    await expect(resident.locator("section.reply")).to_contain_text(reply)
    await expect(resident.locator("ol.timeline li strong")).to_have_text(["提交", "受理", "转办", "签收", "答复"])
    await expect(resident.get_by_text("你对答复满意吗？")).to_be_visible()
    await site.shot(resident, "journey-inquiry-timeline.png", full_page=True)

    await resident.get_by_label("满意", exact=True).check()
    await resident.locator("input[name=comment]").fill("处理很及时，谢谢！")
    await resident.get_by_role("button", name="评价").click()
    await resident.wait_for_url(inquiry_url)
    await expect(resident.locator("h1 .status")).to_have_text("已办结")
    await expect(resident.get_by_text("你对答复满意吗？")).to_have_count(0)
    await expect(resident.locator("ol.timeline li").last).to_contain_text("评价")
    await expect(resident.locator("ol.timeline li").last).to_contain_text("处理很及时，谢谢！")
    await site.shot(resident, "journey-inquiry-rated.png", full_page=True)

    await resident.goto(f"{site.base}/wenzheng/mine")
    item = resident.locator("li", has_text=title)
    await expect(item.locator(".status")).to_have_text("已办结")
    await expect(item).to_contain_text(number.group(1))


# -- 2. An article: written, passed by three reviewers, read on the home page ------------------------------------


def article_state(page: Page) -> Locator:
    """The editor's line saying where an article stands (status, the step it waits for)."""
    return page.locator("main p", has=page.locator(".status"))


async def write_article(site: Site, title: str, summary: str, body: str) -> int:
    """The editor writes a draft in the desk's editor and sends it for review; return the article's id."""
    editor = await site.staff("editor")
    await editor.goto(f"{site.base}/desk/content/articles/new")
    await editor.get_by_label("标题").fill(title)
    await editor.locator("textarea[name=summary]").fill(summary)
    await editor.locator("textarea#body").fill(body)
    await editor.locator("form.editor-form").get_by_role("button", name="保存").click()
    await editor.wait_for_url(re.compile(r"/desk/content/articles/\d+\?saved=1$"))
    await expect(editor.get_by_role("status")).to_have_text("已保存。")
    await expect(editor.locator(".rich-area")).to_be_visible()
    await no_xss(editor)  # the saved draft, its body back in the rich-text area as stored (sanitised)
    await expect(article_state(editor).locator(".status")).to_have_text("草稿")
    article = int(re.search(r"/articles/(\d+)", editor.url).group(1))
    await editor.get_by_role("button", name="送审").click()
    await expect(article_state(editor).locator(".status")).to_have_text("审核中")
    await expect(article_state(editor)).to_contain_text("等待 初审")
    return article


async def approve(site: Site, username: str, article: int, step: str) -> Page:
    """A reviewer opens the article at the desk and passes the step it waits for."""
    desk = await site.staff(username)
    await desk.goto(f"{site.base}/desk/content/articles/{article}")
    await expect(article_state(desk)).to_contain_text(f"等待 {step}")
    await desk.get_by_role("button", name=f"通过 ({step})").click()
    await desk.wait_for_url(re.compile(rf"/desk/content/articles/{article}\?saved=approve$"))
    return desk


async def test_an_article_passes_each_review_step_and_appears_on_the_home_page(site: Site, problems: list) -> None:
    title = "昌平区新增十二处口袋公园"
    body = "<p>今年昌平区在回天地区新建口袋公园十二处，方便居民就近休闲。</p>"
    article = await write_article(site, title, "回天地区居民出门五分钟可达公园。", body)
    await site.shot(await site.staff("editor"), "journey-article-submitted.png", full_page=True)

    # The chain is 初审 (reviewer) → 复审 (reviewer) → 终审 (chief editor), each step by a different person.
    reviewer = await approve(site, "reviewer", article, "初审")
    await expect(article_state(reviewer).locator(".status")).to_have_text("审核中")
    await expect(article_state(reviewer)).to_contain_text("等待 复审")
    await reviewer.get_by_role("button", name="通过 (复审)").click()
    await expect(reviewer.get_by_role("alert")).to_have_text("每个审核环节须由不同的人完成")
    assert problems and all("status of 403" in p for p in problems), problems  # the refusal is a 403 page
    problems.clear()
    await expect(article_state(reviewer)).to_contain_text("等待 复审")

    # The demo has one reviewer account; the administrator holds every role and passes 复审.
    await approve(site, "admin", article, "复审")
    chief = await approve(site, "chief", article, "终审")
    await expect(article_state(chief).locator(".status")).to_have_text("已发布")
    history = chief.locator("ol.history")
    await expect(history).to_contain_text("审核员小李")
    await expect(history).to_contain_text("总编辑老张")
    await site.shot(chief, "journey-article-published.png", full_page=True)

    visitor = await site.new_page(phone=True)
    await visitor.goto(f"{site.base}/")
    card = visitor.locator(".feed-card", has_text=title)
    await expect(card).to_have_count(1)
    await expect(card).to_contain_text("回天地区居民出门五分钟可达公园。")
    await site.shot(visitor, "journey-article-home.png")
    await card.get_by_role("link").click()
    await visitor.wait_for_url(f"{site.base}/articles/{article}")
    await expect(visitor.locator("h1")).to_have_text(title)
    await expect(visitor.locator(".article-body")).to_have_text(re.sub("<[^>]+>", "", body))
    await site.shot(visitor, "journey-article-page.png", full_page=True)
    await visitor.context.close()


# -- 3. A pop-up: scheduled at the desk, shown to a resident once ------------------------------------------------


async def test_a_scheduled_pop_up_shows_once_to_a_resident_and_not_after_closing_or_reloading(
    site: Site, problems: list
) -> None:
    admin = await site.staff("admin")
    await admin.goto(f"{site.base}/desk/notifications/popups")
    title = "回天地区供暖季开始啦"
    zone = ZoneInfo(site.newsplus.settings.site.timezone)
    moment = datetime.now(zone)
    await admin.get_by_label("标题").fill(title)
    await admin.locator("textarea[name=body]").fill("供暖期为11月15日至次年3月15日，室温不达标请拨打12345。")
    await admin.locator("input[name=starts_at]").fill((moment - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    await admin.locator("input[name=ends_at]").fill((moment + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    await admin.locator("select[name=frequency]").select_option("once")
    await admin.locator("input[name=priority]").fill("100")
    await admin.get_by_label("全区所有人").check()
    await admin.get_by_role("button", name="预览").click()
    await expect(admin.locator(".popup-preview")).to_contain_text(title)
    await expect(admin.get_by_role("status")).to_contain_text(re.compile(r"将送达 \d+ 人。"))
    await admin.get_by_role("button", name="定时发布").click()
    await admin.wait_for_url(f"{site.base}/desk/notifications/popups")
    row = admin.locator("tr", has_text=title)
    await expect(row.locator(".stat-shown")).to_have_text("0")
    await site.shot(admin, "journey-popup-desk.png", full_page=True)

    resident = await site.new_page(phone=True)
    await sign_in_resident(site, resident, "13712340003")
    dialog = resident.get_by_role("dialog")
    await expect(dialog).to_be_visible()
    await expect(dialog.locator("h2")).to_have_text(title)
    await expect(dialog).to_contain_text("室温不达标请拨打12345")
    await site.shot(resident, "journey-popup-shown.png")
    await dialog.get_by_role("button", name="关闭").click()
    await resident.wait_for_url(f"{site.base}/")
    await expect(resident.get_by_role("dialog")).to_have_count(0)
    await resident.reload()
    await expect(resident.locator(".welcome h1")).to_be_visible()
    await expect(resident.get_by_role("dialog")).to_have_count(0)
    await site.shot(resident, "journey-popup-gone.png")

    await admin.reload()
    await expect(row.locator(".stat-shown")).to_have_text("1")
    await expect(row.locator(".stat-dismissed")).to_have_text("1")
    await resident.context.close()


# -- 4. Hostile text: shown literally everywhere, never run ------------------------------------------------------


async def test_payloads_typed_by_a_resident_and_an_editor_show_as_text_and_never_run(
    site: Site, problems: list
) -> None:
    phone_number = "13712340004"
    resident = await site.new_page(phone=True)
    await sign_in_resident(site, resident, phone_number, next="/me")
    await resident.locator("input[name=display_name]").fill(SVG)
    await resident.get_by_role("button", name="保存").first.click()
    await resident.wait_for_url(f"{site.base}/me?saved=true")
    await expect(resident.locator(".topbar .who")).to_have_text(SVG)
    await no_xss(resident)

    # An inquiry whose every field carries a payload, shown on the public board once taken in.
    title = f"测试{IMG}"
    body = f"{SCRIPT} {SVG} {JS_LINK}"
    await resident.goto(f"{site.base}/wenzheng/new")
    await resident.get_by_label("类别").select_option(label="其他")
    await resident.get_by_label("标题").fill(title)
    await resident.get_by_label("问题描述").fill(body)
    await resident.get_by_label("地址").fill(SCRIPT)
    await resident.locator("input[name=public]").check()
    await resident.get_by_role("button", name="提交").click()
    await resident.wait_for_url(re.compile(r"/wenzheng/[\w-]+\?sent=1$"))
    token = resident.url.split("?")[0].rsplit("/", 1)[1]
    await expect(resident.locator("h1")).to_contain_text(title)
    await expect(resident.locator("article > p").nth(2)).to_have_text(body)
    await expect(resident.locator("article")).to_contain_text(SCRIPT)
    await no_xss(resident)
    await site.shot(resident, "journey-xss-inquiry.png", full_page=True)

    dispatcher = await site.staff("dispatcher")
    await dispatcher.goto(f"{site.base}/desk/wenzheng?status=submitted")
    await expect(dispatcher.get_by_role("link", name=title)).to_have_count(1)
    await no_xss(dispatcher)
    await dispatcher.goto(f"{site.base}/desk/wenzheng/{token}")
    await expect(dispatcher.locator("h1")).to_contain_text(title)
    await expect(dispatcher.locator("main")).to_contain_text(body)
    await expect(dispatcher.locator("main")).to_contain_text(SVG)  # the contact name is the display name
    await no_xss(dispatcher)
    await dispatcher.get_by_role("button", name="受理", exact=True).click()
    await expect(dispatcher.locator("main .status").first).to_have_text("已受理")
    await dispatcher.get_by_role("button", name="派单").click()
    await expect(dispatcher.locator("main .status").first).to_have_text("已转办")
    await site.shot(dispatcher, "journey-xss-desk-inquiry.png", full_page=True)
    await deliver(site)

    handler = await site.staff("chengguan")  # 其他 goes to the city management committee by the catch-all rule
    await handler.goto(f"{site.base}/desk/wenzheng/queue")
    await expect(handler.get_by_role("link", name=title)).to_have_count(1)
    await no_xss(handler)

    visitor = await site.new_page(phone=True)
    await visitor.goto(f"{site.base}/wenzheng")
    await expect(visitor.locator(".inquiry-list li", has_text="测试<img").first).to_be_visible()
    await no_xss(visitor)
    await visitor.goto(f"{site.base}/wenzheng/{token}")
    await expect(visitor.locator("h1")).to_contain_text("测试<img")
    await no_xss(visitor)

    await resident.goto(f"{site.base}/me/notifications")
    await expect(resident.locator("main")).to_contain_text(f"您的问政「{title}」已转办")
    await no_xss(resident)
    await resident.goto(f"{site.base}/wenzheng/mine")
    await expect(resident.get_by_role("link", name=title)).to_have_count(1)
    await no_xss(resident)

    # An article whose title and summary carry payloads, and whose body holds markup the sanitiser must defuse.
    article_title = f"防范演练{IMG}"
    article_body = f'<p>演练正文<img src="x" onerror="window.__xss=1"><a href="{JS_LINK}">点我</a></p>{SCRIPT}'
    article = await write_article(site, article_title, SVG, article_body)
    editor = await site.staff("editor")
    await approve(site, "reviewer", article, "初审")
    reviewer = await site.staff("reviewer")
    await expect(reviewer.locator("h1")).to_have_text(article_title)
    await expect(reviewer.locator("textarea#body")).to_contain_text("演练正文")
    await no_xss(reviewer)
    await approve(site, "admin", article, "复审")
    await approve(site, "chief", article, "终审")

    await resident.goto(f"{site.base}/articles/{article}")
    await expect(resident.locator("h1")).to_have_text(article_title)
    await expect(resident.locator(".lead")).to_have_text(SVG)
    body_html = resident.locator(".article-body")
    await expect(body_html).to_contain_text("演练正文")
    assert await body_html.locator("script, [onerror], [onload]").count() == 0
    assert await body_html.locator("a[href^='javascript' i]").count() == 0
    if await body_html.get_by_text("点我").count():
        await body_html.get_by_text("点我").click()
    await no_xss(resident)

    comment = f"{IMG} {JS_LINK}"
    await resident.get_by_label("你的评论").fill(comment)
    await resident.get_by_role("button", name="发表").click()
    await expect(resident.get_by_text("感谢留言，评论审核通过后显示。")).to_be_visible()
    await no_xss(resident)

    await reviewer.goto(f"{site.base}/desk/content/comments?status=pending")
    row = reviewer.locator("tr", has_text=comment)
    await expect(row).to_contain_text(SVG)
    await expect(row).to_contain_text(article_title)
    await no_xss(reviewer)
    await row.get_by_role("button", name="通过").click()
    await expect(reviewer.locator("tr", has_text=comment)).to_have_count(0)

    await resident.goto(f"{site.base}/articles/{article}")
    listed = resident.locator("ul.comments li", has_text=comment)
    await expect(listed.locator("strong")).to_have_text(SVG)
    await no_xss(resident)
    await site.shot(resident, "journey-xss-article.png", full_page=True)

    await visitor.goto(f"{site.base}/")
    await expect(visitor.locator(".feed-card", has_text=article_title)).to_have_count(1)
    await no_xss(visitor)
    await visitor.goto(f"{site.base}/search?q={quote('防范演练')}")
    await expect(visitor.locator(".feed-card", has_text=article_title)).to_have_count(1)
    await no_xss(visitor)
    await visitor.goto(f"{site.base}/search?q={quote(SCRIPT)}")
    await expect(visitor.get_by_role("searchbox")).to_have_value(SCRIPT)
    await expect(visitor.locator("main")).to_contain_text(f"没有找到与“{SCRIPT}”相关的内容。")
    await no_xss(visitor)
    await site.shot(visitor, "journey-xss-search.png")

    await editor.goto(f"{site.base}/desk/content/articles")
    await expect(editor.get_by_role("link", name=article_title)).to_have_count(1)
    await no_xss(editor)
    for page in (resident, visitor):
        await page.context.close()


async def test_markup_typed_into_the_desk_editors_body_source_does_not_run(site: Site, problems: list) -> None:
    editor = await site.staff("editor")
    await editor.goto(f"{site.base}/desk/content/articles/new")
    await editor.locator("textarea#body").fill(f'<p>通稿原文<img src="x" onerror="window.__xss=1"></p>{SCRIPT}')
    await expect(editor.locator(".rich-area")).to_contain_text("通稿原文")
    with contextlib.suppress(PlaywrightTimeout):  # the handler runs once the image has failed to load
        await editor.wait_for_function("() => window.__xss !== undefined", timeout=2000)
    await no_xss(editor)
