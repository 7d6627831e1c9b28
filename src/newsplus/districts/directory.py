"""Which district a host name belongs to: the district rows, kept in memory and matched per request."""

from __future__ import annotations

from datetime import UTC, datetime

from newsplus import db
from newsplus.districts.scope import CurrentDistrict, all_districts
from newsplus.districts.tables import District
from newsplus.settings import Settings

__all__ = ["DistrictDirectory", "sync_districts"]


def _hosts(text: str) -> list[str]:
    return [h.strip().lower() for h in text.split() if h.strip()]


async def sync_districts(settings: Settings) -> None:
    """Create or update the district rows the settings name: the site's own district and [[districts]].

    Several workers start at once; if another one inserted a district first, the sync runs again.
    """
    try:
        await _sync(settings)
    except Exception as exc:
        if not db.is_unique_violation(exc):
            raise
        await _sync(settings)


async def _sync(settings: Settings) -> None:
    wanted = [(settings.site.district, settings.site.district_name, (), True)]
    wanted += [(d.slug, d.name, d.hosts, False) for d in settings.districts]
    with all_districts():
        async with db.transaction():
            for slug, name, hosts, primary in wanted:
                host_text = " ".join(h.lower() for h in hosts)
                row = await District.objects().where(District.slug == slug).first()
                if row is None:
                    await District.insert(
                        District(
                            slug=slug, name=name, hosts=host_text, is_primary=primary, created_at=datetime.now(UTC)
                        )
                    )
                elif (row.name, row.hosts, row.is_primary) != (name, host_text, primary):
                    await District.update(
                        {District.name: name, District.hosts: host_text, District.is_primary: primary}
                    ).where(District.id == row.id)
            # Only one district is primary: the site's own.
            await District.update({District.is_primary: False}).where(District.slug != settings.site.district)


class DistrictDirectory:
    """Resolves a request's host name to its district; a single-district site answers on every host."""

    def __init__(self) -> None:
        self.by_host: dict[str, CurrentDistrict] = {}
        self.by_slug: dict[str, CurrentDistrict] = {}
        self.primary: CurrentDistrict | None = None

    async def load(self) -> None:
        """Read every district row into memory."""
        with all_districts():
            rows = await District.select().order_by(District.id)
        self.by_host.clear()
        self.by_slug.clear()
        for row in rows:
            district = CurrentDistrict(id=row["id"], slug=row["slug"], name=row["name"])
            self.by_slug[district.slug] = district
            for host in _hosts(row["hosts"]):
                self.by_host[host] = district
            if row["is_primary"]:
                self.primary = district

    def resolve(self, host: str) -> CurrentDistrict | None:
        """The district for a Host header: an exact host, ``<slug>.localhost`` in development, else primary."""
        name = host.rsplit(":", 1)[0].lower() if not host.startswith("[") else host
        if name in self.by_host:
            return self.by_host[name]
        if name.endswith(".localhost"):
            return self.by_slug.get(name[: -len(".localhost")].rsplit(".", 1)[-1], self.primary)
        return self.primary
