"""Notification channels: each carries some kinds of message; the first that accepts one delivers it."""

from __future__ import annotations

import logging
from collections import deque
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import msgspec

from newsplus.errors import DomainError

if TYPE_CHECKING:
    from newsplus.runtime import Newsplus

__all__ = ["Channel", "DeliveryFailed", "EmailChannel", "LogSMSChannel", "Message", "deliver", "usable_channels"]

logger = logging.getLogger("newsplus.notifications")


class Message(msgspec.Struct, frozen=True, kw_only=True):
    """One message to one recipient: ``kind`` says how (``sms``, ``email`` …), ``to`` says whom."""

    kind: str
    to: str
    body: str
    subject: str = ""
    category: str = ""


@runtime_checkable
class Channel(Protocol):
    """A way to deliver messages; ``send`` returns False (or raises) to let the next channel try."""

    name: str
    kinds: frozenset[str]

    async def send(self, message: Message) -> bool:
        """Deliver one message; True when it went out."""
        ...


class DeliveryFailed(DomainError):
    """No channel could deliver a message (the caller sees 503 and may try again)."""

    status_code = 503


class LogSMSChannel:
    """The development SMS backend: writes each text to the log (and keeps the last ones) instead of sending."""

    name = "sms_log"
    kinds = frozenset({"sms"})
    development = True

    def __init__(self, keep: int = 100) -> None:
        self.sent: deque[Message] = deque(maxlen=keep)

    async def send(self, message: Message) -> bool:
        """Log the text; always succeeds."""
        self.sent.append(message)
        logger.info("SMS to %s: %s", message.to, message.body)
        print(f"[newsplus sms] to {message.to}: {message.body}", flush=True)
        return True


async def deliver(newsplus: Newsplus, message: Message) -> str:
    """Send through the first channel that takes the message's kind; return that channel's name."""
    for channel in newsplus.channels:
        if message.kind not in channel.kinds:
            continue
        try:
            if await channel.send(message):
                return channel.name
        except Exception:  # a failing channel falls back to the next one
            logger.exception("channel %s failed to send a %s message", channel.name, message.kind)
    raise DeliveryFailed("The {kind} service is unavailable; please try again later", kind=message.kind)


def usable_channels(channels: list[Channel]) -> list[Channel]:
    """Drop a development channel where a real one carries the same kind of message.

    A provider that fails must not fall back to printing login codes into the server's log.
    """
    real = {kind for channel in channels if not getattr(channel, "development", False) for kind in channel.kinds}
    return [c for c in channels if not (getattr(c, "development", False) and c.kinds <= real)]


class EmailChannel:
    """E-mail over SMTP (settings ``[plugins.notifications] smtp_*``)."""

    name = "email"
    kinds = frozenset({"email"})

    def __init__(self, settings: Any) -> None:
        self.settings = settings

    async def send(self, message: Message) -> bool:
        """Send one e-mail; a refused connection or address raises, so the next channel (or a retry) follows."""
        import aiosmtplib

        email = EmailMessage()
        email["From"] = self.settings.mail_from
        email["To"] = message.to
        email["Subject"] = message.subject or message.body.split("\n", 1)[0][:80]
        email.set_content(message.body)
        s = self.settings
        await aiosmtplib.send(
            email,
            hostname=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_username or None,
            password=s.smtp_password or None,
            start_tls=s.smtp_starttls,
            use_tls=s.smtp_tls,
            timeout=s.smtp_timeout,
        )
        return True
