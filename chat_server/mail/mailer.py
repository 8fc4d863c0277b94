"""Email for readers who left: replies to an absent reader go out by SMTP (aiosmtplib)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    use_tls: bool = False  # smtps:// — TLS from the first byte
    start_tls: bool = False  # smtp://...?starttls=1 — upgrade after connecting

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("CHAT_SMTP_URL must look like smtp://user:password@host:port")
        query = parse_qs(parts.query)
        tls = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if tls else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=tls,
            start_tls=query.get("starttls", ["0"])[0] in ("1", "true", "yes"),
        )


class Mailer:
    def __init__(self, smtp_url: str, sender: str) -> None:
        self.server = SmtpServer.from_url(smtp_url) if smtp_url else None
        self.sender = sender

    @property
    def enabled(self) -> bool:
        return self.server is not None and bool(self.sender)

    async def send(self, to: str, subject: str, text: str) -> bool:
        """Send one plain-text email; False (and a log line) when it could not go out."""
        if self.server is None or not self.sender:
            return False
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        message.set_content(text)
        try:
            await aiosmtplib.send(
                message,
                hostname=self.server.host,
                port=self.server.port,
                username=self.server.username,
                password=self.server.password,
                use_tls=self.server.use_tls,
                start_tls=self.server.start_tls,
                timeout=30,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            log.warning("could not email %s: %s", to, exc)
            return False
        return True
