"""Channels (栏目): the district's tree, each node's review chain, and residents following them."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import msgspec

from newsplus import db
from newsplus.clock import now
from newsplus.content.cache import changes, content_cache
from newsplus.content.schemas import ChannelIn
from newsplus.content.settings import ReviewStep
from newsplus.content.tables import Channel, Follow
from newsplus.errors import Conflict, InvalidInput, NotFound

if TYPE_CHECKING:
    from newsplus.runtime import Newsplus
    from newsplus.users.access import CurrentUser

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


class ChannelNode(msgspec.Struct, kw_only=True):
    """A channel as readers and the desk see it, with its descendants' ids for feeds."""

    id: int
    slug: str
    name: str
    parent: int | None
    position: int
    description: str
    review_chain: str
    subtree: list[int] = []
    depth: int = 0


async def channel_tree(newsplus: Newsplus) -> list[ChannelNode]:
    """Every active channel in tree order (parents before children), cached per content version."""

    async def build() -> tuple[list[ChannelNode], None]:
        rows = await Channel.select().where(Channel.active == True).order_by(Channel.position)  # noqa: E712
        nodes = {r["id"]: ChannelNode(**{k: r[k] for k in ChannelNode.__struct_fields__ if k in r}) for r in rows}
        children: dict[int | None, list[ChannelNode]] = {}
        for node in nodes.values():
            children.setdefault(node.parent if node.parent in nodes else None, []).append(node)
        ordered: list[ChannelNode] = []

        def walk(parent: int | None, depth: int) -> list[int]:
            ids: list[int] = []
            for node in children.get(parent, []):
                node.depth = depth
                ordered.append(node)
                node.subtree = [node.id, *walk(node.id, depth + 1)]
                ids.extend(node.subtree)
            return ids

        walk(None, 0)
        return ordered, None

    return await content_cache(newsplus).get("channels", build)


async def channel_by_slug(newsplus: Newsplus, slug: str) -> ChannelNode:
    """An active channel by its slug."""
    for node in await channel_tree(newsplus):
        if node.slug == slug:
            return node
    raise NotFound("No such channel: {slug}", slug=slug)


async def channel_by_id(newsplus: Newsplus, channel_id: int) -> ChannelNode | None:
    """An active channel by id, or None."""
    return next((n for n in await channel_tree(newsplus) if n.id == channel_id), None)


def parse_chain(newsplus: Newsplus, raw: str | list[dict[str, str]]) -> tuple[ReviewStep, ...]:
    """A review chain from its stored or submitted form; every step names a known role."""
    if not raw:
        return newsplus.plugin_settings["content"].review_chain
    try:
        steps = msgspec.convert(msgspec.json.decode(raw) if isinstance(raw, str) else raw, tuple[ReviewStep, ...])
    except (msgspec.ValidationError, msgspec.DecodeError):
        raise InvalidInput("Each review step needs a name and a role", extra={"field": "review_chain"}) from None
    for step in steps:
        if step.role not in newsplus.roles:
            raise InvalidInput("Unknown role {role}", role=step.role, extra={"field": "review_chain"})
    return steps


async def save_channel(newsplus: Newsplus, data: ChannelIn, channel_id: int | None = None) -> int:
    """Create a channel, or change one; return its id."""
    if not SLUG.match(data.slug):
        raise InvalidInput("A slug uses lowercase letters, digits and hyphens", extra={"field": "slug"})
    name = data.name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("A name of 1 to 100 characters is required", extra={"field": "name"})
    chain = parse_chain(newsplus, data.review_chain) if data.review_chain else ()
    parent = (await channel_by_slug(newsplus, data.parent)).id if data.parent else None
    if channel_id is not None and parent is not None:
        node = await channel_by_id(newsplus, channel_id)
        if node and parent in node.subtree:
            raise InvalidInput("A channel cannot sit under itself", extra={"field": "parent"})
    values = {
        Channel.slug: data.slug,
        Channel.name: name,
        Channel.parent: parent,
        Channel.position: data.position,
        Channel.description: data.description.strip(),
        Channel.review_chain: msgspec.json.encode(chain).decode() if chain else "",
    }
    taken = Channel.exists().where(Channel.slug == data.slug)
    if channel_id is not None:
        taken = taken.where(Channel.id != channel_id)
    try:
        return await _write_channel(newsplus, values, taken, data.slug, channel_id)
    except Exception as exc:
        if db.is_unique_violation(exc):  # the same slug saved by someone else at the same moment
            raise Conflict("The slug {slug} is taken", slug=data.slug, extra={"field": "slug"}) from None
        raise


async def _write_channel(newsplus: Newsplus, values: dict, taken: Any, slug: str, channel_id: int | None) -> int:
    async with changes(newsplus):
        if await taken:
            raise Conflict("The slug {slug} is taken", slug=slug, extra={"field": "slug"})
        if channel_id is None:
            row = Channel(**{c._meta.name: v for c, v in values.items()})
            await row.save()
            return row.id
        if not await Channel.update(values).where(Channel.id == channel_id).returning(Channel.id):
            raise NotFound("No such channel: {slug}", slug=slug)
        return channel_id


async def follow(newsplus: Newsplus, user: CurrentUser, slug: str, on: bool) -> bool:
    """Follow or unfollow a channel; return whether the user now follows it."""
    node = await channel_by_slug(newsplus, slug)
    if on:
        await Follow.insert(Follow(user=user.id, channel=node.id, created_at=now())).on_conflict(action="DO NOTHING")
    else:
        await Follow.delete().where((Follow.user == user.id) & (Follow.channel == node.id))
    return on


async def followed(user: CurrentUser) -> list[int]:
    """Ids of the channels a user follows."""
    return [r["channel"] for r in await Follow.select(Follow.channel).where(Follow.user == user.id)]


def channel_list(nodes: list[ChannelNode]) -> list[dict[str, Any]]:
    """Channels as the API lists them."""
    return [{"slug": n.slug, "name": n.name, "parent": n.parent, "depth": n.depth, "id": n.id} for n in nodes]
