"""Settings of the notifications plugin: ``[plugins.notifications]``."""

import msgspec


class NotificationsSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The SMTP server for e-mail (no e-mail channel when ``smtp_host`` is empty), the digest hour, and the
    private networks webhooks may reach (none: webhooks go to public addresses only)."""

    smtp_host: str = ""
    """The mail server; empty: no e-mail channel."""
    smtp_port: int = 25
    """The mail server's port."""
    smtp_username: str = ""
    """The mail account, if the server asks for one."""
    smtp_password: str = ""
    """Its password (better: NEWSPLUS_PLUGINS__NOTIFICATIONS__SMTP_PASSWORD)."""
    smtp_starttls: bool = False
    """Upgrade the connection with STARTTLS."""
    smtp_tls: bool = False
    """Connect over TLS from the start (port 465)."""
    smtp_timeout: float = 15.0
    """Seconds to wait for the mail server."""
    mail_from: str = "newsplus@localhost"
    """The sender of e-mails."""
    digest_cron: str = "0 8 * * *"
    """When daily digests go out (cron, local time)."""
    webhook_private_networks: tuple[str, ...] = ()
    """Networks (CIDR) of district systems a webhook may reach although they are not public, e.g. 10.8.0.0/16."""
