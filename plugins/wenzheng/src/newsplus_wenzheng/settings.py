"""Settings of the 问政 plugin: ``[plugins.wenzheng]``."""

from __future__ import annotations

import msgspec

from newsplus import FormField


class CategorySetting(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A category residents choose (市容环卫, 供暖 …) with its deadlines in working days."""

    code: str
    """The category's code (in the API and Open311: ``service_code``)."""
    name: str
    """Its name as residents read it (市容环卫)."""
    response_days: int = 1
    """Working days to take an inquiry in."""
    handle_days: int = 2
    """Working days to reply, counted from acceptance."""
    complex: bool = False
    """The dispatcher sets the handling deadline when accepting (规划建设 …)."""
    fields: tuple[FormField, ...] = ()
    """The category's own questions, on the form and in Open311 service definitions."""


DEFAULT_CATEGORIES = (
    CategorySetting(code="sanitation", name="市容环卫", fields=(FormField(name="spot", label="具体位置"),)),
    CategorySetting(code="heating", name="供暖供热"),
    CategorySetting(code="traffic", name="交通出行"),
    CategorySetting(code="property", name="物业管理"),
    CategorySetting(code="noise", name="噪音扰民"),
    CategorySetting(code="education", name="教育"),
    CategorySetting(code="health", name="医疗卫生"),
    CategorySetting(code="social_security", name="社保就业"),
    CategorySetting(code="planning", name="规划建设", complex=True, handle_days=10),
    CategorySetting(code="other", name="其他"),
)


class WenzhengSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Categories, deadlines, the working-day calendar, Open311 keys and the 舆情 watch list."""

    categories: tuple[CategorySetting, ...] = DEFAULT_CATEGORIES
    """The categories residents choose; listing them replaces the ten defaults."""
    holidays: tuple[str, ...] = ()
    """Dates (YYYY-MM-DD) that are not working days although they fall on a weekday."""
    workdays: tuple[str, ...] = ()
    """Dates (YYYY-MM-DD) that are working days although they fall on a weekend (调休)."""
    remind_hours: int = 4
    """How long before a deadline the department is reminded (催办)."""
    rate_days: int = 7
    """Days a resident has to rate a reply before the inquiry closes by itself."""
    watch_words: tuple[str, ...] = ()
    """舆情 watch: inquiries containing one of these are flagged and the dispatchers alerted."""
    open311_keys: tuple[str, ...] = ()
    """api_key values accepted for Open311 POST requests."""
    max_photos: int = 6
    """Photos one inquiry may carry."""
    platform_url: str = ""
    """The unified handling platform's intake address (the ``webhook`` dispatch target)."""
    platform_secret: str = ""
    """Signs what goes to the platform and checks what comes back to the callback."""
    department_targets: dict[str, str] = {}
    """Department name → dispatch target (``internal`` when not listed), e.g. {"区公众服务统一办理平台" = "webhook"}."""
