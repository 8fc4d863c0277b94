"""Store queries for article ratings and failed searches (mixed into SqlStore)."""

from __future__ import annotations

import json
import time
from typing import TypeVar

from sqlalchemy import Connection, case, func, select, update
from sqlalchemy.exc import IntegrityError

from chat_server.store.base import Record
from chat_server.store.queries import Queries
from chat_server.store.schema import failed_searches, ratings

MAX_PAGES_KEPT = 20  # enough for a writer to see where people search from
T = TypeVar("T")


class FeedbackQueries(Queries):
    async def rate(
        self, article_id: str, lang: str, reader_id: str, rating: str, commit: str
    ) -> Record:
        """One rating per reader per article: a second rating replaces the first."""
        stamp = int(time.time() * 1000)
        key = (ratings.c.article_id == article_id, ratings.c.reader_id == reader_id)
        values = {"lang": lang, "rating": rating, "commit": commit, "updated_at": stamp}

        def write(conn: Connection) -> None:
            if conn.execute(update(ratings).where(*key).values(values)).rowcount == 0:
                conn.execute(ratings.insert().values(
                    article_id=article_id, reader_id=reader_id, created_at=stamp, **values))

        for _attempt in range(2):
            try:
                await self._transaction(write)
                break
            except IntegrityError:  # a concurrent first rating: the retry updates it
                continue
        found = await self._one(select(ratings).where(*key))
        assert found is not None
        return found

    async def rating_stats(self, commits: dict[str, str]) -> list[Record]:
        """Per article and language: counts, and the sad share since its current commit."""
        r = ratings.c
        query = select(
            r.article_id, r.lang, r.commit, func.count().label("total"),
            *(func.sum(case((r.rating == name, 1), else_=0)).label(name)
              for name in ("happy", "neutral", "sad")),
        ).group_by(r.article_id, r.lang, r.commit)
        stats: dict[tuple[str, str], Record] = {}
        for row in await self._all(query):
            key = (row["article_id"], row["lang"])
            entry = stats.setdefault(key, {
                "article_id": key[0], "lang": key[1], "total": 0, "happy": 0, "neutral": 0,
                "sad": 0, "since_change_total": 0, "since_change_sad": 0,
                "commit": commits.get(f"{key[1]}/{key[0]}", ""),
            })
            for name in ("total", "happy", "neutral", "sad"):
                entry[name] += int(row[name] or 0)
            # Without a known commit every rating counts as "since the last change".
            if not entry["commit"] or row["commit"] == entry["commit"]:
                entry["since_change_total"] += int(row["total"])
                entry["since_change_sad"] += int(row["sad"] or 0)
        result = []
        for entry in stats.values():
            total = entry["since_change_total"]
            entry["sad_share"] = round(entry["since_change_sad"] / total, 3) if total else 0.0
            result.append(entry)
        result.sort(key=lambda e: (-e["sad_share"], -e["total"], e["article_id"], e["lang"]))
        return result

    async def record_failed_search(self, lang: str, query: str, page: str) -> Record:
        stamp = int(time.time() * 1000)
        key = (failed_searches.c.lang == lang, failed_searches.c.query == query)

        def write(conn: Connection) -> None:
            # FOR UPDATE serialises concurrent reports of one query on PostgreSQL so no
            # page is lost from the list; SQLite has a single writer anyway.
            row = conn.execute(
                select(failed_searches).where(*key).with_for_update()).mappings().first()
            if row is None:
                conn.execute(failed_searches.insert().values(
                    lang=lang, query=query, count=1, first_seen=stamp, last_seen=stamp,
                    pages=json.dumps([page] if page else [], ensure_ascii=False)))
                return
            pages = [p for p in json.loads(row["pages"]) if p != page]
            if page:
                pages.append(page)
            conn.execute(update(failed_searches).where(*key).values(
                count=failed_searches.c.count + 1, last_seen=stamp,
                pages=json.dumps(pages[-MAX_PAGES_KEPT:], ensure_ascii=False)))

        for _attempt in range(2):
            try:
                await self._transaction(write)
                break
            except IntegrityError:
                continue
        found = await self._one(select(failed_searches).where(*key))
        assert found is not None
        return _decode(found)

    async def failed_searches(
        self, lang: str | None = None, answered: bool = False, limit: int = 1000
    ) -> list[Record]:
        f = failed_searches.c
        query = select(failed_searches)
        if lang:
            query = query.where(f.lang == lang)
        if not answered:
            query = query.where(f.answered_by.is_(None))
        query = query.order_by(f.count.desc(), f.last_seen.desc(), f.id).limit(limit)
        return [_decode(r) for r in await self._all(query)]

    async def answer_failed_search(self, search_id: int, article_id: str | None) -> bool:
        query = update(failed_searches).where(failed_searches.c.id == search_id).values(
            answered_by=article_id or None)
        return await self._transaction(lambda conn: conn.execute(query).rowcount == 1)


def _decode(record: Record) -> Record:
    if isinstance(record.get("pages"), str):
        record["pages"] = json.loads(record["pages"])
    return record
