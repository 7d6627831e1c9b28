"""Domain events: typed Structs written to an outbox in the caller's transaction, delivered after commit.

A plugin defines its events as subclasses of ``Event`` tagged ``<plugin>.<past_tense>`` and returns them
from ``register_events``. ``publish`` writes the event and one delivery per target in the current
transaction: a rolled-back change publishes nothing, a committed one is delivered even if the process
dies first (the dispatcher finds it after restart).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import msgspec

from newsplus import db
from newsplus.clock import now
from newsplus.events.tables import Delivery, EventRecord

if TYPE_CHECKING:
    from newsplus.runtime import Newsplus

__all__ = ["Event", "UnknownEvent", "decode_event", "event_name", "handles", "publish", "publish_many"]


class Event(msgspec.Struct, frozen=True, kw_only=True, tag_field="event"):
    """Base of domain events. ``key`` (idempotency), ``actor`` and ``occurred_at`` are set by publish."""

    key: str = ""
    actor: int | None = None
    occurred_at: datetime | None = None


class UnknownEvent(LookupError):
    """An event type that no enabled plugin registered."""


def handles(*patterns: str):
    """Mark a ``handle_event`` implementation as wanting only events matching these names (``notifications.*``).

    Events it does not want get no delivery row for it, so a busy plugin's events cost other plugins
    nothing. Without the mark an implementation receives every event.
    """

    def mark(function):
        function.newsplus_events = patterns
        return function

    return mark


def event_name(event_type: type[Event] | Event) -> str:
    """The registered name of an event type (its tag), e.g. ``wenzheng.inquiry_dispatched``."""
    cls = event_type if isinstance(event_type, type) else type(event_type)
    tag = cls.__struct_config__.tag
    if not isinstance(tag, str) or "." not in tag:
        raise UnknownEvent(f"{cls.__name__} needs a tag '<plugin>.<past_tense>': class {cls.__name__}(Event, tag=…)")
    return tag


def decode_event(newsplus: Newsplus, name: str, payload: str | bytes) -> Event:
    """Turn a stored payload back into its Event Struct."""
    event_type = newsplus.event_types.get(name)
    if event_type is None:
        raise UnknownEvent(f"event {name!r} is not registered by any enabled plugin")
    return msgspec.json.decode(payload, type=event_type)


async def publish(newsplus: Newsplus, event: Event, *, actor: int | None = None) -> Event:
    """Write an event to the outbox (inside the caller's transaction, if any); return it with its key."""
    return (await publish_many(newsplus, [event], actor=actor))[0]


async def publish_many(newsplus: Newsplus, events: Sequence[Event], *, actor: int | None = None) -> list[Event]:
    """Write several events to the outbox, one statement for all of them and one for their deliveries (inside
    the caller's transaction, if any); return them with their keys."""
    moment = now()
    stamped, records = [], []
    for event in events:
        name = event_name(event)
        if newsplus.event_types.get(name) is not type(event):
            raise UnknownEvent(f"event {name!r} is not registered: return its class from register_events")
        event = msgspec.structs.replace(event, key=uuid.uuid4().hex, actor=actor, occurred_at=moment)
        stamped.append(event)
        payload = msgspec.json.encode(event).decode()
        records.append(EventRecord(name=name, key=event.key, payload=payload, actor=actor, created_at=moment))
    if not records:
        return []
    async with db.transaction():  # joins the caller's transaction, or makes the events and deliveries atomic
        await EventRecord.insert(*records).returning(EventRecord.id)
        deliveries = []
        for record in records:
            targets = await newsplus.dispatcher.targets_for(record.name)
            deliveries += [Delivery(event=record.id, target=t, next_attempt_at=moment) for t in targets]
        if deliveries:
            await Delivery.insert(*deliveries)
    newsplus.dispatcher.wake()
    return stamped
