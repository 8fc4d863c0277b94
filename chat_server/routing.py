"""Which group a new conversation belongs to: the first rule of chat.routes that matches it,
else chat.default_group. A rule names any of lang, collection (the article's), path (a prefix
of the page's path) and topic (what the reader picked); all it names must match."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Request:
    """What is known of a conversation when it starts."""

    lang: str = ""
    collection: str = ""
    path: str = ""  # the page's path: "/ru/nds/" (a full URL is cut to its path)
    topic: str = ""


def page_path(page: str) -> str:
    return urlsplit(page).path if "://" in page else page.split("?", 1)[0].split("#", 1)[0]


def choose_group(routes: Sequence[Mapping[str, str]], default_group: str,
                 request: Request) -> str:
    for rule in routes:
        if _matches(rule, request):
            return rule["group"]
    return default_group


def _matches(rule: Mapping[str, str], request: Request) -> bool:
    if "lang" in rule and rule["lang"] != request.lang:
        return False
    if "collection" in rule and rule["collection"] != request.collection:
        return False
    if "topic" in rule and rule["topic"] != request.topic:
        return False
    return "path" not in rule or request.path.startswith(rule["path"])
