"""A reader's content data, for their data export: the articles they liked and kept, the channels they
follow and the comments they wrote. (Deleting the account keeps these for the article counts; comments
then show under the tombstone's name.)"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from newsplus.content.tables import Comment, Follow, Reaction

if TYPE_CHECKING:
    from newsplus.users.access import CurrentUser

__all__ = ["export"]


async def _reactions(user: CurrentUser, kind: str) -> list[dict[str, Any]]:
    return [
        dict(row, url=f"/articles/{row['article']}")
        for row in await Reaction.select(
            Reaction.article, Reaction.article.title.as_alias("title"), Reaction.created_at
        )
        .where((Reaction.user == user.id) & (Reaction.kind == kind))
        .order_by(Reaction.id)
    ]


async def export(user: CurrentUser) -> dict[str, Any]:
    """Favourites and likes (also of articles since taken down), follows, and every comment with its
    moderation status."""
    return {
        "content": {
            "favourites": await _reactions(user, "favourite"),
            "likes": await _reactions(user, "like"),
            "follows": await Follow.select(Follow.channel, Follow.channel.name.as_alias("name"), Follow.created_at)
            .where(Follow.user == user.id)
            .order_by(Follow.id),
            "comments": await Comment.select(
                Comment.article,
                Comment.article.title.as_alias("title"),
                Comment.body,
                Comment.status,
                Comment.reason,
                Comment.created_at,
            )
            .where(Comment.user == user.id)
            .order_by(Comment.id),
        }
    }
