"""The notes plugin: a route, a table with a migration, a setting, a permission, and every other core hook."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import click
import msgspec
from litestar import Request, get, post
from litestar.params import JSONBody
from litestar.response import Template
from markupsafe import Markup

from newsplus import (
    DemoData,
    DistributionChannel,
    Event,
    FeedItem,
    HomeTile,
    InvalidInput,
    Job,
    MenuItem,
    Message,
    NewsplusDep,
    Permission,
    Role,
    anyone,
    current_district,
    hookimpl,
    page,
    publish,
    requires,
    transaction,
)
from notes_plugin import hookspecs
from notes_plugin.settings import NotesSettings
from notes_plugin.tables import Note

name = "notes"
requires_newsplus = ">=0.1"


class NoteWritten(Event, frozen=True, tag="notes.note_written"):
    """A note was written."""

    note_id: int
    body: str


class Recorder:
    """What the notes plugin's event handler and job saw (tests read and steer it)."""

    def __init__(self) -> None:
        self.events: list[NoteWritten] = []
        self.fail_next = 0
        self.delay = 0.0
        self.job_runs: list[tuple[str, str]] = []
        self.noticeboard: list[str] = []


recorder = Recorder()


class NoteIn(msgspec.Struct):
    """A note to write."""

    body: str


async def add_note(newsplus: Any, body: str, author: int | None) -> int:
    """Write a note (the domain function the route calls)."""
    limit = newsplus.plugin_settings["notes"].max_length
    if not body.strip() or len(body) > limit:
        raise InvalidInput("A note needs 1 to {limit} characters", limit=limit)
    async with transaction():
        note = Note(body=body, author=author, created_at=datetime.now(UTC))
        await note.save()
        await publish(newsplus, NoteWritten(note_id=note.id, body=body), actor=author)
    return note.id


@get("/api/v1/notes", guards=[anyone])
async def list_notes() -> list[dict[str, Any]]:
    """The district's notes, newest first."""
    return await Note.select(Note.id, Note.body).order_by(Note.id, ascending=False)


@post("/api/v1/notes", guards=[requires("notes.write")], status_code=201)
async def create_note(request: Request, data: JSONBody[NoteIn], newsplus: NewsplusDep) -> dict[str, int]:
    """Write a note."""
    return {"id": await add_note(newsplus, data.body, request.user.id)}


@get("/notes", guards=[anyone])
async def notes_page(request: Request, newsplus: NewsplusDep) -> Template:
    """The notes page."""
    notes = await Note.select(Note.body).order_by(Note.id, ascending=False)
    return await page(request, "notes/list.html", notes=notes, title=newsplus.plugin_settings["notes"].title)


class RecordingChannel:
    """An SMS "provider" that keeps what it sends (a real channel as far as the core can tell)."""

    name = "recording_sms"
    kinds = frozenset({"sms"})

    def __init__(self) -> None:
        self.sent: list[Message] = []

    async def send(self, message: Message) -> bool:
        self.sent.append(message)
        return True


class FailingChannel:
    """An SMS channel that always fails, so delivery falls back to the next one."""

    name = "failing_sms"
    kinds = frozenset({"sms"})

    def __init__(self) -> None:
        self.attempts: list[Message] = []

    async def send(self, message: Message) -> bool:
        self.attempts.append(message)
        raise ConnectionError("provider unreachable")


@click.command("notes-count")
def notes_count() -> None:
    """Print how many notes there are (a plugin command)."""
    click.echo("notes: ok")


@hookimpl
def addhooks(pluginmanager: Any) -> None:
    """Add notes_register_kinds."""
    pluginmanager.add_hookspecs(hookspecs)


@hookimpl
def register_settings() -> dict[str, type]:
    """``[plugins.notes]``."""
    return {"notes": NotesSettings}


@hookimpl
def register_piccolo_apps() -> list[str]:
    """The notes table."""
    return ["notes_plugin.piccolo_app"]


@hookimpl
def register_routes(newsplus: Any) -> list[Any]:
    """The notes API and page."""
    return [list_notes, create_note, notes_page]


@hookimpl
def register_permissions() -> list[Permission]:
    """Writing notes."""
    return [Permission(name="notes.write", label="Write notes")]


@hookimpl
def register_roles() -> list[Role]:
    """Editors may write notes; so may the plugin's own role."""
    return [
        Role(name="editor", permissions=("notes.write",)),
        Role(name="note_taker", label="记录员", permissions=("notes.write",)),
    ]


