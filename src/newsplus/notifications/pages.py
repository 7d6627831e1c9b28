"""The notifications pages: the H5 inbox and settings, pop-up actions, and the desk's compose pages."""

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Response, Template

from newsplus.errors import DomainError, InvalidInput
from newsplus.events.dispatcher import event_log
from newsplus.notifications import inbox, popups
from newsplus.notifications.audience import Audience, count_recipients
from newsplus.notifications.preferences import Preferences, load_preferences, save_preferences
from newsplus.notifications.tables import Broadcast, SendLog
from newsplus.runtime import NewsplusDep
from newsplus.users.access import requires, signed_in
from newsplus.users.accounts import department_tree
from newsplus.web.pages import safe_next
from newsplus.web.render import page, translator_for


class ComposeForm(msgspec.Struct):
    """The desk's compose form for broadcasts and pop-ups (audience fields are comma-separated lists)."""

    title: str = ""
    body: str = ""
    link: str = ""
    everyone: str = ""
    streets: list[str] = []
    roles: list[str] = []
    tags: str = ""
    starts_at: str = ""
    ends_at: str = ""
    frequency: str = "once"
    priority: str = "0"
    action: str = "preview"


class PreferencesForm(msgspec.Struct):
    """The H5 settings form: one ``<category>.<channel>`` field per choice, quiet hours and e-mail."""

    email: str = ""
    quiet_start: str = ""
    quiet_end: str = ""


def _audience(form: ComposeForm) -> Audience:
    try:
        streets = [int(s) for s in form.streets if s]
    except ValueError:
        raise InvalidInput("Please choose from the list") from None
    tags = [t.strip() for t in form.tags.replace("，", ",").split(",") if t.strip()]
    return Audience(everyone=form.everyone == "1", streets=streets, roles=[r for r in form.roles if r], tags=tags)


def _local(value: str, zone: ZoneInfo, field: str) -> datetime:
    try:
        return datetime.fromisoformat(value).replace(tzinfo=zone).astimezone(UTC)
    except ValueError:
        raise InvalidInput("Please give a date and time", extra={"field": field}) from None


@get("/me/notifications", guards=[signed_in])
async def inbox_page(request: Request, cursor: FromQuery[str | None] = None) -> Template:
    """The H5 inbox: personal notifications and broadcasts, newest first."""
    return await page(request, "notifications/inbox.html", inbox=await inbox.inbox(request.user, cursor=cursor))


@post("/me/notifications/read", guards=[signed_in], status_code=303)
async def read_all(request: Request) -> Redirect:
    """Mark everything read from the inbox page."""
    await inbox.mark_all_read(request.user)
    return Redirect("/me/notifications", status_code=303)


@get("/me/notifications/settings", guards=[signed_in])
async def settings_page(request: Request, newsplus: NewsplusDep, saved: FromQuery[bool] = False) -> Template:
    """How notifications reach me outside the app."""
    return await page(
        request,
        "notifications/settings.html",
        saved=saved,
        error="",
        preferences=await load_preferences(newsplus, request.user.id),
        categories=list(newsplus.notification_categories.values()),
    )


@post("/me/notifications/settings", guards=[signed_in], status_code=303)
async def save_settings(
    request: Request, data: URLEncodedBody[PreferencesForm], newsplus: NewsplusDep
) -> Response[Any]:
    """Save the settings form."""
    form = await request.form()
    modes: dict[str, dict[str, Any]] = {}
    for key, value in form.items():
        if "." in key:
            category, _, channel = key.partition(".")
            modes.setdefault(category, {})[channel] = value
    try:
        wanted = msgspec.convert(
            {"modes": modes, "email": data.email, "quiet_start": data.quiet_start, "quiet_end": data.quiet_end},
            Preferences,
        )
        await save_preferences(newsplus, request.user.id, wanted)
    except (DomainError, msgspec.ValidationError) as exc:
        _ = translator_for(request)
        message = _(exc.detail, **exc.params) if isinstance(exc, DomainError) else _("The request data is invalid")
        return await page(
            request,
            "notifications/settings.html",
            status_code=400,
            saved=False,
            error=message,
            preferences=await load_preferences(newsplus, request.user.id),
            categories=list(newsplus.notification_categories.values()),
        )
    return Redirect("/me/notifications/settings?saved=true", status_code=303)


@post("/popups/{popup_id:int}/dismiss", guards=[signed_in], status_code=303)
async def dismiss(
    request: Request, popup_id: FromPath[int], newsplus: NewsplusDep, next: FromQuery[str] = "/"
) -> Redirect:
    """Close a pop-up on the H5 home page."""
    await popups.record_action(newsplus, request.user, popup_id, "dismissed")
    return Redirect(safe_next(next), status_code=303)


