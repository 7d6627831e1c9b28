"""Tables of the users app: people, departments, role grants, sessions and verification codes."""

from piccolo.columns import Boolean, ForeignKey, Integer, OnDelete, OnUpdate, Timestamptz, Varchar

from newsplus.districts.scope import DistrictTable


class Department(DistrictTable, tablename="users_department"):
    """A unit in the district's tree: 委办局 bureau, 街道 street office, 社区 community."""

    name = Varchar(length=200, null=False)
    kind = Varchar(length=20, null=False, default="bureau")
    parent = ForeignKey("self", null=True, on_delete=OnDelete.restrict, on_update=OnUpdate.cascade)
    code = Varchar(length=64, null=False, default="")
    position = Integer(null=False, default=0)


class User(DistrictTable, tablename="users_user"):
    """A resident (phone + code) or a staff member (username + password)."""

    kind = Varchar(length=20, null=False, default="resident")
    username = Varchar(length=64, null=True, default=None)
    phone = Varchar(length=20, null=True, default=None)
    password_hash = Varchar(length=200, null=False, default="", secret=True)
    display_name = Varchar(length=100, null=False, default="")
    street = ForeignKey(Department, null=True, on_delete=OnDelete.set_null, on_update=OnUpdate.cascade)
    community = ForeignKey(Department, null=True, on_delete=OnDelete.set_null, on_update=OnUpdate.cascade)
    is_active = Boolean(null=False, default=True)
    created_at = Timestamptz(null=False)
    last_login_at = Timestamptz(null=True, default=None)


class Grant(DistrictTable, tablename="users_grant"):
    """A role held by a user, optionally within one department (a handler of 区城市管理委)."""

    user = ForeignKey(User, null=False, on_delete=OnDelete.cascade, on_update=OnUpdate.cascade, index=True)
    role = Varchar(length=64, null=False)
    department = ForeignKey(Department, null=True, on_delete=OnDelete.cascade, on_update=OnUpdate.cascade)


class Session(DistrictTable, tablename="users_session"):
    """One login: the hash of its token (used as cookie and bearer), its expiry and revocation."""

    token_hash = Varchar(length=64, null=False, unique=True)
    user = ForeignKey(User, null=False, on_delete=OnDelete.cascade, on_update=OnUpdate.cascade, index=True)
    created_at = Timestamptz(null=False)
    expires_at = Timestamptz(null=False)
    revoked_at = Timestamptz(null=True, default=None)
    client = Varchar(length=200, null=False, default="")


class VerificationCode(DistrictTable, tablename="users_verification_code"):
    """A login code sent to a phone: stored hashed, short-lived, with a cap on wrong guesses.

    ``slot`` (the number and the minute it was sent in) is unique across districts: the claim that lets
    one code, not ten sent at once, go out per number and interval.
    """

    phone = Varchar(length=20, null=False, index=True)
    code_hash = Varchar(length=64, null=False)
    created_at = Timestamptz(null=False)
    expires_at = Timestamptz(null=False)
    attempts = Integer(null=False, default=0)
    used = Boolean(null=False, default=False)
    slot = Varchar(length=64, null=True, default=None)


class UserTag(DistrictTable, tablename="users_tag"):
    """A label on a user (志愿者, 独居老人 …) that notices and pop-ups can target."""

    user = ForeignKey(User, null=False, on_delete=OnDelete.cascade, on_update=OnUpdate.cascade, index=True)
    tag = Varchar(length=64, null=False)
