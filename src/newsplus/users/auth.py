"""Signing in and out: verification codes for residents, passwords for staff, sessions for both.

One login makes one session; its random token is both the page cookie and the API bearer token. Only a
hash of the token is stored, so a database leak does not leak sessions.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import re
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from newsplus import db
from newsplus.clock import now
from newsplus.districts.scope import all_districts, current_district_id, vouch_for
from newsplus.errors import InvalidInput, RateLimited, Unauthenticated
from newsplus.notifications.channels import Message, deliver
from newsplus.sqlite_lanes import SHORT
from newsplus.users.access import CurrentUser
from newsplus.users.tables import Grant, Session, User, VerificationCode

if TYPE_CHECKING:
    from newsplus.runtime import Newsplus

__all__ = [
    "check_password",
    "hash_password",
    "load_current_user",
    "load_user",
    "login_with_code",
    "login_with_password",
    "normalise_phone",
    "revoke_session",
    "send_login_code",
]

PHONE = re.compile(r"^1[3-9]\d{9}$")
_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """A hash to verify against when the username is unknown, so both cases take the same time; made on first
    use, not at start-up (hashing is slow on purpose)."""
    return _hasher.hash("newsplus-dummy-password")


def token_hash(token: str) -> str:
    """The stored form of a session token."""
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_phone(phone: str) -> str:
    """A mainland mobile number as 11 digits; accepts spaces, dashes and a +86 prefix."""
    digits = re.sub(r"[\s-]", "", phone or "")
    digits = digits.removeprefix("+86").removeprefix("0086")
    if not PHONE.match(digits):
        raise InvalidInput("Please enter a valid 11-digit mobile number", extra={"field": "phone"})
    return digits


async def hash_password(password: str) -> str:
    """An Argon2id hash of the password (memory-hard; computed off the event loop)."""
    if len(password) < 8:
        raise InvalidInput("The password must have at least 8 characters", extra={"field": "password"})
    return await asyncio.to_thread(_hasher.hash, password)


async def check_password(password: str, stored: str) -> bool:
    """Whether the password matches the stored hash."""
    try:
        return await asyncio.to_thread(_hasher.verify, stored or _dummy_hash(), password) and bool(stored)
    except (VerificationError, InvalidHashError):
        return False


# -- verification codes ----------------------------------------------------------------------------------


async def send_login_code(newsplus: Newsplus, phone: str, address: str = "") -> int:
    """Send a login code by SMS; return how many seconds it stays valid.

    At most one code per number and interval (across every district of the deployment), a daily cap per
    number, and a cap per caller address.
    """
    settings = newsplus.plugin_settings["users"]
    phone = normalise_phone(phone)
    newsplus.limiter.hit(f"code-ip:{address}", limit=20, per_seconds=3600)
    moment = now()
    with all_districts():
        today = await VerificationCode.count().where(
            (VerificationCode.phone == phone) & (VerificationCode.created_at > moment - timedelta(days=1))
        )
    if today >= settings.codes_per_day:
        raise RateLimited("Too many codes for this number today", retry_after=3600)
    interval = settings.code_interval_seconds
    bucket = int(moment.timestamp()) // interval if interval else 0
    code = "".join(secrets.choice("0123456789") for _ in range(settings.code_length))
    try:
        await VerificationCode.insert(
            VerificationCode(
                phone=phone,
                code_hash=token_hash(f"{phone}:{code}"),
                created_at=moment,
                expires_at=moment + timedelta(seconds=settings.code_ttl_seconds),
                slot=f"{phone}:{bucket}" if interval else None,
            )
        )
    except Exception as exc:
        if not db.is_unique_violation(exc):
            raise
        wait = (bucket + 1) * interval - moment.timestamp()
        raise RateLimited(
            "A code was sent moments ago; please wait before asking again", retry_after=int(wait) + 1
        ) from None
    minutes = settings.code_ttl_seconds // 60
    body = f"【{newsplus.settings.site.name}】验证码 {code}，{minutes} 分钟内有效。"
    await deliver(newsplus, Message(kind="sms", to=phone, category="login", body=body))
    return settings.code_ttl_seconds


MAX_GUESSES = 5


async def _use_code(phone: str, code: str) -> None:
    latest = (
        await VerificationCode.select(VerificationCode.id, VerificationCode.code_hash, VerificationCode.expires_at)
        .where((VerificationCode.phone == phone) & (VerificationCode.used == False))  # noqa: E712
        .order_by(VerificationCode.id, ascending=False)
        .first()
    )
    if latest is None:
        raise Unauthenticated("No valid code for this number; please ask for a new one")
    if latest["expires_at"] < now():
        raise Unauthenticated("The code has expired; please ask for a new one")
    # Every guess is claimed before it is checked, so guesses sent at once still count one by one.
    this_code = VerificationCode.id == latest["id"]
    claimed = await (
        VerificationCode.update({VerificationCode.attempts: VerificationCode.attempts + 1})
        .where(this_code & (VerificationCode.attempts < MAX_GUESSES) & (VerificationCode.used == False))  # noqa: E712
        .returning(VerificationCode.id)
    )
    if not claimed:
        raise RateLimited("Too many wrong codes; please ask for a new one", retry_after=60)
    if not hmac.compare_digest(latest["code_hash"], token_hash(f"{phone}:{(code or '').strip()}")):
        raise Unauthenticated("The code is wrong")
    used = await (
        VerificationCode.update({VerificationCode.used: True})
        .where(this_code & (VerificationCode.used == False))  # noqa: E712
        .returning(VerificationCode.id)
    )
    if not used:
        raise Unauthenticated("No valid code for this number; please ask for a new one")


# -- sessions --------------------------------------------------------------------------------------------


async def _open_session(newsplus: Newsplus, user: User, client: str) -> str:
    settings = newsplus.plugin_settings["users"]
    token = secrets.token_urlsafe(32)
    moment = now()
    lifetime = (
        timedelta(hours=settings.staff_session_hours)
        if user.kind == "staff"
        else timedelta(days=settings.resident_session_days)
    )
    await Session.insert(
        Session(
            token_hash=token_hash(token),
            user=user.id,
            created_at=moment,
            expires_at=moment + lifetime,
            client=client[:200],
        )
    )
    await User.update({User.last_login_at: moment}).where(User.id == user.id)
    return token


async def login_with_code(
    newsplus: Newsplus, phone: str, code: str, client: str = "", address: str = ""
) -> tuple[str, int]:
    """Sign a resident in with the code sent to their phone (creating the account on first use)."""
    phone = normalise_phone(phone)
    newsplus.limiter.hit(f"login-ip:{address}", limit=30, per_seconds=900)
    await _use_code(phone, code)
    user = await User.objects().where(User.phone == phone).first() or await _create_resident(phone)
    if user.kind != "resident":
        raise Unauthenticated("This number belongs to a staff account; please sign in with your password")
    if not user.is_active:
        raise Unauthenticated("This account is disabled")
    return await _open_session(newsplus, user, client), user.id


async def _create_resident(phone: str) -> User:
    try:
        async with db.transaction():
            user = User(kind="resident", phone=phone, display_name=f"居民{phone[-4:]}", created_at=now())
            await user.save()
            await Grant.insert(Grant(user=user.id, role="resident"))
        return user
    except Exception as exc:
        if not db.is_unique_violation(exc):
            raise
        # Two first logins of one number at once: the other request created the account.
        return await User.objects().where(User.phone == phone).first()


async def login_with_password(
    newsplus: Newsplus, username: str, password: str, client: str = "", address: str = ""
) -> tuple[str, int]:
    """Sign a staff member in with username and password (limited per username and per address)."""
    username = (username or "").strip()
    newsplus.limiter.hit(f"login-ip:{address}", limit=30, per_seconds=900)
    # Keyed by name and address: a stranger's wrong guesses cannot lock the owner out from elsewhere.
    newsplus.limiter.hit(f"login-user:{username.lower()}:{address}", limit=10, per_seconds=900)
    user = await User.objects().where((User.username == username) & (User.kind == "staff")).first()
    valid = await check_password(password or "", user.password_hash if user else "")
    if user is None or not valid or not user.is_active:
        raise Unauthenticated("Wrong username or password")
    newsplus.limiter.reset(f"login-user:{username.lower()}:{address}")
    return await _open_session(newsplus, user, client), user.id


async def revoke_session(session_id: int, user_id: int) -> bool:
    """Revoke one of a user's sessions (logout, or signing out another device); True if it was live."""
    live = await Session.exists().where(
        (Session.id == session_id) & (Session.user == user_id) & Session.revoked_at.is_null()
    )
    if live:
        await Session.update({Session.revoked_at: now()}).where(Session.id == session_id)
    return live


