"""Settings of the government-information plugin: ``[plugins.govinfo]``."""

from __future__ import annotations

import msgspec

LEVELS = {"central": "中央", "city": "市", "district": "区", "street": "街道"}
"""Which government a notice comes from, in the order residents read them."""


class GovinfoSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Notice categories, the channel notices go out in, and the livelihood topics (专题) they gather in."""

    categories: tuple[str, ...] = ("社保", "医疗", "教育", "就业", "住房", "交通", "养老", "民政", "其他")
    """The categories notices are filed under, followed and filtered by."""
    channel: str = "govinfo"
    """The content channel (栏目) notices are published in; created with its review chain on first use."""
    channel_name: str = "政务公开"
    """The name of that channel."""
    topics: dict[str, str] = msgspec.field(
        default_factory=lambda: {
            "社保": "shebao",
            "医疗": "yiliao",
            "教育": "jiaoyu",
            "就业": "jiuye",
            "养老": "yanglao",
        }
    )
    """Category → slug of the livelihood topic (民生专题) its published notices are added to."""
    notify_days: int = 3
    """Subscribers hear of notices published in the last this many days (an old import stays quiet)."""
