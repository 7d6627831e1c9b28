"""The activities piccolo app."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from newsplus_activities.tables import (
    Activity,
    Candidate,
    Coupon,
    CouponBatch,
    Registration,
    Session,
    Vote,
    VoteQuota,
)

APP_CONFIG = AppConfig(
    app_name="activities",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Activity, Session, Registration, Candidate, VoteQuota, Vote, CouponBatch, Coupon],
    migration_dependencies=["newsplus.users.piccolo_app"],
)
