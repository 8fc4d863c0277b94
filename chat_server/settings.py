"""ChatSettings: the `chat:` section of config.yml plus secrets from environment variables.

Secrets and deployment facts come from the environment, never from config.yml, which is
committed to git: ENVIRONMENT below is the one list of the CHAT_* variables (the README's
table and `python -m chat_server --help` are checked against it / made from it).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from builder.config.settings import SETTINGS_BY_KEY
from builder.errors import ConfigError, Problem
from chat_server.client_address import TrustedProxies


def origin_of(url: str) -> str:
    """'https://help.example.com/ru/' -> 'https://help.example.com'."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def _default(key: str) -> Any:
    """A config.yml setting's default, from the one settings list (builder/config/settings.py)."""
    return SETTINGS_BY_KEY[key].default


class EnvVar(NamedTuple):
    name: str
    field: str  # of ChatSettings
    default: str
    meaning: str


ENVIRONMENT: tuple[EnvVar, ...] = (
    EnvVar("CHAT_SECRET_KEY", "secret_key", "",
           "signs reader tokens and operator sessions. When unset, a random key is created "
           "once in the data folder (fine for one machine; several processes must share one)."),
    EnvVar("CHAT_IDENTITY_SECRET", "identity_secret", "",
           "HMAC key of `user_hash` for readers logged in to the host product."),
    EnvVar("CHAT_DATABASE_URL", "database_url", "",
           "sqlite:///path or postgresql://...; default sqlite in the data folder. "
           "sqlite:///path?synchronous=normal is faster and still loses nothing when the "
           "process is killed, only the last commits on a power cut."),
    EnvVar("CHAT_DATABASE_SCHEMA", "database_schema", "",
           "PostgreSQL schema for the tables (default: the user's search_path)."),
    EnvVar("CHAT_BROKER_URL", "broker_url", "memory://",
           "memory:// (default) or redis://host:port/db for several processes."),
    EnvVar("CHAT_BROKER_PREFIX", "broker_prefix", "chat:",
           "prefix of the Redis channels (default chat:), to share one Redis."),
    EnvVar("CHAT_ATTACHMENTS_URL", "attachments_url", "",
           "where attachment bodies live: folder (<data_dir>/attachments), db (the "
           "database), file:///shared/path or s3://bucket/prefix?endpoint=URL&region=R "
           "(credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY). Default: db with "
           "PostgreSQL (files kept in the data folder before stay readable), folder with "
           "SQLite."),
    EnvVar("CHAT_SMTP_URL", "smtp_url", "",
           "smtp://user:password@host:port (smtps:// for TLS, ?starttls=1): where replies "
           "to readers who left an email go."),
    EnvVar("CHAT_TRUSTED_PROXIES", "trusted_proxies", "",
           "comma-separated addresses or networks (10.0.0.1, 10.0.0.0/8) of the proxies in "
           "front of the sidecar, whose X-Forwarded-For and X-Forwarded-Proto are believed. "
           "Empty (default): no proxy is trusted, not even 127.0.0.1, and the peer's own "
           "address is the client's."),
)
# Read with a rule of their own in from_config; the rest are taken as they are.
_WITH_A_RULE = {"secret_key", "trusted_proxies"}
_ENV_DEFAULT = {var.field: var.default for var in ENVIRONMENT}


@dataclass(frozen=True)
class ChatSettings:
    secret_key: str
    url: str = _default("chat.url")
    site_base_url: str = _default("site.base_url")
    languages: tuple[str, ...] = _default("languages")
    timezone: str = _default("chat.timezone")
    hours_start: str = _default("chat.hours_start")
    hours_end: str = _default("chat.hours_end")
    workdays: tuple[int, ...] = _default("chat.workdays")
    closed_dates: tuple[str, ...] = _default("chat.closed_dates")
    reply_minutes: int = _default("chat.reply_minutes")
    default_group: str = _default("chat.default_group")
    groups: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # chat.groups
    routes: tuple[Mapping[str, str], ...] = ()  # chat.routes
    topics: tuple[str, ...] = ()  # the ids of chat.topics: what a reader may pick
    topic_titles: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    tags: tuple[Mapping[str, Any], ...] = ()  # chat.tags: {name, colour, description}
    data_dir: Path = Path(_default("chat.data_dir"))
    allowed_origins: tuple[str, ...] = _default("chat.allowed_origins")
    identity_required: bool = _default("chat.identity_required")
    email_from: str = _default("chat.email_from")
    attachments_reader_mib_per_day: int = _default("chat.attachments_reader_mib_per_day")
    attachments_address_mib_per_day: int = _default("chat.attachments_address_mib_per_day")
    attachments_total_mib: int = _default("chat.attachments_total_mib")
    attachments_kinds: tuple[str, ...] = _default("chat.attachments_kinds")
    # chat.retention: 0 days keeps everything (retention.py says what each mode removes).
    retention_days: int = 0
    retention_mode: str = "delete"
    identity_secret: str = _ENV_DEFAULT["identity_secret"]
    database_url: str = _ENV_DEFAULT["database_url"]
    database_schema: str = _ENV_DEFAULT["database_schema"]
    broker_url: str = _ENV_DEFAULT["broker_url"]
    broker_prefix: str = _ENV_DEFAULT["broker_prefix"]
    smtp_url: str = _ENV_DEFAULT["smtp_url"]
    attachments_url: str = _ENV_DEFAULT["attachments_url"]
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
            groups=chat["groups"],
            routes=_checked_routes(chat["routes"], chat["groups"], chat["default_group"],
                                   tuple(t["id"] for t in chat["topics"])),
            topics=tuple(t["id"] for t in chat["topics"]),
            topic_titles={t["id"]: t["title"] for t in chat["topics"]},
            tags=tuple(chat["tags"]),
            data_dir=data_dir,
            allowed_origins=tuple(chat["allowed_origins"]),
            identity_required=chat["identity_required"],
            email_from=chat["email_from"],
            attachments_reader_mib_per_day=chat["attachments_reader_mib_per_day"],
            attachments_address_mib_per_day=chat["attachments_address_mib_per_day"],
            attachments_total_mib=chat["attachments_total_mib"],
            attachments_kinds=tuple(chat["attachments_kinds"]),
            retention_days=chat["retention"].get("days", 0),
            retention_mode=chat["retention"].get("mode", "delete"),
            **{var.field: env.get(var.name, var.default) for var in ENVIRONMENT
               if var.field not in _WITH_A_RULE},
            trusted_proxies=_trusted_proxies(env.get("CHAT_TRUSTED_PROXIES", "")),
            site_dir=site_dir,
            authors={key: a.email for key, a in config.authors.items() if a.email},
            title=config.title,
        )


def _checked_routes(routes: tuple[Mapping[str, str], ...], groups: Mapping[str, Any],
                    default_group: str, topics: tuple[str, ...]
                    ) -> tuple[Mapping[str, str], ...]:
    known = set(groups) | {default_group}
    for index, rule in enumerate(routes):
        if rule["group"] not in known:
            raise ConfigError([Problem("config.yml", 0, (
                f"chat.routes: rule {index + 1} sends to group {rule['group']!r}, which is "
                f"not in chat.groups (known: {', '.join(sorted(known))})"))])
        if "topic" in rule and rule["topic"] not in topics:
            raise ConfigError([Problem("config.yml", 0, (
                f"chat.routes: rule {index + 1} names topic {rule['topic']!r}, which is not "
                "in chat.topics"))])
    return routes


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
