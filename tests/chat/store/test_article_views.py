"""Article views in the store, on SQLite and PostgreSQL: a counter per article, language and day."""

from __future__ import annotations

import asyncio

from chat_server.store import Store
from chat_server.store.article_views import DAY_MS, day_of
from chat_server.store.migrations import MIGRATIONS


def test_migration_11_is_article_views() -> None:
    assert (11, "article views") in [(version, title) for version, title, _ in MIGRATIONS]


def test_days_are_utc_days() -> None:
    assert day_of(0) == 0 and day_of(DAY_MS - 1) == 0 and day_of(DAY_MS) == 1
    assert day_of(1_764_806_400_000) == 20_426  # 2025-12-04 00:00 UTC


async def test_views_add_up_per_article_language_and_day(store: Store) -> None:
    for _ in range(3):
        await store.count_view("nds/a", "ru", 100)
    await store.count_view("nds/a", "ru", 101)
    await store.count_view("nds/a", "en", 101)
    await store.count_view("nds/b", "ru", 90)  # 11 days before day 101
    popular = await store.popular_articles("ru", since_day=95, limit=10)
    assert popular == [{"article_id": "nds/a", "views": 4}]
    everything = await store.popular_articles("ru", since_day=0, limit=10)
    assert everything == [{"article_id": "nds/a", "views": 4}, {"article_id": "nds/b", "views": 1}]
    assert await store.popular_articles("en", since_day=0, limit=10) == [
        {"article_id": "nds/a", "views": 1}]
    counts = await store.view_counts(since_day=101)
    assert counts == {("ru", "nds/a"): (1, 4), ("en", "nds/a"): (1, 1), ("ru", "nds/b"): (0, 1)}


async def test_popular_is_ordered_by_views_then_id_and_limited(store: Store) -> None:
    for article_id, views in (("c", 2), ("a", 5), ("b", 2), ("d", 1)):
        for _ in range(views):
            await store.count_view(article_id, "ru", 7)
    top = await store.popular_articles("ru", since_day=7, limit=3)
    assert [(row["article_id"], row["views"]) for row in top] == [("a", 5), ("b", 2), ("c", 2)]


async def test_concurrent_first_views_of_a_day_lose_none(store: Store) -> None:
    # Twenty readers open the same article at once: one row for the day, twenty views.
    await asyncio.gather(*(store.count_view("nds/hot", "ru", 5) for _ in range(20)))
    assert await store.popular_articles("ru", since_day=5, limit=1) == [
        {"article_id": "nds/hot", "views": 20}]
