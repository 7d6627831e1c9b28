"""Settings of the notifications plugin: ``[plugins.notifications]``."""

import msgspec


class NotificationsSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The SMTP server for e-mail (no e-mail channel when ``smtp_host`` is empty), the digest hour, and the
    private networks webhooks may reach (none: webhooks go to public addresses only)."""

    smtp_host: str = ""
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    smtp_tls: bool = False
    smtp_timeout: float = 15.0
    mail_from: str = "newsplus@localhost"
    digest_cron: str = "0 8 * * *"
    webhook_private_networks: tuple[str, ...] = ()
    """Networks (CIDR) of district systems a webhook may reach although they are not public, e.g. 10.8.0.0/16."""
