"""iCalendar (RFC 5545) for one activity and for every upcoming one, so residents add them to their calendars."""

from __future__ import annotations

from typing import Any

from newsplus import now


def ics(activities: list[dict[str, Any]], base_url: str, name: str) -> bytes:
    """A calendar of activities (a festival's sessions as their own events)."""
    from icalendar import Calendar, Event  # here: slow to import, and only calendar downloads need it

    calendar = Calendar()
    calendar.add("prodid", "-//newsplus//activities//ZH")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    stamp = now()
    for activity in activities:
        link = f"{base_url.rstrip('/')}/activities/{activity['slug']}"
        parts = activity.get("sessions") or [activity]
        for index, part in enumerate(parts):
            event = Event()
            event.add("uid", f"{activity['slug']}-{index}@{base_url.split('//')[-1].split('/')[0] or 'newsplus'}")
            event.add("dtstamp", stamp)
            event.add("dtstart", part["starts_at"])
            event.add("dtend", part["ends_at"])
            title = activity["title"] if part is activity else f"{activity['title']} · {part['title']}"
            event.add("summary", title)
            event.add("location", part.get("place") or activity["place"])
            event.add("description", activity["summary"])
            event.add("url", link)
            calendar.add_component(event)
    return calendar.to_ical()