@hookimpl
def register_notification_channels(newsplus: Any) -> list[Any]:
    """A provider that fails, then one that works: the fallback chain."""
    return [FailingChannel(), RecordingChannel()]


@hookimpl
def register_commands() -> list[click.Command]:
    """``newsplus notes-count``."""
    return [notes_count]


async def seed_notes(newsplus: Any) -> list[str]:
    """One demo note."""
    await add_note(newsplus, "第一条示例笔记", None)
    return ["notes: 1 demo note"]


@hookimpl
def register_demo_data() -> list[DemoData]:
    """One demo note."""
    return [seed_notes]


@hookimpl
def prepare_jinja2_environment(env: Any, newsplus: Any) -> None:
    """A ``shout`` filter."""
    env.filters["shout"] = lambda text: f"{text}!"


@hookimpl
def configure_app(app_config: Any, newsplus: Any) -> None:
    """Mark every response, to show the app config can be changed."""
    # A before_send hook rather than response_headers: litestar keeps the headers it resolved for a route
    # handler on the handler, and the core's handlers are shared by every app a test process builds.
    app_config.before_send.append(_mark)


async def _mark(message: Any, scope: Any) -> None:
    if message["type"] == "http.response.start":
        message["headers"] = [*message.get("headers", ()), (b"x-notes", b"on")]


@hookimpl
def startup(newsplus: Any):
    """Count start-ups."""

    async def run() -> None:
        newsplus.state["notes_started"] = newsplus.state.get("notes_started", 0) + 1

    return run()


@hookimpl
def shutdown(newsplus: Any) -> None:
    """Count shut-downs."""
    newsplus.state["notes_stopped"] = newsplus.state.get("notes_stopped", 0) + 1


@hookimpl
def user_data(newsplus: Any, user: Any):
    """The notes a user wrote."""

    async def collect() -> dict[str, Any]:
        return {"notes": await Note.select(Note.id, Note.body).where(Note.author == user.id)}

    return collect()


@hookimpl
def handle_user_deleted(newsplus: Any, user: Any):
    """Delete a leaving user's notes."""
    return Note.delete().where(Note.author == user.id).run()


@hookimpl
def home_tiles(request: Request, user: Any) -> list[HomeTile]:
    """A tile to the notes page."""
    return [HomeTile(title="Notes", url="/notes", summary="Short notes from the district", order=5)]


@hookimpl
def menu_items(request: Request, user: Any) -> list[MenuItem]:
    """A desk entry for note writers."""
    return [MenuItem(label="Notes", url="/notes", area="desk", order=50, permission="notes.write")]


@hookimpl
def extra_template_vars(request: Request, template: str) -> dict[str, Any]:
    """A variable every page gets."""
    return {"notes_banner": "notes-enabled"}


@hookimpl
def register_events() -> list[type[Event]]:
    """The notes plugin's one event."""
    return [NoteWritten]


@hookimpl
def handle_event(event: Event, newsplus: Any):
    """Record note events; fail on purpose while the recorder says so."""

    async def handle() -> None:
        if not isinstance(event, NoteWritten):
            return
        if recorder.delay:
            await asyncio.sleep(recorder.delay)
        if recorder.fail_next > 0:
            recorder.fail_next -= 1
            raise ConnectionError("search index unavailable")
        recorder.events.append(event)

    return handle()


async def count_notes(newsplus: Any) -> None:
    """Record which district the job ran for, and how many notes it has."""
    recorder.job_runs.append((current_district().slug, str(await Note.count())))


@hookimpl
def register_jobs() -> list[Job]:
    """A job that counts notes every minute, in every district."""
    from datetime import timedelta

    return [Job(name="notes.count", run=count_notes, every=timedelta(minutes=1), description="Count notes")]


async def post_to_noticeboard(newsplus: Any, article: dict[str, Any]) -> str:
    """Pin a published article's title on the notice board; a title starting with 坏 jams it."""
    if article["title"].startswith("坏"):
        raise RuntimeError("the notice board is jammed")
    recorder.noticeboard.append(article["title"])
    return f"board:{article['id']}"


@hookimpl
def register_distribution_channels(newsplus: Any) -> list[DistributionChannel]:
    """The community notice board, a target every publish goes to."""
    return [DistributionChannel(name="noticeboard", label="Notice board", publish=post_to_noticeboard)]


@hookimpl
def render_feed_item(item: FeedItem, request: Request) -> str | None:
    """Notes' own card for the articles notes published; others are left to the core."""
    if item.source != "notes":
        return None
    return Markup('<div class="note-card">📌 {}</div>').format(item.title)
