"""newsplus: a framework for district news+ integrated-media apps.

This module is the public facade plugins import; everything else is internal and may change.
"""

from newsplus.startup import collector_paused

# Importing newsplus allocates only what lives as long as the process (modules, classes, tables): it is frozen
# out of the collector's passes once imported (see newsplus.startup).
with collector_paused(freeze=True):
    # First, so that piccolo's app registry finds black deferred (see newsplus.deferred).
    import newsplus.deferred  # noqa: F401

    # isort: split
    from newsplus.app import create_app
    from newsplus.clock import frozen_clock, now
    from newsplus.content.articles import create_article
    from newsplus.content.distribution import DistributionChannel
    from newsplus.content.feed import articles_where
    from newsplus.content.media import StoredFile, read_upload, remove_file, store_file, url_of
    from newsplus.content.reading import tagged_articles
    from newsplus.content.schemas import ArticleIn, FeedItem
    from newsplus.db import create_index, transaction
    from newsplus.districts.scope import (
        CurrentDistrict,
        DistrictTable,
        all_districts,
        current_district,
        district_scope,
        reference,
    )
    from newsplus.errors import (
        Conflict,
        DomainError,
        Forbidden,
        InvalidInput,
        NotFound,
        PayloadTooLarge,
        RateLimited,
        Unauthenticated,
        UnsupportedMediaType,
    )
    from newsplus.events.jobs import Job
    from newsplus.events.outbox import Event, handles, publish, publish_many
    from newsplus.fields import FormField, InvalidFields, clean_fields, normal_phone, valid_id_number
    from newsplus.hookspecs import hookimpl, hookspec
    from newsplus.notifications.channels import Channel, Message, deliver
    from newsplus.notifications.webhooks import post_signed, verify
    from newsplus.privacy import mask_address, mask_id_number, mask_name, mask_phone, mask_text, spreadsheet_cell
    from newsplus.runtime import Newsplus, NewsplusDep
    from newsplus.settings import Settings, SettingsError, load_settings
    from newsplus.types import DemoData, HomeTile, MenuItem, Permission, Role
    from newsplus.users.access import CurrentUser, anyone, requires, signed_in, staff
    from newsplus.users.accounts import role_holders
    from newsplus.version import __version__
    from newsplus.web.forms import field_errors, form_number
    from newsplus.web.render import page, translator_for

__all__ = [
    "ArticleIn",
    "Channel",
    "Conflict",
    "CurrentDistrict",
    "CurrentUser",
    "DemoData",
    "DistributionChannel",
    "DistrictTable",
    "DomainError",
    "Event",
    "FeedItem",
    "FormField",
    "Forbidden",
    "HomeTile",
    "InvalidFields",
    "InvalidInput",
    "Job",
    "MenuItem",
    "Message",
    "Newsplus",
    "NewsplusDep",
    "NotFound",
    "PayloadTooLarge",
    "Permission",
    "RateLimited",
    "Role",
    "StoredFile",
    "Settings",
    "SettingsError",
    "Unauthenticated",
    "UnsupportedMediaType",
    "__version__",
    "all_districts",
    "articles_where",
    "anyone",
    "clean_fields",
    "create_app",
    "field_errors",
    "form_number",
    "frozen_clock",
    "normal_phone",
    "now",
    "create_article",
    "create_index",
    "current_district",
    "deliver",
    "district_scope",
    "handles",
    "hookimpl",
    "hookspec",
    "load_settings",
    "mask_address",
    "mask_id_number",
    "mask_name",
    "mask_phone",
    "mask_text",
    "page",
    "post_signed",
    "publish",
    "publish_many",
    "read_upload",
    "reference",
    "remove_file",
    "requires",
    "role_holders",
    "signed_in",
    "spreadsheet_cell",
    "store_file",
    "tagged_articles",
    "staff",
    "transaction",
    "url_of",
    "valid_id_number",
    "verify",
    "translator_for",
]
