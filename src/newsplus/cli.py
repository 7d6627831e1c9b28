"""The ``newsplus`` command: demo, serve, migrate, createuser, plugins, seed, makemigrations, new, new-plugin."""

from __future__ import annotations

import asyncio
import getpass
import os
import secrets
from collections.abc import Callable
from functools import cache
from importlib.metadata import version as dist_version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from newsplus.db import DatabaseError
from newsplus.plugins import DEFAULT_PLUGINS, PluginError, installed_plugins
from newsplus.runtime import Newsplus
from newsplus.settings import Settings, SettingsError, load_settings, require_secret, settings_from_dict
from newsplus.version import __version__

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress
CONFIG = click.option(
    "--config",
    "config_path",
    envvar="NEWSPLUS_CONFIG",
    default="newsplus.toml",
    show_default=True,
    help="The deployment's settings file.",
)
KNOWN_ERRORS = (SettingsError, PluginError, DatabaseError)


@cache
def console() -> Console:
    """The terminal the commands print to (rich loads on first use: `newsplus serve` starts without it)."""
    from rich.console import Console

    return Console()


GRACEFUL_SECONDS = 3  # a stop (SIGTERM) finishes requests under way within this, then closes what is left open


def fail_cleanly(function: Callable[..., Any]) -> Callable[..., Any]:
    """Report configuration and database problems as one sentence, without a traceback."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except KNOWN_ERRORS as exc:
            raise click.ClickException(str(exc)) from None

    wrapper.__name__ = function.__name__
    wrapper.__doc__ = function.__doc__
    return wrapper


async def _with_database(newsplus: Newsplus, work: Callable[[], Any]) -> Any:
    """Open the database, run ``work``, close it (no background loops: a command's work runs alone)."""
    newsplus.serving = False
    await newsplus.start()
    try:
        return await work()
    finally:
        await newsplus.stop()


def _progress() -> Progress:
    from rich.progress import BarColumn, Progress, TextColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        console=console(),
        transient=False,
    )


@click.group()
@click.version_option(__version__, prog_name="newsplus")
def cli() -> None:
    """newsplus: district news+ apps — content, 问政, life services, activities, government information."""


@cli.command()
@CONFIG
@fail_cleanly
def migrate(config_path: str) -> None:
    """Apply the migrations of every enabled app, in dependency order."""
    from newsplus import db

    newsplus = Newsplus(load_settings(config_path))

    async def run() -> list[str]:
        await newsplus.open_database()
        try:
            pending = await db.pending_migrations(newsplus.registry)
            with _progress() as progress:
                task = progress.add_task("Migrating", total=len(pending))
                applied = await newsplus.migrate(
                    progress=lambda name: progress.update(task, advance=1, description=name)
                )
            return applied
        finally:
            await db.close_pool(newsplus.engine)

    applied = asyncio.run(run())
    console().print(f"Applied {len(applied)} migration(s); the database is up to date.")


@cli.command()
@CONFIG
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option("--reload", is_flag=True, help="Restart on code changes (development).")
@click.option(
    "--proxy-ips",
    default="127.0.0.1",
    show_default=True,
    help="Addresses of reverse proxies whose X-Forwarded-For is trusted (comma-separated, or *).",
)
@fail_cleanly
def serve(config_path: str, host: str, port: int, workers: int, reload: bool, proxy_ips: str) -> None:
    """Serve the deployment with uvicorn (uvloop, several workers when asked)."""
    from newsplus import db
    from newsplus.app import create_app, served_app
    from newsplus.serving import run_server
    from newsplus.startup import collector_paused

    settings = load_settings(config_path)
    require_secret(settings)

    async def check(newsplus: Newsplus) -> None:
        await newsplus.open_database()
        try:
            await newsplus.ensure_migrated()  # once here, not in every worker
        finally:
            await db.close_pool(newsplus.engine)

    os.environ["NEWSPLUS_CONFIG"] = str(Path(config_path).resolve())
    single = workers == 1 and not reload  # one process: serve the app built on the checked Newsplus
    with collector_paused():  # until served_app has frozen what start-up built (see newsplus.startup)
        newsplus = Newsplus(settings)
        asyncio.run(check(newsplus))
        app = served_app(create_app(newsplus=newsplus)) if single else "newsplus.app:app_from_env"
    run_server(
        app,
        factory=not single,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        proxy_headers=True,
        forwarded_allow_ips=proxy_ips,
        log_level="info",
        # Open notification streams never end by themselves: give them this long, then stop anyway.
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
    )


