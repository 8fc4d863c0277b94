"""ChatSettings: the `chat:` section of config.yml plus secrets from environment variables.

Environment variables (secrets and deployment facts never go in config.yml, which is
committed to git):

- CHAT_SECRET_KEY       signs visitor tokens and operator sessions. When unset, a random key
                        is created once in the data folder (fine for one machine; set it for
                        several processes, which must share it).
- CHAT_IDENTITY_SECRET  HMAC key of `user_hash` for readers logged in to the host product.
- CHAT_DATABASE_URL     sqlite:///path or postgresql://...; default sqlite in the data folder.
                        sqlite:///path?synchronous=normal is faster and still loses nothing
                        when the process is killed, only the last commits on a power cut.
- CHAT_DATABASE_SCHEMA  PostgreSQL schema for the tables (default: the user's search_path).
- CHAT_BROKER_URL       memory:// (default) or redis://host:port/db for several processes.
- CHAT_BROKER_PREFIX    prefix of the Redis channels (default chat:), to share one Redis.
- CHAT_SMTP_URL         smtp://user:password@host:port (smtps:// for TLS, ?starttls=1).
- CHAT_TRUSTED_PROXIES  comma-separated addresses or networks (10.0.0.1, 10.0.0.0/8) of the
                        proxies in front of the sidecar, whose X-Forwarded-For and
                        X-Forwarded-Proto are believed. Empty (default): no proxy is trusted,
                        not even 127.0.0.1, and the peer's own address is the client's.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from builder.errors import ConfigError, Problem
from chat_server.client_address import TrustedProxies


def origin_of(url: str) -> str:
    """'https://help.example.com/ru/' -> 'https://help.example.com'."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


@dataclass(frozen=True)
class ChatSettings:
    secret_key: str
    url: str = ""
    site_base_url: str = ""
    languages: tuple[str, ...] = ("en",)
    timezone: str = "Europe/Moscow"
    hours_start: str = "10:00"
    hours_end: str = "20:00"
    workdays: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7)
    closed_dates: tuple[str, ...] = ("01-01", "01-02")
    reply_minutes: int = 15
    default_group: str = "support"
    data_dir: Path = Path("data")
    allowed_origins: tuple[str, ...] = ()
    identity_required: bool = False
    email_from: str = ""
    attachments_reader_mib_per_day: int = 50
    attachments_address_mib_per_day: int = 200
    attachments_total_mib: int = 10_240
    identity_secret: str = ""
    database_url: str = ""
    database_schema: str = ""
    broker_url: str = "memory://"
    broker_prefix: str = "chat:"
    smtp_url: str = ""
    trusted_proxies: tuple[str, ...] = ()
    site_dir: Path | None = None
    authors: Mapping[str, str] = field(default_factory=dict)  # author key -> email
    title: str = "Help center"

    @property
    def origins(self) -> frozenset[str]:
        """Origins allowed to talk to the public endpoints besides the sidecar's own."""
        found = {origin_of(self.url), origin_of(self.site_base_url)}
        found.update(origin_of(o) or o.rstrip("/").lower() for o in self.allowed_origins)
        return frozenset(o for o in found if o)

    @property
    def secure_cookies(self) -> bool:
        return self.url.startswith("https://")

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'chat.db'}"

    @classmethod
    def from_config(
        cls, config: Any, site_dir: Path | None = None, env: Mapping[str, str] | None = None
    ) -> ChatSettings:
        env = os.environ if env is None else env
        chat = config.section("chat")
        data_dir = (config.root / chat["data_dir"]).resolve()
        return cls(
            secret_key=env.get("CHAT_SECRET_KEY") or _local_secret(data_dir),
            url=chat["url"],
            site_base_url=config["site.base_url"],
            languages=tuple(config.languages),
            timezone=chat["timezone"],
            hours_start=chat["hours_start"],
            hours_end=chat["hours_end"],
            workdays=tuple(chat["workdays"]),
            closed_dates=tuple(chat["closed_dates"]),
            reply_minutes=chat["reply_minutes"],
            default_group=chat["default_group"],
            data_dir=data_dir,
            allowed_origins=tuple(chat["allowed_origins"]),
            identity_required=chat["identity_required"],
            email_from=chat["email_from"],
            attachments_reader_mib_per_day=chat["attachments_reader_mib_per_day"],
            attachments_address_mib_per_day=chat["attachments_address_mib_per_day"],
            attachments_total_mib=chat["attachments_total_mib"],
            identity_secret=env.get("CHAT_IDENTITY_SECRET", ""),
            database_url=env.get("CHAT_DATABASE_URL", ""),
            database_schema=env.get("CHAT_DATABASE_SCHEMA", ""),
            broker_url=env.get("CHAT_BROKER_URL", "memory://"),
            broker_prefix=env.get("CHAT_BROKER_PREFIX", "chat:"),
            smtp_url=env.get("CHAT_SMTP_URL", ""),
            trusted_proxies=_trusted_proxies(env.get("CHAT_TRUSTED_PROXIES", "")),
            site_dir=site_dir,
            authors={key: a.email for key, a in config.authors.items() if a.email},
            title=config.title,
        )


def _trusted_proxies(text: str) -> tuple[str, ...]:
    entries = tuple(e.strip() for e in text.split(",") if e.strip())
    try:
        TrustedProxies.parse(entries)
    except ValueError as exc:
        raise ConfigError([Problem("CHAT_TRUSTED_PROXIES", 0, str(exc))]) from exc
    return entries


def _local_secret(data_dir: Path) -> str:
    """A key kept in the data folder, created on first start, readable by the owner only."""
    path = data_dir / "secret_key"
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key)
    return key
