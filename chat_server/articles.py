"""The site's article manifest (`site/_data/articles.json`), written by the builder."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Articles:
    by_key: dict[str, dict[str, Any]] = field(default_factory=dict)  # "lang/id" -> entry

    @classmethod
    def load(cls, site_dir: Path | None) -> Articles:
        if site_dir is None:
            return cls()
        path = site_dir / "_data" / "articles.json"
        try:
            entries = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            log.warning("%s not found: ratings are not matched to authors", path)
            return cls()
        return cls({f"{e['lang']}/{e['id']}": e for e in entries if "id" in e and "lang" in e})

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