def _find_example() -> Path:
    here = Path.cwd().resolve()
    for folder in [here, *here.parents]:
        candidate = folder / "examples" / "changping" / "newsplus.toml"
        if candidate.is_file():
            return candidate
    raise SettingsError("examples/changping/newsplus.toml not found: run `newsplus demo` inside a newsplus checkout")


def demo_settings(db_path: str | None) -> Settings:
    """The Changping example's settings, on SQLite (its own file unless --db is given), migrating itself."""
    import tomllib

    config = _find_example()
    raw = tomllib.loads(config.read_text(encoding="utf-8"))
    path = Path(db_path).resolve() if db_path else config.parent / ".data" / "demo.sqlite3"
    raw["database"] = {"url": f"sqlite:///{path}", "auto_migrate": True}
    secret_file = path.parent / "demo-secret.txt"
    if not secret_file.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        secret_file.write_text(secrets.token_urlsafe(32), encoding="utf-8")
    raw.setdefault("site", {}).setdefault("secret", secret_file.read_text(encoding="utf-8").strip())
    raw["site"].setdefault("media", str(path.parent / "media"))  # uploads beside the database, not in the example
    return settings_from_dict(raw, root=config.parent)


async def seed_demo_data(newsplus: Newsplus) -> list[str]:
    """Run every plugin's demo data in the primary district; return the lines to show (accounts …)."""
    from newsplus.districts.scope import district_scope

    lines: list[str] = []
    seeds = newsplus.collect("register_demo_data")
    district = newsplus.districts.primary
    assert district is not None
    with district_scope(district), _progress() as progress:
        task = progress.add_task("Demo data", total=len(seeds))
        for seed in seeds:
            result = await seed(newsplus)
            lines += list(result or [])
            progress.update(task, advance=1)
    return lines


