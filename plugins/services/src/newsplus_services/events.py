"""Events of the life-services plugin: an application moved on, a booking was made, moved or cancelled."""

from __future__ import annotations

from newsplus import Event


class ApplicationChanged(Event, tag="services.application_changed"):
    """An application moved on: the resident hears of every step, the department of new work."""

    application_id: int
    token: str
    number: str
    module: str
    module_name: str
    action: str
    status: str
    user_id: int | None = None
    department_id: int | None = None
    note: str = ""


class BookingChanged(Event, tag="services.booking_changed"):
    """A booking was made, moved, cancelled, checked in or is coming up (``remind``)."""

    booking_id: int
    token: str
    module_name: str
    resource_name: str
    action: str
    starts_at: str
    code: str
    user_id: int | None = None
