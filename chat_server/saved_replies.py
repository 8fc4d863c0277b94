"""Saved replies: the team's, built from `content/<lang>/_replies/*.md` into
`site/_data/replies.json` (read again when a build changed it, like articles.py), and each
operator's personal ones from the store.

Finding one by a keyword forgives what the site's search forgives: word forms (the site's
stemmer), a prefix (a few letters typed so far), one typo, and a Russian word typed on the
English layout. The page does the same on its own copy (views/replies.mjs) so a suggestion
needs no round trip; the `terms` sent with each reply are what both sides match against.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

from builder.search.words import normalize_text, stem, tokenize

log = logging.getLogger(__name__)

RECHECK_SECONDS = 5.0
MAX_SHORTCUT_CHARS = 40
MAX_TITLE_CHARS = 120
MAX_BODY_CHARS = 4000
# The standard ЙЦУКЕН layout over QWERTY: "gthtyjc" is «перенос» typed on the wrong one.
_LATIN = "qwertyuiop[]asdfghjkl;'zxcvbnm,.`"
_CYRILLIC = "йцукенгшщзхъфывапролджэячсмитьбюё"
_TO_CYRILLIC = str.maketrans(_LATIN, _CYRILLIC)


def terms_of(reply: dict[str, Any]) -> list[str]:
    """What a reply is found by: its shortcut whole, and the stems of its shortcut, title
    and tags."""
    words = tokenize(" ".join([reply.get("shortcut", ""), reply.get("title", ""),
                               *reply.get("tags", [])]))
    shortcut = normalize_text(reply.get("shortcut", ""))
    return list(dict.fromkeys([shortcut, *words, *(stem(w) for w in words)]))


def within_one_edit(a: str, b: str) -> bool:
    """True when b is a with at most one letter changed, added, dropped or two swapped."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1:] == b[i + 1:] or (a[i:i + 2] == b[i:i + 2][::-1] and a[i + 2:] == b[i + 2:])
    return a[i:] == b[i + 1:]


def score(query: str, terms: list[str]) -> int:
    """0 for no match; higher is better: the shortcut itself, a prefix, a word form, a typo."""
    if not query:
        return 1
    shortcut, words = (terms[0], terms[1:]) if terms else ("", [])
    best = 0
    for q in dict.fromkeys([query, query.translate(_TO_CYRILLIC)]):
        stemmed = stem(q)
        if shortcut == q:
            best = max(best, 100)
        elif shortcut.startswith(q):
            best = max(best, 80)
        for term in words:
            if term.startswith(q) or (len(stemmed) >= 3 and term.startswith(stemmed)):
                best = max(best, 60)
            elif len(q) >= 4 and (within_one_edit(q, term) or within_one_edit(q, term[:len(q)])):
                best = max(best, 30)
        if len(q) >= 4 and (within_one_edit(q, shortcut) or within_one_edit(q, shortcut[:len(q)])):
            best = max(best, 40)
    return best


def find(replies: list[dict[str, Any]], query: str, limit: int = 10) -> list[dict[str, Any]]:
    q = normalize_text(query).strip().lstrip("#/")
    scored = [(score(q, r["terms"]), r) for r in replies]
    hits = [(s, r) for s, r in scored if s > 0]
    hits.sort(key=lambda pair: (-pair[0], pair[1]["shortcut"]))
    return [r for _, r in hits[:limit]]


class TeamReplies:
    """The built site's replies.json, kept fresh."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._replies: list[dict[str, Any]] = []
        self._seen: tuple[int, int] | None = None
        self._checked = float("-inf")

    @classmethod
    def load(cls, site_dir: Path | None) -> TeamReplies:
        replies = cls(site_dir / "_data" / "replies.json" if site_dir else None)
        replies._refresh()
        return replies

    def for_lang(self, lang: str) -> list[dict[str, Any]]:
        if time.monotonic() - self._checked >= RECHECK_SECONDS:
            self._refresh()
        return [r for r in self._replies if not lang or r["lang"] == lang]

    def _refresh(self) -> None:
        self._checked = time.monotonic()
        if self.path is None:
            return
        try:
            stat = self.path.stat()
            if (stat.st_mtime_ns, stat.st_size) == self._seen:
                return
            data = json.loads(self.path.read_text(encoding="utf-8"))
            replies = [_team_reply(r) for r in data.get("replies", []) if isinstance(r, dict)]
        except FileNotFoundError:
            return
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
            log.warning("%s could not be read (%s); keeping the replies known before",
                        self.path, exc)
            return
        self._replies, self._seen = replies, (stat.st_mtime_ns, stat.st_size)


def _team_reply(entry: dict[str, Any]) -> dict[str, Any]:
    reply = {"id": "team:" + str(entry["id"]), "scope": "team", "lang": str(entry["lang"]),
             "shortcut": str(entry["shortcut"]), "title": str(entry["title"]),
             "tags": [str(t) for t in entry.get("tags", [])], "body": str(entry["body"]),
             "links": entry.get("links", []), "source": str(entry.get("source", ""))}
    reply["terms"] = terms_of(reply)
    return reply


def personal_reply(row: dict[str, Any]) -> dict[str, Any]:
    reply = {"id": "personal:" + str(row["id"]), "scope": "personal", "lang": row["lang"],
             "shortcut": row["shortcut"], "title": row["title"], "tags": [],
             "body": row["body"], "links": [], "source": ""}
    reply["terms"] = terms_of(reply)
    return reply
