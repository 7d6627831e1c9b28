"""Settings of the notifications plugin: ``[plugins.notifications]``."""

import msgspec


class NotificationsSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The SMTP server for e-mail (no e-mail channel when ``smtp_host`` is empty) and the digest hour."""

    smtp_host: str = ""
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    smtp_tls: bool = False
    smtp_timeout: float = 15.0
    mail_from: str = "newsplus@localhost"
    digest_cron: str = "0 8 * * *"
