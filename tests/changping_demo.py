"""The Changping reference app, seeded with its demo data, for the tests that walk through it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from litestar import Litestar

from newsplus.app import create_app
from newsplus.cli import _with_database, demo_settings, seed_demo_data
from newsplus.runtime import Newsplus


def seeded_changping(folder: Path) -> tuple[Litestar, list[str]]:
    """The Changping app on a fresh SQLite file in ``folder`` with every plugin's demo data (no background loops)."""
    newsplus = Newsplus(demo_settings(str(folder / "demo.sqlite3")))
    lines = asyncio.run(_with_database(newsplus, lambda: seed_demo_data(newsplus)))
    newsplus.serving = False
    return create_app(newsplus=newsplus), lines
