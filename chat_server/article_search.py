"""The help center's own search, for an operator answering with an article.

It reads the indexes the build wrote for the site's search box (`_search/<lang>/index.json`
and `body.json`, lunr.js format) with lunr.py and asks them with the same terms
(builder.search.words): each query word as its stem, also as a prefix (a word being typed)
and, when long enough, with one typo. A document's two scores add up, as in the browser.
Indexes are read on the first search of a language and again when a build changed them.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from lunr.index import Index
from lunr.query import Query

import builder.search.lunr_index  # noqa: F401  registers the indexes' "hc-term" pipeline
from builder.search.words import STOP_WORDS, stem, tokenize

log = logging.getLogger(__name__)

MAX_QUERY_WORDS = 12
FUZZY_FROM = 5  # words this long may have one typo


@dataclass
class _Loaded:
    seen: tuple[int, int]
    head: Index
    body: Index
    rows: list[list[Any]]  # kind ("a" article, "c" collection), url, title, heading, path
    paths: list[str]  # collection paths ("НДС › Вычеты по НДС") rows name by number


class ArticleSearch:
    def __init__(self, site_dir: Path | None, base_url: str) -> None:
        self.site_dir = site_dir
        self.base_url = base_url.rstrip("/") + "/" if base_url else ""
        self._loaded: dict[str, _Loaded] = {}
        self._lock = asyncio.Lock()

    async def search(self, lang: str, text: str, limit: int = 8) -> list[dict[str, str]]:
        words = [w for w in tokenize(text) if w not in STOP_WORDS][:MAX_QUERY_WORDS]
        if not words or self.site_dir is None:
            return []
        loaded = await self._indexes(lang)
        if loaded is None:
            return []
        return await asyncio.to_thread(self._ask, loaded, words, limit)

    async def _indexes(self, lang: str) -> _Loaded | None:
        assert self.site_dir is not None
        folder = self.site_dir / "_search" / lang
        if not lang.isalpha() or not (folder / "body.json").is_file():
            return None
        stat = (folder / "body.json").stat()
        seen = (stat.st_mtime_ns, stat.st_size)
        async with self._lock:
            known = self._loaded.get(lang)
            if known is None or known.seen != seen:
                try:
                    known = await asyncio.to_thread(_load, folder, seen)
                except (OSError, ValueError, KeyError) as exc:  # a build writing it now
                    log.warning("search index %s could not be read (%s)", folder, exc)
                    return known
                self._loaded[lang] = known
            return known

    def _ask(self, loaded: _Loaded, words: list[str], limit: int) -> list[dict[str, str]]:
        scores: dict[str, float] = {}
        for index in (loaded.head, loaded.body):
            for hit in index.query(_query(index, words)):
                scores[hit["ref"]] = scores.get(hit["ref"], 0.0) + hit["score"]
        ranked = sorted(scores.items(), key=lambda pair: -pair[1])
        results: list[dict[str, str]] = []
        seen_urls: set[str] = set()
        for ref, _score in ranked:
            kind, url, title, heading, path, _source = loaded.rows[int(ref)][:6]
            page = url.split("#")[0]
            if kind != "a" or page in seen_urls:
                continue
            seen_urls.add(page)
            collection = loaded.paths[path] if isinstance(path, int) and path < len(
                loaded.paths) else ""
            results.append({"title": title, "heading": heading or "", "collection": collection,
                            "url": urljoin(self.base_url, url) if self.base_url else url})
            if len(results) == limit:
                break
        return results


def _query(index: Index, words: list[str]) -> Query:
    query = index.create_query()
    for word in words:
        term = stem(word)
        query.term(term, use_pipeline=False, boost=10)
        query.term(word, use_pipeline=False, wildcard=Query.WILDCARD_TRAILING, boost=3)
        if len(word) >= FUZZY_FROM:
            query.term(term, use_pipeline=False, edit_distance=1, boost=1)
    return query


def _load(folder: Path, seen: tuple[int, int]) -> _Loaded:
    head = json.loads((folder / "index.json").read_text(encoding="utf-8"))
    body = json.loads((folder / "body.json").read_text(encoding="utf-8"))
    return _Loaded(seen, Index.load(head["index"]), Index.load(body["index"]),
                   list(head["docs"]) + list(body["docs"]), list(head.get("paths", [])))
