from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from newsplus import create_index

ID = "2026-11-26T10:45:21:000000"
VERSION = "1.38.0"
DESCRIPTION = "indexes: slugs, one registration per resident, the waitlist, quotas, votes, coupon codes and limits"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="activities", description=DESCRIPTION)
    for step in (
        create_index("activities_activity", ["district", "slug"], unique=True),
        create_index("activities_activity", ["district", "published", "starts_at"]),
        create_index("activities_session", ["activity", "starts_at"]),
        create_index("activities_registration", ["token"], unique=True),
        create_index("activities_registration", ["district", "activity", "user", "hold"], unique=True),
        create_index("activities_registration", ["activity", "status", "id"]),
        create_index("activities_registration", ["district", "user", "id"]),
        create_index("activities_candidate", ["activity", "status", "votes"]),
        create_index("activities_vote_quota", ["district", "activity", "user", "period"], unique=True),
        create_index("activities_vote", ["activity", "created_at"]),
        create_index("activities_vote", ["activity", "address", "created_at"]),
        create_index("activities_coupon_batch", ["district", "merchant", "id"]),
        create_index("activities_coupon", ["district", "code"], unique=True),
        create_index("activities_coupon", ["batch", "user", "seq"], unique=True),
        create_index("activities_coupon", ["district", "user", "id"]),
    ):
        manager.add_raw(step)
    return manager