@post("/popups/{popup_id:int}/open", guards=[signed_in], status_code=303)
async def open_popup(request: Request, popup_id: FromPath[int], newsplus: NewsplusDep) -> Redirect:
    """Follow a pop-up's link (recorded as a click)."""
    link = await popups.record_action(newsplus, request.user, popup_id, "clicked")
    return Redirect(link or "/", status_code=303)


async def _compose(
    request: Request,
    newsplus: Any,
    template: str,
    form: ComposeForm,
    *,
    error: str = "",
    reach: int | None = None,
    status_code: int = 200,
    **extra: Any,
) -> Template:
    return await page(
        request,
        template,
        status_code=status_code,
        form=form,
        error=error,
        reach=reach,
        streets=[d for root in await department_tree() for d in [root, *root["children"]] if d["kind"] == "street"],
        roles=newsplus.roles,
        **extra,
    )


@get("/desk/notifications/broadcast", guards=[requires("notifications.broadcast")])
async def broadcast_page(request: Request, newsplus: NewsplusDep) -> Template:
    """Compose a broadcast: choose the audience, see how many it reaches, send."""
    recent = (
        await Broadcast.select(Broadcast.id, Broadcast.title, Broadcast.recipients, Broadcast.created_at)
        .order_by(Broadcast.id, ascending=False)
        .limit(20)
    )
    return await _compose(request, newsplus, "notifications/desk/broadcast.html", ComposeForm(), recent=recent)


@post("/desk/notifications/broadcast", guards=[requires("notifications.broadcast")], status_code=200)
async def broadcast_send(request: Request, data: URLEncodedBody[ComposeForm], newsplus: NewsplusDep) -> Response[Any]:
    """Preview the reach, or send."""
    _ = translator_for(request)
    try:
        audience = _audience(data)
        if data.action != "send":
            return await _compose(
                request,
                newsplus,
                "notifications/desk/broadcast.html",
                data,
                reach=await count_recipients(audience),
                recent=[],
            )
        await inbox.broadcast(
            newsplus, audience, data.title, body=data.body, link=data.link, created_by=request.user.id
        )
    except DomainError as exc:
        return await _compose(
            request,
            newsplus,
            "notifications/desk/broadcast.html",
            data,
            recent=[],
            error=_(exc.detail, **exc.params),
            status_code=exc.status_code,
        )
    return Redirect("/desk/notifications/broadcast", status_code=303)


@get("/desk/notifications/popups", guards=[requires("notifications.popup")])
async def popups_page(request: Request, newsplus: NewsplusDep) -> Template:
    """Scheduled pop-ups with how many saw, closed and opened them, and a form for a new one."""
    return await _compose(
        request,
        newsplus,
        "notifications/desk/popups.html",
        ComposeForm(),
        rows=await popups.list_popups(),
        preview=None,
    )


@post("/desk/notifications/popups", guards=[requires("notifications.popup")], status_code=200)
async def popup_save(request: Request, data: URLEncodedBody[ComposeForm], newsplus: NewsplusDep) -> Response[Any]:
    """Preview a pop-up as residents will see it, or schedule it."""
    _ = translator_for(request)
    zone = ZoneInfo(newsplus.settings.site.timezone)
    try:
        audience = _audience(data)
        if data.action != "send":
            return await _compose(
                request,
                newsplus,
                "notifications/desk/popups.html",
                data,
                rows=[],
                reach=await count_recipients(audience),
                preview=data,
            )
        digits = data.priority.strip()
        priority = int(digits) if digits.isascii() and digits.isdecimal() and len(digits) <= 3 else 0
        await popups.create_popup(
            newsplus,
            title=data.title,
            body=data.body,
            link=data.link,
            audience=audience,
            starts_at=_local(data.starts_at, zone, "starts_at"),
            ends_at=_local(data.ends_at, zone, "ends_at"),
            frequency=data.frequency,
            priority=min(priority, 100),
            created_by=request.user.id,
        )
    except DomainError as exc:
        return await _compose(
            request,
            newsplus,
            "notifications/desk/popups.html",
            data,
            rows=[],
            preview=None,
            error=_(exc.detail, **exc.params),
            status_code=exc.status_code,
        )
    return Redirect("/desk/notifications/popups", status_code=303)


@get("/desk/notifications/log", guards=[requires("events.monitor")])
async def log_page(request: Request) -> Template:
    """The delivery log: SMS and e-mail sends, and event deliveries that are failing or being retried."""
    sends = await SendLog.select().order_by(SendLog.id, ascending=False).limit(100)
    return await page(
        request,
        "notifications/desk/log.html",
        sends=sends,
        failing=await event_log("failed", 50),
        retrying=[d for d in await event_log("pending", 200) if d["attempts"] > 0],
    )


ROUTES = [
    inbox_page,
    read_all,
    settings_page,
    save_settings,
    dismiss,
    open_popup,
    broadcast_page,
    broadcast_send,
    popups_page,
    popup_save,
    log_page,
]
