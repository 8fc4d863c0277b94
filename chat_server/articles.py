"""The site's article manifest (`site/_data/articles.json`), written by the builder.

It says which articles exist: ratings and conversations name only those. A sidecar runs for
weeks while the site is rebuilt, so the file is read again when it changed (looked at no more
often than every few seconds); otherwise a new article could not be rated until a restart.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

RECHECK_SECONDS = 5.0


class Articles:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._by_key: dict[str, dict[str, Any]] = {}  # "lang/id" -> entry
        self._seen: tuple[int, int] | None = None  # (mtime_ns, size) of what was read
        self._checked = float("-inf")

    @classmethod
    def load(cls, site_dir: Path | None) -> Articles:
        if site_dir is None:
            log.warning("no site folder (--site): no article is known, so ratings are refused "
                        "and conversations go to chat.default_group")
        articles = cls(site_dir / "_data" / "articles.json" if site_dir else None)
        articles._refresh()
        if articles.path is not None and articles._seen is None:
            log.warning("%s not found: no article can be rated until the site is built",
                        articles.path)
        return articles

    @property
    def by_key(self) -> dict[str, dict[str, Any]]:
        if time.monotonic() - self._checked >= RECHECK_SECONDS:
            self._refresh()
        return self._by_key

    def _refresh(self) -> None:
        self._checked = time.monotonic()
        if self.path is None:
            return
        try:
            stat = self.path.stat()
            if (stat.st_mtime_ns, stat.st_size) == self._seen:
                return
            entries = json.loads(self.path.read_text(encoding="utf-8"))
            by_key = {f"{e['lang']}/{e['id']}": e for e in entries
                      if isinstance(e, dict) and "id" in e and "lang" in e}
        except FileNotFoundError:
            return
        except (OSError, ValueError, TypeError) as exc:
            # Half-written by a build in progress, or damaged: keep what we knew.
            log.warning("%s could not be read (%s); keeping the articles known before",
                        self.path, exc)
            return
        self._by_key, self._seen = by_key, (stat.st_mtime_ns, stat.st_size)

    def get(self, article_id: str, lang: str) -> dict[str, Any] | None:
        return self.by_key.get(f"{lang}/{article_id}")

    def author(self, article_id: str, lang: str) -> str:
        """The author key of an article in this language, else of any translation."""
        entry = self.get(article_id, lang)
        if entry and entry.get("author"):
            return str(entry["author"])
        for candidate in self.by_key.values():
            if candidate.get("id") == article_id and candidate.get("author"):
                return str(candidate["author"])
        return ""

    def commits(self) -> dict[str, str]:
        return {key: str(e.get("commit") or "") for key, e in self.by_key.items()}