USER_FIELDS = ("id", "kind", "display_name", "username", "phone", "street", "community", "is_active")
# The session, its user and their grants in one statement: every signed-in request runs it first.
SIGNED_IN = (
    SHORT
    + "SELECT s.id AS session_id, s.expires_at, s.revoked_at, "
    + ", ".join(f"u.{f}" for f in USER_FIELDS)
    + ', g.role, g.department FROM users_session s JOIN users_user u ON u.id = s."user" '
    'LEFT JOIN users_grant g ON g."user" = u.id AND g.district = s.district WHERE s.token_hash = {} '
    "AND u.district = s.district"
)


async def load_current_user(newsplus: Newsplus, token: str) -> CurrentUser | None:
    """The user a session token belongs to, with roles and permissions; None when invalid or expired."""
    district_id = current_district_id()
    if district_id is None:
        rows = await Session.raw(SIGNED_IN, token_hash(token))
    else:
        rows = await Session.raw(SIGNED_IN + " AND s.district = {}", token_hash(token), district_id)
    if not rows or rows[0]["revoked_at"] is not None or rows[0]["expires_at"] < now():
        return None
    grants = [{"role": r["role"], "department": r["department"]} for r in rows if r["role"] is not None]
    user = _with_grants(newsplus, {f: rows[0][f] for f in USER_FIELDS}, rows[0]["session_id"], grants)
    if user is not None:
        vouch_for(User, user.id)  # found in this district: the request's new rows may point at it unchecked
    return user


async def load_user(newsplus: Newsplus, user_id: int, session_id: int = 0) -> CurrentUser | None:
    """An active user with their roles and permissions; None when missing or disabled."""
    row = await User.select(*(getattr(User, f) for f in USER_FIELDS)).where(User.id == user_id).first()
    if row is None:
        return None
    grants = await Grant.select(Grant.role, Grant.department).where(Grant.user == user_id)
    return _with_grants(newsplus, row, session_id, grants)


def _with_grants(newsplus: Newsplus, row: dict, session_id: int, grants: list[dict]) -> CurrentUser | None:
    if not row.pop("is_active"):
        return None
    district_wide = [g["role"] for g in grants if g["department"] is None]
    by_department: dict[int, list[str]] = {}
    for grant in grants:
        if grant["department"] is not None:
            by_department.setdefault(grant["department"], []).append(grant["role"])
    return CurrentUser(
        **row,
        roles=frozenset(g["role"] for g in grants),
        district_roles=frozenset(district_wide),
        permissions=newsplus.permissions_of(district_wide),
        session_id=session_id,
        departments=frozenset(by_department),
        department_permissions={d: newsplus.permissions_of(r) for d, r in by_department.items()},
    )
