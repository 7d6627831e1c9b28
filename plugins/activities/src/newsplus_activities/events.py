"""Events of the activities plugin: a registration moved (registered, waitlisted, promoted, cancelled,
attended, reminded)."""

from __future__ import annotations

from newsplus import Event


class RegistrationChanged(Event, tag="activities.registration_changed"):
    """A resident's registration changed; the resident hears of it."""

    registration_id: int
    token: str
    activity: str
    title: str
    action: str
    starts_at: str
    user_id: int | None = None
