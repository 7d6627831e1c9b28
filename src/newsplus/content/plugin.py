"""The content core plugin: the editorial roles and permissions the desk will check."""

from __future__ import annotations

from newsplus.hookspecs import hookimpl
from newsplus.types import Permission, Role

name = "content"


@hookimpl
def register_permissions() -> list[Permission]:
    """Permissions of the editorial workflow."""
    return [
        Permission(name="content.edit", label="Write and edit articles"),
        Permission(name="content.review", label="Review articles (初审 / 复审)"),
        Permission(name="content.publish", label="Give final approval and publish (终审)"),
        Permission(name="content.moderate", label="Moderate comments"),
    ]


@hookimpl
def register_roles() -> list[Role]:
    """The editorial roles and what they may do."""
    return [
        Role(name="editor", permissions=("content.edit",)),
        Role(name="reviewer", permissions=("content.review", "content.moderate")),
        Role(
            name="chief_editor", permissions=("content.edit", "content.review", "content.publish", "content.moderate")
        ),
    ]
