"""Store queries for article views: one counter per article, language and UTC day (mixed into
SqlStore). The counter is all there is: who read, from where, is never written down."""

from __future__ import annotations

from sqlalchemy import Connection, case, func, select, update
from sqlalchemy.exc import IntegrityError

from chat_server.store.base import Record
from chat_server.store.queries import Queries
from chat_server.store.schema import article_views

DAY_MS = 86_400_000


def day_of(ms: int) -> int:
    """The UTC day (days since 1970-01-01) a moment in epoch milliseconds falls on."""
    return ms // DAY_MS


class ArticleViewQueries(Queries):
    async def count_view(self, article_id: str, lang: str, day: int) -> None:
        """Add one view to the article's counter for `day`."""
        v = article_views.c
        key = (v.article_id == article_id, v.lang == lang, v.day == day)

        def write(conn: Connection) -> None:
            bumped = conn.execute(update(article_views).where(*key).values(views=v.views + 1))
            if bumped.rowcount == 0:
                conn.execute(article_views.insert().values(
                    article_id=article_id, lang=lang, day=day, views=1))

        for _attempt in range(2):
            try:
                await self._transaction(write)
                return
            except IntegrityError:  # another process made today's row first: add to it
                continue

    async def popular_articles(self, lang: str, since_day: int, limit: int) -> list[Record]:
        """The most viewed articles of one language from `since_day` on: article_id, views."""
        v = article_views.c
        total = func.sum(v.views).label("views")
        query = (select(v.article_id, total).where(v.lang == lang, v.day >= since_day)
                 .group_by(v.article_id).order_by(total.desc(), v.article_id).limit(limit))
        return [{"article_id": r["article_id"], "views": int(r["views"])}
                for r in await self._all(query)]

    async def view_counts(self, since_day: int) -> dict[tuple[str, str], tuple[int, int]]:
        """Per (lang, article_id): (views from `since_day` on, views ever)."""
        v = article_views.c
        query = select(
            v.lang, v.article_id, func.sum(v.views).label("total"),
            func.sum(case((v.day >= since_day, v.views), else_=0)).label("recent"),
        ).group_by(v.lang, v.article_id)
        return {(r["lang"], r["article_id"]): (int(r["recent"] or 0), int(r["total"] or 0))
                for r in await self._all(query)}
