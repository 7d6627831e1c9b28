"""Public voting contests (评比): candidates curated or proposed and moderated; votes limited per resident per
day and in all, a verified mobile number required, bursts from one address or device flagged and held back;
every vote kept for the audit; live results; voting closes by itself."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from piccolo.query.functions.aggregate import Count

from newsplus import Conflict, Forbidden, InvalidInput, NotFound, mask_text, now, transaction
from newsplus.web.links import check_link
from newsplus_activities.activities import by_id, by_slug
from newsplus_activities.tables import Candidate, Vote, VoteQuota

if TYPE_CHECKING:
    from newsplus import CurrentUser, Newsplus
    from newsplus_activities.schemas import CandidateIn, VoteIn


def _contest(activity: dict[str, Any]) -> None:
    if activity["kind"] != "contest":
        raise InvalidInput("This activity is not a contest")


async def add_candidate(
    activity_id: int, data: CandidateIn, *, proposed_by: int | None = None, status: str = "approved"
) -> int:
    """Add a candidate to a contest (approved when staff add it, pending when a resident proposes it); return
    its id."""
    _contest(await by_id(activity_id))
    name = data.name.strip()
    if not 1 <= len(name) <= 100:
        raise InvalidInput("A name of 1 to 100 characters is required", extra={"field": "name"})
    row = Candidate(
        activity=activity_id,
        name=name,
        description=data.description.strip()[:2000],
        photo=check_link(data.photo, "photo"),
        status=status,
        proposed_by=proposed_by,
        created_at=now(),
    )
    await row.save()
    return row.id


async def propose(user: CurrentUser, slug: str, data: CandidateIn) -> int:
    """A resident proposes a candidate; it shows once a moderator approves it."""
    activity = await by_slug(slug)
    _contest(activity)
    if not activity["proposals"]:
        raise Forbidden("This contest does not take proposals")
    moment = now()
    if activity["opens_at"] and moment < activity["opens_at"]:
        raise Conflict("Proposals have not opened yet")
    if moment >= _closes(activity):
        raise Conflict("Voting has closed")
    return await add_candidate(activity["id"], data, proposed_by=user.id, status="pending")


async def moderate(candidate_id: int, status: str) -> None:
    """Approve or reject a candidate."""
    if (
        not await Candidate.update({Candidate.status: status})
        .where(Candidate.id == candidate_id)
        .returning(Candidate.id)
    ):
        raise NotFound("No such candidate")


def _closes(activity: dict[str, Any]) -> Any:
    return activity["voting_closes_at"] or activity["ends_at"]


async def _take(activity_id: int, user_id: int, period: str, limit: int) -> bool:
    """Use one vote of a quota, if any is left (a conditional update: never past the limit)."""
    await VoteQuota.insert(VoteQuota(activity=activity_id, user=user_id, period=period, used=0)).on_conflict(
        action="DO NOTHING"
    )
    return bool(
        await VoteQuota.update({VoteQuota.used: VoteQuota.used + 1})
        .where(
            (VoteQuota.activity == activity_id)
            & (VoteQuota.user == user_id)
            & (VoteQuota.period == period)
            & (VoteQuota.used < limit)
        )
        .returning(VoteQuota.id)
    )


async def vote(newsplus: Newsplus, user: CurrentUser, slug: str, data: VoteIn, address: str) -> dict[str, Any]:
    """Cast one vote within the contest's window and the resident's limits; a vote in a burst is kept for the
    audit but not counted."""
    activity = await by_slug(slug)
    _contest(activity)
    moment = now()
    if activity["voting_opens_at"] and moment < activity["voting_opens_at"]:
        raise Conflict("Voting has not opened yet")
    if moment >= _closes(activity):
        raise Conflict("Voting has closed")
    if not user.phone:
        raise Forbidden("Voting needs a verified mobile number; sign in with your phone")
    settings = newsplus.plugin_settings["activities"]
    candidate = (
        await Candidate.select(Candidate.id)
        .where(
            (Candidate.id == data.candidate) & (Candidate.activity == activity["id"]) & (Candidate.status == "approved")
        )
        .first()
    )
    if candidate is None:
        raise NotFound("No such candidate")
    today = moment.astimezone(ZoneInfo(newsplus.settings.site.timezone)).date().isoformat()
    device = data.device.strip()[:64]
    async with transaction():
        if activity["votes_per_day"] and not await _take(activity["id"], user.id, today, activity["votes_per_day"]):
            raise Conflict("You have used today's {n} votes; come back tomorrow", n=activity["votes_per_day"])
        if activity["votes_total"] and not await _take(activity["id"], user.id, "total", activity["votes_total"]):
            raise Conflict("You have used all your {n} votes in this contest", n=activity["votes_total"])
        since = moment - timedelta(minutes=settings.burst_minutes)
        same_source = Vote.address == address
        if device:
            same_source |= Vote.device == device
        recent = await Vote.count().where((Vote.activity == activity["id"]) & (Vote.created_at > since) & same_source)
        flagged = recent >= settings.burst_votes
        await Vote(
            activity=activity["id"],
            candidate=candidate["id"],
            user=user.id,
            address=address[:64],
            device=device,
            flagged=flagged,
            created_at=moment,
        ).save()
        if not flagged:
            await Candidate.update({Candidate.votes: Candidate.votes + 1}).where(Candidate.id == candidate["id"])
    return {"counted": not flagged}


async def candidates(activity_id: int, *, status: str = "approved", full: bool = False) -> list[dict[str, Any]]:
    """A contest's candidates of one status, the most voted first (the live results). What residents
    proposed shows with phone, ID and house numbers masked, unless ``full`` (the desk, to moderate)."""
    rows = (
        await Candidate.select(
            Candidate.id,
            Candidate.name,
            Candidate.description,
            Candidate.photo,
            Candidate.votes,
            Candidate.proposed_by,
        )
        .where((Candidate.activity == activity_id) & (Candidate.status == status))
        .order_by(Candidate.votes, ascending=False)
        .order_by(Candidate.id)
    )
    for row in rows:
        if row.pop("proposed_by") is not None and not full:
            row["name"], row["description"] = mask_text(row["name"]), mask_text(row["description"])
    return rows


async def results(slug: str) -> dict[str, Any]:
    """The live (or, once closed, final) results with ranks; ties share a rank."""
    activity = await by_slug(slug)
    _contest(activity)
    ranked, previous, rank = [], None, 0
    for index, row in enumerate(await candidates(activity["id"]), start=1):
        if row["votes"] != previous:
            rank, previous = index, row["votes"]
        ranked.append({**row, "rank": rank})
    return {"closed": now() >= _closes(activity), "closes_at": _closes(activity), "candidates": ranked}


async def audit(activity_id: int) -> dict[str, Any]:
    """For the desk: counted and flagged votes, and the addresses that cast the most."""
    await by_id(activity_id)
    counted = await Vote.count().where((Vote.activity == activity_id) & (Vote.flagged == False))  # noqa: E712
    flagged = await Vote.count().where((Vote.activity == activity_id) & (Vote.flagged == True))  # noqa: E712
    sources = (
        await Vote.select(Vote.address, Count(Vote.id).as_alias("votes"))
        .where(Vote.activity == activity_id)
        .group_by(Vote.address)
        .order_by(Count(Vote.id), ascending=False)
        .limit(20)
    )
    return {"counted": counted, "flagged": flagged, "sources": sources}


def limit_rate(newsplus: Newsplus, address: str) -> None:
    """Ask an address that votes faster than ``votes_per_minute`` to wait (429 with Retry-After)."""
    newsplus.limiter.hit(
        f"vote:{address}",
        limit=newsplus.plugin_settings["activities"].votes_per_minute,
        per_seconds=60,
        detail="Too many votes; please wait a little",
    )


async def votes_of(user_id: int) -> list[dict[str, Any]]:
    """A resident's votes (for their data export)."""
    return (
        await Vote.select(
            Vote.created_at,
            Vote.activity.title.as_alias("activity"),
            Vote.candidate.name.as_alias("candidate"),
            Vote.flagged,
        )
        .where(Vote.user == user_id)
        .order_by(Vote.id)
    )
