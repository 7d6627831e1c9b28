"""Who a broadcast or pop-up is for: everyone, streets, communities, roles, tags or listed users (any of them)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from newsplus.errors import InvalidInput
from newsplus.users.access import CurrentUser
from newsplus.users.tables import Department, Grant, User, UserTag

__all__ = ["Audience", "check_audience", "count_recipients", "meant_for", "reaches_anyone", "tags_of"]

Ids = Annotated[list[int], msgspec.Meta(max_length=1000)]
Names = Annotated[list[str], msgspec.Meta(max_length=100)]


class Audience(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A target audience; a user belongs to it when any one criterion matches."""

    everyone: bool = False
    streets: Ids = []
    communities: Ids = []
    roles: Names = []
    tags: Names = []
    users: Ids = []

    @property
    def is_empty(self) -> bool:
        """True when no criterion is given."""
        return not (self.everyone or self.streets or self.communities or self.roles or self.tags or self.users)

    @property
    def needs_tags(self) -> bool:
        """Whether matching needs the user's tags."""
        return bool(self.tags)

    def matches(self, user: CurrentUser, tags: frozenset[str] = frozenset()) -> bool:
        """Whether this user is in the audience."""
        return (
            self.everyone
            or user.id in self.users
            or (user.street is not None and user.street in self.streets)
            or (user.community is not None and user.community in self.communities)
            or bool(user.roles.intersection(self.roles))
            or bool(tags.intersection(self.tags))
        )

    def encode(self) -> str:
        """The audience as stored (JSON)."""
        return msgspec.json.encode(self).decode()

    @classmethod
    def decode(cls, text: str) -> Audience:
        """An audience from its stored JSON."""
        return msgspec.json.decode(text, type=cls)


async def check_audience(audience: Audience, roles: dict[str, Any]) -> None:
    """Refuse an empty audience or one naming streets, communities or roles that do not exist."""
    if audience.is_empty:
        raise InvalidInput("Choose who should receive this", extra={"field": "audience"})
    unknown_roles = sorted(set(audience.roles) - set(roles))
    if unknown_roles:
        raise InvalidInput("Unknown role {role}", role=unknown_roles[0], extra={"field": "audience.roles"})
    for kind, ids in (("street", audience.streets), ("community", audience.communities)):
        if ids:
            found = await Department.count().where(Department.id.is_in(ids) & (Department.kind == kind))
            if found != len(set(ids)):
                raise InvalidInput("Unknown {kind} in the audience", kind=kind, extra={"field": f"audience.{kind}"})


async def count_recipients(audience: Audience) -> int:
    """How many active users of the district the audience reaches (one query, however many users)."""
    if audience.is_empty:
        return 0
    return await User.count().where(_members(audience))


async def reaches_anyone(audience: Audience) -> bool:
    """Whether the audience reaches at least one active user (stops at the first: as quick for a million)."""
    return not audience.is_empty and await User.exists().where(_members(audience))


def _members(audience: Audience) -> Any:
    """The condition on users for the active members of an audience."""
    active = User.is_active == True  # noqa: E712
    if audience.everyone:
        return active
    conditions = []
    if audience.users:
        conditions.append(User.id.is_in(audience.users))
    if audience.streets:
        conditions.append(User.street.is_in(audience.streets))
    if audience.communities:
        conditions.append(User.community.is_in(audience.communities))
    if audience.roles:
        conditions.append(User.id.is_in(Grant.select(Grant.user).where(Grant.role.is_in(audience.roles))))
    if audience.tags:
        conditions.append(User.id.is_in(UserTag.select(UserTag.user).where(UserTag.tag.is_in(audience.tags))))
    where = conditions[0]
    for condition in conditions[1:]:
        where = where | condition
    return active & where


async def meant_for(user: CurrentUser, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows (each with its stored ``audience``) whose audience includes this user, in their order."""
    audiences = {r["id"]: Audience.decode(r["audience"]) for r in rows}
    tags = await tags_of(user.id) if any(a.needs_tags for a in audiences.values()) else frozenset()
    return [r for r in rows if audiences[r["id"]].matches(user, tags)]


async def tags_of(user_id: int) -> frozenset[str]:
    """A user's tags."""
    return frozenset(r["tag"] for r in await UserTag.select(UserTag.tag).where(UserTag.user == user_id))