@cli.command()
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--db", "db_path", default=None, help="SQLite file to use (created and seeded the first time).")
@fail_cleanly
def demo(port: int, host: str, db_path: str | None) -> None:
    """Serve the Changping reference app on SQLite with demo data (created the first time)."""
    import uvicorn

    from newsplus.app import create_app

    settings = demo_settings(db_path)
    db_file = Path(settings.database.url.removeprefix("sqlite:///"))
    first_time = not db_file.exists()
    newsplus = Newsplus(settings)
    if first_time:
        lines = asyncio.run(_with_database(newsplus, lambda: seed_demo_data(newsplus)))
        (db_file.parent / "demo-accounts.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    accounts = db_file.parent / "demo-accounts.txt"
    console().print(f"[bold]{settings.site.name}[/bold] demo on http://{host}:{port}/  (database {db_file})")
    if accounts.exists():
        console().print(accounts.read_text(encoding="utf-8"))
    uvicorn.run(create_app(newsplus=newsplus), host=host, port=port, log_level="info")


@cli.command()
@CONFIG
@fail_cleanly
def seed(config_path: str) -> None:
    """Write every enabled plugin's demo data into the site's district."""
    newsplus = Newsplus(load_settings(config_path))
    for line in asyncio.run(_with_database(newsplus, lambda: seed_demo_data(newsplus))):
        console().print(line)


@cli.command()
@CONFIG
@click.argument("username")
@click.option(
    "--role", "roles", multiple=True, default=("admin",), show_default=True, help="A role to give (repeat for several)."
)
@click.option("--department", default=None, help="Name of the department the roles are held in.")
@click.option("--name", "display_name", default="", help="Display name.")
@click.option("--district", default=None, help="District slug (defaults to the site's district).")
@click.option(
    "--password",
    default=None,
    help="Password (asked for when not given; or NEWSPLUS_PASSWORD).",
    envvar="NEWSPLUS_PASSWORD",
)
@fail_cleanly
def createuser(
    config_path: str,
    username: str,
    roles: tuple[str, ...],
    department: str | None,
    display_name: str,
    district: str | None,
    password: str | None,
) -> None:
    """Create a staff account (an administrator unless --role says otherwise)."""
    from newsplus.districts.scope import district_scope
    from newsplus.errors import DomainError
    from newsplus.users.accounts import create_staff
    from newsplus.users.tables import Department

    newsplus = Newsplus(load_settings(config_path))
    if password is None:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise click.ClickException("the passwords do not match")

    async def work() -> int:
        slug = district or newsplus.settings.site.district
        target = newsplus.districts.by_slug.get(slug)
        if target is None:
            raise click.ClickException(f"unknown district {slug!r}")
        with district_scope(target):
            department_id = None
            if department:
                row = await Department.select(Department.id).where(Department.name == department).first()
                if row is None:
                    raise click.ClickException(f"unknown department {department!r}")
                department_id = row["id"]
            try:
                return await create_staff(
                    newsplus, username, password or "", display_name=display_name, roles=roles, department=department_id
                )
            except DomainError as exc:
                raise click.ClickException(exc.detail.format(**exc.params)) from None

    user_id = asyncio.run(_with_database(newsplus, work))
    console().print(f"Created staff account {username!r} (id {user_id}) with roles {', '.join(roles)}.")


@cli.command()
@CONFIG
def plugins(config_path: str) -> None:
    """List the core plugins and every installed plugin, with versions and whether they are enabled."""
    enabled: set[str] = set()
    if Path(config_path).is_file():
        try:
            enabled = set(load_settings(config_path).plugins)
        except SettingsError as exc:
            console().print(f"[yellow]{exc}[/yellow]")
    from rich.table import Table

    table = Table("plugin", "version", "distribution", "status")
    for name in DEFAULT_PLUGINS:
        table.add_row(name, __version__, "newsplus", "core")
    for name, entry_point in sorted(installed_plugins().items()):
        dist = entry_point.dist.name if entry_point.dist else "?"
        table.add_row(
            name, dist_version(dist) if entry_point.dist else "?", dist, "enabled" if name in enabled else "installed"
        )
    console().print(table)


@cli.command()
@CONFIG
@click.argument("app_name")
@click.option("--desc", default="", help="What the migration does.")
@fail_cleanly
def makemigrations(config_path: str, app_name: str, desc: str) -> None:
    """Write a new migration for a piccolo app from the changes in its tables (for plugin authors)."""
    from piccolo.apps.migrations.commands.new import new

    settings = load_settings(config_path) if Path(config_path).is_file() else settings_from_dict({})
    newsplus = Newsplus(settings)
    if app_name not in newsplus.registry.app_configs:
        raise click.ClickException(
            f"unknown app {app_name!r}; enabled apps: {', '.join(newsplus.registry.app_configs)}"
        )
    asyncio.run(new(app_name, auto=True, desc=desc, auto_input="y"))


@cli.command("new")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", "title", default="我的区融媒", show_default=True, help="The app's name.")
@click.option("--district", default="mydistrict", show_default=True, help="The district's slug.")
@fail_cleanly
def new_site_command(directory: Path, title: str, district: str) -> None:
    """Start a new district app in DIRECTORY: settings, its own plugin, templates, tests."""
    from newsplus.scaffold import new_site

    enabled = [name for name in ("wenzheng", "services", "activities", "govinfo") if name in installed_plugins()]
    try:
        files = new_site(directory, title=title, district=district, enabled=enabled)
    except ValueError as exc:
        raise SettingsError(str(exc)) from None
    console().print(f"Created {len(files)} files in {directory}. Next: cd {directory} && newsplus serve")


@cli.command("new-plugin")
@click.argument("name")
@click.option("--into", "parent", default=".", type=click.Path(file_okay=False, path_type=Path))
@fail_cleanly
def new_plugin_command(name: str, parent: Path) -> None:
    """Start a plugin package newsplus-NAME: hooks, settings, an API, a page, translations and tests."""
    from newsplus.scaffold import new_plugin

    try:
        files = new_plugin(parent, name)
    except ValueError as exc:
        raise SettingsError(str(exc)) from None
    console().print(f"Created {len(files)} files in {parent / ('newsplus-' + name)}. Next: pip install -e it, pytest")


def main() -> None:
    """Entry point: the core commands plus those the enabled plugins register."""
    config = os.environ.get("NEWSPLUS_CONFIG", "newsplus.toml")
    if Path(config).is_file():
        try:
            for command in Newsplus(load_settings(config)).collect("register_commands"):
                cli.add_command(command)
        except KNOWN_ERRORS:
            pass  # the command itself reports the problem, once
    cli()
