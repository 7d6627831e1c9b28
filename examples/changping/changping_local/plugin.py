"""Changping's local plugin: enabled through ``[plugins] modules`` in examples/changping/newsplus.toml."""

from __future__ import annotations

from changping_local import activities, demo, govinfo, history, inquiries, news, services
from newsplus import DemoData, hookimpl

name = "changping_local"


@hookimpl
def register_demo_data() -> list[DemoData]:
    """Changping's departments and demo staff accounts, then its demo news, 问政, services, 政务 and activities."""
    return [
        demo.seed,
        news.seed_news,
        inquiries.seed_inquiries,
        history.seed_history,
        services.seed_services,
        govinfo.seed_govinfo,
        activities.seed_activities,
    ]
