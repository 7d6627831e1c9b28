"""P2: the newsplus feed against Wagtail's API v2 over the same 100,000 articles, each served as its
docs recommend (newsplus by `newsplus serve`, Wagtail by gunicorn with DEBUG off), in one run."""

from __future__ import annotations

from pathlib import Path

import httpx

from bench.data import CHANNELS, articles, build
from bench.goals import Row, Run
from bench.load import drive
from bench.serve import free_port, newsplus_server
from bench.wagtail_site import wagtail_server

SIZES = {"articles_n": 100_000, "inquiries_n": 1_000, "residents_n": 1_000, "tokens": 10}


def _same_articles(count: int) -> list[tuple[str, str, str, object]]:
    """The articles newsplus holds, as (title, slug, summary, first published) for Wagtail."""
    refs = {"district": 1, "channels": list(range(len(CHANNELS)))}
    return [(a["title"], f"news-{n}", a["summary"], a["published_at"]) for n, a in enumerate(articles(count, refs))]


def _settle(url: str) -> None:
    """One request waited for, so a backlog left by the previous load run is answered first."""
    httpx.get(url, timeout=300)


def wagtail_goals(run: Run, workdir: Path, pages: int) -> list[Row]:
    """Requests/s of both on the plain newest-first listing and on newest-first of one kind (a channel)."""
    data = build(f"sqlite:///{workdir / 'newsplus.sqlite3'}", workdir / "newsplus", **dict(SIZES, articles_n=pages))
    rows: list[Row] = []
    with newsplus_server(data.config, run.workers, run.logs / "newsplus-p2.log") as server:
        mine = {
            "listing": "/api/v1/feed?limit=20",
            "one kind": f"/api/v1/feed?channel={data.channel}&limit=20",
        }
        ours = {k: drive(server.base + p, connections=16, seconds=run.seconds).rps for k, p in mine.items()}
    with wagtail_server(_same_articles(pages), workdir / "wagtail", free_port(), run.workers) as site:
        theirs = {}
        for kind, path in (("listing", site.listing_path), ("one kind", site.newest_of_type_path)):
            _settle(site.base_url + path)
            theirs[kind] = drive(site.base_url + path, connections=16, seconds=run.seconds).rps
            _settle(site.base_url + path)
    for kind in mine:
        ratio = ours[kind] / max(theirs[kind], 0.01)
        rows.append(
            Row(
                f"P2 feed {kind} vs Wagtail {site.version} API v2, {pages:,} pages: requests/s",
                f"{ours[kind]:,.0f}",
                f"{theirs[kind]:,.1f}",
                f"{ratio:,.0f}×",
                "≥ 50×",
                ratio >= 50,
            )
        )
    return rows
