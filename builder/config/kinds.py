"""Kinds of setting values and the `Setting` record that the one settings list is made of."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class Invalid(ValueError):
    """A value of the wrong kind; the message says what was expected."""


@dataclass(frozen=True)
class Kind:
    name: str  # shown in the reference: "string", "list of language codes"
    check: Callable[[Any], Any]  # returns the normalised value or raises Invalid


def _string(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise Invalid(f"expected a string, got {_describe(value)}")
    return str(value)


def _nonempty(value: Any) -> str:
    text = _string(value).strip()
    if not text:
        raise Invalid("must not be empty")
    return text


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"expected true or false, got {_describe(value)}")
    return value


def _int(minimum: int, maximum: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(f"expected a whole number, got {_describe(value)}")
        if not minimum <= value <= maximum:
            raise Invalid(f"must be between {minimum} and {maximum}, got {value}")
        return value

    return check


def _color(value: Any) -> str:
    text = _string(value)
    if not _COLOR.match(text):
        raise Invalid(f"expected a colour like '#2563eb', got {text!r}")
    return text.lower()


def _url(value: Any) -> str:
    text = _string(value).strip()
    if text and not re.match(r"^https?://[^\s/]+", text):
        raise Invalid(f"expected an http(s) URL, got {text!r}")
    return text


def _secure_url(value: Any) -> str:
    """An absolute https URL; http only on this machine (localhost, 127.0.0.1), for tests and
    a laptop. What a page fetches with the reader's cookies must not travel in clear."""
    text = _url(value)
    if not text:
        return text
    parts = urlsplit(text)
    local = parts.hostname in ("localhost", "127.0.0.1")
    if not parts.hostname or not (parts.scheme == "https" or (parts.scheme == "http" and local)):
        raise Invalid(f"expected an https URL (http only for localhost), got {text!r}")
    return text


def _base_url(value: Any) -> str:
    text = _url(value)
    return text if not text or text.endswith("/") else text + "/"


def _edit_url(value: Any) -> str:
    text = _url(value)
    if text and "{path}" not in text:
        raise Invalid("must contain {path}, e.g. 'https://git.example.com/repo/edit/main/{path}'")
    return text


