"""What a life-service module is: its place in the 生老病走 / 吃穿住用行 taxonomy, its guide, FAQs, eligibility
check, application form, bookable resources and hand-off target. Modules are data; the 17 built-in ones are
TOML files in ``builtin/``, and a district's own package returns more through ``services_register_modules``.
"""

from __future__ import annotations

import tomllib
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal

import msgspec

from newsplus import FormField

GROUPS = {
    "生": "生 · 出生与成长",
    "老": "老 · 养老与退休",
    "病": "病 · 医疗与健康",
    "走": "走 · 身后事",
    "吃": "吃 · 餐饮与本地生活",
    "穿": "穿 · 购物与消费",
    "住": "住 · 住房与安居",
    "用": "用 · 缴费与证照",
    "行": "行 · 交通与出行",
}
"""The taxonomy every module belongs to: the five stages of life (生老病走) and daily needs (吃穿住用行)."""

Mode = Literal["native", "h5", "mini_program", "link"]


class Guide(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How to get it done (办事指南): who qualifies, what to bring, the steps, the cost, where, when, whom to call."""

    conditions: tuple[str, ...] = ()
    materials: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()
    fees: str = ""
    place: str = ""
    hours: str = ""
    phone: str = ""
    time_limit: str = ""


class Faq(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A question residents often ask, and its answer."""

    question: str
    answer: str


class Question(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One question of an eligibility check: the answers that qualify, and the reason given for any other."""

    name: str
    text: str
    choices: tuple[str, ...]
    accept: tuple[str, ...]
    reason: str


class Resource(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Something residents book by time slot (a registry window, a clinic, a hall): when it opens and how many
    fit in each slot."""

    slug: str
    name: str
    place: str = ""
    weekdays: tuple[int, ...] = (1, 2, 3, 4, 5)
    """ISO weekdays it opens on (1 = Monday)."""
    opens: str = "09:00"
    closes: str = "17:00"
    slot_minutes: int = 30
    capacity: int = 5
    """Bookings per slot."""
    days_ahead: int = 14
    """How far ahead residents may book."""
    cancel_hours: int = 2
    """Cancelling or moving a booking closes this many hours before it starts."""
    closed: tuple[str, ...] = ()
    """Dates (YYYY-MM-DD) it is closed besides the district's holidays."""

    def slot_starts(self, day: date, zone: Any) -> list[datetime]:
        """The start of every slot on a day (in the district's time zone); none when closed that day."""
        if day.isoweekday() not in self.weekdays or day.isoformat() in self.closed:
            return []
        start = datetime.combine(day, time.fromisoformat(self.opens), zone)
        end = datetime.combine(day, time.fromisoformat(self.closes), zone)
        step = timedelta(minutes=max(self.slot_minutes, 5))
        starts = []
        while start + step <= end:
            starts.append(start)
            start += step
        return starts


class ServiceModule(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A life service (要结婚, 生小孩 …): everything the app shows and does for it."""

    slug: str
    name: str
    group: str
    """One of the taxonomy's characters: 生 老 病 走 吃 穿 住 用 行."""
    icon: str = ""
    summary: str = ""
    mode: Mode = "native"
    """``native`` works inside the app; ``h5``, ``mini_program`` and ``link`` hand off to ``url`` (对接入驻)."""
    url: str = ""
    provider: str = ""
    """Who runs the external system a hand-off goes to."""
    guide: Guide | None = None
    faqs: tuple[Faq, ...] = ()
    eligibility: tuple[Question, ...] = ()
    form: tuple[FormField, ...] = ()
    """The online application form; none means the module takes no applications."""
    form_title: str = ""
    department: str = ""
    """The department (by name) whose queue its applications go to."""
    resources: tuple[Resource, ...] = ()
    tags: tuple[str, ...] = ()
    """Related articles are those carrying one of these tags."""
    keywords: tuple[str, ...] = ()
    order: int = 100
    home: bool = False
    """Shown as a tile on the home page."""

    def resource(self, slug: str) -> Resource | None:
        """One of its bookable resources by slug."""
        return next((r for r in self.resources if r.slug == slug), None)


def check_eligibility(module: ServiceModule, answers: dict[str, str]) -> dict[str, Any]:
    """Whether the answers qualify, with the reason for each answer that does not (and the unanswered)."""
    reasons: list[str] = []
    missing: list[str] = []
    for question in module.eligibility:
        answer = answers.get(question.name)
        if answer not in question.choices:
            missing.append(question.name)
        elif answer not in question.accept:
            reasons.append(question.reason)
    return {"eligible": not reasons and not missing, "reasons": reasons, "unanswered": missing}


BUILTIN = Path(__file__).parent / "builtin"


def builtin_modules() -> list[ServiceModule]:
    """The 17 built-in modules, read from the TOML files in ``builtin/``."""
    modules = []
    for path in sorted(BUILTIN.glob("*.toml")):
        with path.open("rb") as file:
            modules.append(msgspec.convert(tomllib.load(file), ServiceModule))
    return modules