def _languages(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else None
    if not items:
        raise Invalid("expected a non-empty list of language codes, e.g. [ru, en]")
    codes: list[str] = []
    for item in items:
        code = _string(item)
        if not _LANG.match(code):
            raise Invalid(f"{code!r} is not a language code like 'ru' or 'en'")
        if code in codes:
            raise Invalid(f"language {code!r} is listed twice")
        codes.append(code)
    return tuple(codes)


def _string_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise Invalid(f"expected a list, got {_describe(value)}")
    return tuple(_string(item) for item in value)


def _localized_text(value: Any) -> dict[str, str]:
    """A non-empty text, or one per language: {ru: Бухгалтерия Онлайн, en: Bukhgalteria Online}."""
    if isinstance(value, dict):
        if not value:
            raise Invalid("expected a text or a mapping of language code to text")
        return {_string(k): _nonempty(v) for k, v in value.items()}
    return {"*": _nonempty(value)}


def _localized(value: Any) -> dict[str, str]:
    """A plain string, or a mapping of language code to string."""
    if isinstance(value, dict):
        return {_string(k): _string(v) for k, v in value.items()}
    return {"*": _string(value)}


def _footer_links(value: Any) -> tuple[dict[str, Any], ...]:
    if not isinstance(value, list):
        raise Invalid(f"expected a list of {{title, url}}, got {_describe(value)}")
    links = []
    for index, item in enumerate(value):
        if not isinstance(item, dict) or set(item) - {"title", "url"} or "title" not in item:
            raise Invalid(f"item {index + 1}: expected {{title: ..., url: ...}}")
        url = _string(item.get("url", ""))
        if not url:
            raise Invalid(f"item {index + 1}: url is missing")
        links.append({"title": _localized(item["title"]), "url": url})
    return tuple(links)


def _authors(value: Any) -> dict[str, dict[str, Any]]:
    """{key: {name, email, avatar}}; a name is one text or one per language, {ru: .., en: ..}."""
    if not isinstance(value, dict):
        raise Invalid(f"expected a mapping of author keys, got {_describe(value)}")
    authors: dict[str, dict[str, Any]] = {}
    for key, fields in value.items():
        key = _string(key)
        if not _KEY.match(key):
            raise Invalid(f"author key {key!r}: use lowercase letters, digits, '-' and '_'")
        if not isinstance(fields, dict) or "name" not in fields:
            raise Invalid(f"author {key!r}: expected {{name: ..., email: ...}}")
        unknown = set(fields) - {"name", "email", "avatar"}
        if unknown:
            raise Invalid(f"author {key!r}: unknown field {sorted(unknown)[0]!r}")
        try:
            name = _localized_text(fields["name"])
        except Invalid as exc:
            raise Invalid(f"author {key!r}: name: {exc}") from exc
        authors[key] = {**{f: _string(v) for f, v in fields.items() if f != "name"},
                        "name": name}
    return authors


def _timezone(value: Any) -> str:
    text = _string(value)
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise Invalid(f"unknown time zone {text!r}") from exc
    return text


def _time(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML 1.1 reads an unquoted 10:00 as a sexagesimal number (600).
        value = f"{value // 60:02d}:{value % 60:02d}"
    text = _string(value)
    if not _TIME.match(text):
        raise Invalid(f"expected a time like '10:00', got {text!r}")
    return text


def _dates(value: Any) -> tuple[str, ...]:
    """Closed days: 'MM-DD' every year, or 'YYYY-MM-DD' once."""
    if not isinstance(value, list):
        raise Invalid(f"expected a list of dates, got {_describe(value)}")
    out = []
    for item in value:
        text = item.isoformat() if hasattr(item, "isoformat") else _string(item)
        if not re.match(r"^(\d{4}-)?(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$", text):
            raise Invalid(f"expected 'MM-DD' or 'YYYY-MM-DD', got {text!r}")
        out.append(text)
    return tuple(out)


def _weekdays(value: Any) -> tuple[int, ...]:
    """Working days as ISO numbers 1 (Monday) .. 7 (Sunday)."""
    if not isinstance(value, list) or not value:
        raise Invalid("expected a list of weekday numbers, 1 = Monday .. 7 = Sunday")
    return tuple(sorted({_int(1, 7)(item) for item in value}))


_GROUP_FIELDS = {"title", "capacity", "auto_assign"}
_ROUTE_FIELDS = {"group", "lang", "collection", "path", "topic"}


def _groups(value: Any) -> dict[str, dict[str, Any]]:
    """Operator groups: {name: {title, capacity, auto_assign}}, every field optional."""
    if not isinstance(value, dict):
        raise Invalid(f"expected a mapping of group names, got {_describe(value)}")
    groups: dict[str, dict[str, Any]] = {}
    for name, fields in value.items():
        name = _string(name)
        if not _KEY.match(name):
            raise Invalid(f"group {name!r}: use lowercase letters, digits, '-' and '_'")
        fields = {} if fields is None else fields
        if not isinstance(fields, dict) or set(fields) - _GROUP_FIELDS:
            raise Invalid(f"group {name!r}: expected {{title, capacity, auto_assign}}")
        try:
            groups[name] = {
                "title": _localized(fields.get("title", name)),
                "capacity": _int(1, 1000)(fields.get("capacity", 5)),
                "auto_assign": _bool(fields.get("auto_assign", False)),
            }
        except Invalid as exc:
            raise Invalid(f"group {name!r}: {exc}") from exc
    return groups


def _routes(value: Any) -> tuple[dict[str, str], ...]:
    """Routing rules, first match wins: {group, lang, collection, path, topic}."""
    if not isinstance(value, list):
        raise Invalid(f"expected a list of rules, got {_describe(value)}")
    routes = []
    for index, rule in enumerate(value):
        if not isinstance(rule, dict) or "group" not in rule or set(rule) - _ROUTE_FIELDS:
            raise Invalid(f"rule {index + 1}: expected {{group, lang, collection, path, "
                          "topic}} with a group")
        if len(rule) == 1:
            raise Invalid(f"rule {index + 1}: says which group but not when")
        routes.append({key: _nonempty(v) for key, v in rule.items()})
    return tuple(routes)


def _topics(value: Any) -> tuple[dict[str, Any], ...]:
    """What a reader may say their question is about: [{id, title}], offered by the widget."""
    if not isinstance(value, list):
        raise Invalid(f"expected a list of {{id, title}}, got {_describe(value)}")
    topics, seen = [], set()
    for index, item in enumerate(value):
        if not isinstance(item, dict) or set(item) != {"id", "title"}:
            raise Invalid(f"topic {index + 1}: expected {{id: ..., title: ...}}")
        topic_id = _string(item["id"])
        if not _KEY.match(topic_id) or topic_id in seen:
            raise Invalid(f"topic {index + 1}: id {topic_id!r} must be unique lowercase letters, "
                          "digits, '-' and '_'")
        seen.add(topic_id)
        topics.append({"id": topic_id, "title": _localized(item["title"])})
    return tuple(topics)


_TAG_FIELDS = {"name", "colour", "description"}
MAX_TAG_CHARS = 40


def tag_name(value: Any) -> str:
    """A tag as operators type it and filter by: NFC, lowercase, single spaces, 1–40
    characters, no ':' (automatic tags own names like 'kind:bug')."""
    text = " ".join(unicodedata.normalize("NFC", _string(value)).lower().split())
    if not text or len(text) > MAX_TAG_CHARS or ":" in text or not text.isprintable():
        raise Invalid(f"tag {text!r}: 1 to {MAX_TAG_CHARS} printable characters, no ':'")
    return text


def _tags(value: Any) -> tuple[dict[str, Any], ...]:
    """The team's tags: [{name, colour, description}], colour and description optional."""
    if not isinstance(value, list):
        raise Invalid(f"expected a list of {{name, colour, description}}, got {_describe(value)}")
    tags, seen = [], set()
    for index, item in enumerate(value):
        if isinstance(item, str):
            item = {"name": item}
        if not isinstance(item, dict) or "name" not in item or set(item) - _TAG_FIELDS:
            raise Invalid(f"tag {index + 1}: expected {{name, colour, description}}")
        try:
            name = tag_name(item["name"])
            colour = _color(item.get("colour", "#64748b"))
        except Invalid as exc:
            raise Invalid(f"tag {index + 1}: {exc}") from exc
        if name in seen:
            raise Invalid(f"tag {index + 1}: {name!r} is listed twice")
        seen.add(name)
        tags.append({"name": name, "colour": colour,
                     "description": _localized(item.get("description", ""))})
    return tuple(tags)


_RETENTION_MODES = ("delete", "anonymise")


def _retention(value: Any) -> dict[str, Any]:
    """chat.retention: {days, mode}; days is required, mode defaults to delete (as the
    retention command does). An empty mapping, the default, keeps everything."""
    if value == {}:
        return {}
    if not isinstance(value, dict) or set(value) - {"days", "mode"} or "days" not in value:
        raise Invalid("expected {days: N, mode: delete or anonymise}")
    mode = _string(value.get("mode", "delete"))
    if mode not in _RETENTION_MODES:
        raise Invalid(f"mode: expected one of {', '.join(_RETENTION_MODES)}, got {mode!r}")
    try:
        days = _int(1, 36_500)(value["days"])
    except Invalid as exc:
        raise Invalid(f"days: {exc}") from exc
    return {"days": days, "mode": mode}


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"


STRING = Kind("string", _string)
TEXT = Kind("non-empty string", _nonempty)
LOCALIZED_TEXT = Kind("text, or {lang: text}", _localized_text)
BOOL = Kind("true/false", _bool)
COLOR = Kind("colour '#rrggbb'", _color)
URL = Kind("http(s) URL", _url)
BASE_URL = Kind("http(s) URL", _base_url)
SECURE_URL = Kind("https URL", _secure_url)
EDIT_URL = Kind("URL with {path}", _edit_url)
PATH = Kind("path relative to config.yml", _string)
LANGUAGES = Kind("list of language codes", _languages)
STRINGS = Kind("list of strings", _string_list)
FOOTER_LINKS = Kind("list of {title, url}", _footer_links)
AUTHORS = Kind("mapping key → {name (text or {lang: text}), email, avatar}", _authors)
TIMEZONE = Kind("IANA time zone", _timezone)
TIME = Kind("time 'HH:MM'", _time)
DATES = Kind("list of 'MM-DD' or 'YYYY-MM-DD'", _dates)
WEEKDAYS = Kind("list of 1..7 (Monday = 1)", _weekdays)
GROUPS = Kind("mapping name → {title, capacity, auto_assign}", _groups)
ROUTES = Kind("list of {group, lang, collection, path, topic}", _routes)
TOPICS = Kind("list of {id, title}", _topics)
TAGS = Kind("list of {name, colour, description}", _tags)
RETENTION = Kind("{days, mode (delete or anonymise)}", _retention)


def integer(minimum: int, maximum: int) -> Kind:
    return Kind(f"integer {minimum}..{maximum}", _int(minimum, maximum))


def choice(*options: str) -> Kind:
    """One of a few words, e.g. sanitize, trusted or escape."""

    def check(value: Any) -> str:
        text = _string(value)
        if text not in options:
            raise Invalid(f"expected one of {', '.join(options)}, got {text!r}")
        return text

    return Kind("one of " + ", ".join(options), check)  # no "|": the reference is a table


def choices(*options: str) -> Kind:
    """A list of some of a few words, each at most once, e.g. the attachment kinds."""

    def check(value: Any) -> tuple[str, ...]:
        words = _string_list(value)
        for word in words:
            if word not in options:
                raise Invalid(f"expected some of {', '.join(options)}, got {word!r}")
        return tuple(dict.fromkeys(words))

    return Kind("list of " + ", ".join(options), check)


@dataclass(frozen=True)
class Setting:
    key: str  # dotted path in config.yml
    kind: Kind
    default: Any
    help: str
    required: bool = False

    @property
    def section(self) -> str:
        return self.key.split(".", 1)[0]


