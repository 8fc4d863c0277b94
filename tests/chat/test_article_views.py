"""Article views and popular articles over a real sidecar: what is counted, what is refused,
the limits (shared through Redis), and the operators' ratings table with views and names."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.chat import REDIS_URL, Operator, ServerThread, reachable
from support.env import require

from chat_server import article_views
from chat_server.store import Store, open_store

SITE = "https://help.example.com"
ARTICLES = [
    {"id": f"nds/a{n}", "lang": "ru", "title": f"Статья {n} <b>", "url": f"/ru/nds/a{n}/",
     "author": "anna", "author_name": "Анна Смирнова", "collection": "nds", "commit": "c1"}
    for n in range(1, 8)
] + [{"id": "nds/a1", "lang": "en", "title": "Article 1", "url": "/en/nds/a1/",
      "author": "anna", "author_name": "Anna Smirnova", "collection": "nds", "commit": "c1"}]


def make_site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    (site / "_data").mkdir(parents=True)
    (site / "_data" / "articles.json").write_text(json.dumps(ARTICLES), encoding="utf-8")
    (site / "index.html").write_text("<h1>home</h1>", encoding="utf-8")
    return site


@pytest.fixture
async def server(tmp_path: Path, start_server: Any) -> ServerThread:
    return await start_server(("anna@example.com", "Анна"), site_dir=make_site(tmp_path))


@pytest.fixture
async def store(server: ServerThread) -> AsyncIterator[Store]:
    """The server's database, opened from the test's own event loop (the server's store
    belongs to the server's thread), to look at what was counted and to add old views."""
    opened = open_store(server.settings.database)
    yield opened
    await opened.close()


async def view(client: httpx.AsyncClient, article_id: str, lang: str = "ru",
               **headers: str) -> httpx.Response:
    # As the page's beacon sends it: JSON as text/plain, a request needing no preflight.
    return await client.post("/api/views", content=json.dumps(
        {"article_id": article_id, "lang": lang}),
        headers={"Content-Type": "text/plain;charset=UTF-8", **headers})


async def test_a_view_is_counted_with_nothing_about_the_reader(
        server: ServerThread, store: Store) -> None:
    async with httpx.AsyncClient(base_url=server.http) as client:
        counted = await view(client, "nds/a1", Origin=SITE, Cookie="chat_reader=someone")
        assert counted.status_code == 202
        assert counted.headers["access-control-allow-origin"] == SITE
        assert "set-cookie" not in counted.headers
        await view(client, "nds/a1")
        await view(client, "nds/a1", "en")
    assert await store.view_counts(0) == {("ru", "nds/a1"): (2, 2), ("en", "nds/a1"): (1, 1)}


async def test_junk_views_are_refused_and_not_stored(
        server: ServerThread, store: Store) -> None:
    async with httpx.AsyncClient(base_url=server.http) as client:
        assert (await view(client, "nds/made-up")).status_code == 404
        assert (await view(client, "nds/a1", "de")).status_code == 400
        assert (await view(client, "nds/a2", "en")).status_code == 404  # no such translation
        assert (await client.post("/api/views", content="[1, 2]")).status_code == 400
        assert (await client.post("/api/views", content="{")).status_code == 400
        assert (await client.post("/api/views", content="x" * 5000)).status_code == 413
        evil = await view(client, "nds/a1", Origin="https://evil.example")
        assert evil.status_code == 403 and "access-control-allow-origin" not in evil.headers
        preflight = await client.options("/api/views", headers={
            "Origin": SITE, "Access-Control-Request-Method": "POST"})
        assert preflight.status_code == 204
    assert await store.view_counts(0) == {}


async def test_views_are_rate_limited_per_address(
        server: ServerThread, store: Store) -> None:
    async with httpx.AsyncClient(base_url=server.http) as client:
        codes = [(await view(client, "nds/a1")).status_code for _ in range(40)]
    assert codes[0] == 202 and codes[-1] == 429
    counted = (await store.view_counts(0))[("ru", "nds/a1")][1]
    assert counted == codes.count(202) < 40


async def test_two_sidecars_on_one_redis_share_the_views_limit(
        tmp_path: Path, start_server: Any) -> None:
    require(reachable(REDIS_URL, 6379), f"Redis is not reachable at {REDIS_URL}")
    shared = {"site_dir": make_site(tmp_path), "broker_url": REDIS_URL,
              "broker_prefix": f"chat-test-{uuid.uuid4().hex[:8]}:"}
    first, second = await start_server(**shared), await start_server(**shared)
    async with httpx.AsyncClient() as client:
        codes = []
        for n in range(80):
            target = first if n % 2 else second
            codes.append((await client.post(f"{target.http}/api/views", json={
                "article_id": "nds/a1", "lang": "ru"})).status_code)
    # One budget of 30 (plus what refills during the test), not 30 in each process.
    assert 30 <= codes.count(202) < 45, codes


async def test_popular_lists_the_most_read_as_titles_and_urls(
        server: ServerThread, store: Store) -> None:
    reads = {"nds/a1": 2, "nds/a2": 6, "nds/a3": 4, "nds/a4": 5, "nds/a5": 3, "nds/a6": 3,
             "nds/a7": 7}
    today = article_views.today()
    async with httpx.AsyncClient(base_url=server.http) as client:
        for article_id, count in reads.items():
            for _ in range(count):
                await store.count_view(article_id, "ru", today)
        # Views older than 30 days do not count: a1 was popular last season.
        for _ in range(50):
            await store.count_view("nds/a1", "ru", today - article_views.WINDOW_DAYS)
        answer = await client.get("/api/popular?lang=ru", headers={"Origin": SITE})
        assert answer.status_code == 200
        assert answer.headers["access-control-allow-origin"] == SITE
        assert "max-age=60" in answer.headers["cache-control"]
        listed = answer.json()["articles"]
        assert [a["id"] for a in listed] == ["nds/a7", "nds/a2", "nds/a4", "nds/a3", "nds/a5"]
        assert listed[0] == {"id": "nds/a7", "title": "Статья 7 <b>", "url": "/ru/nds/a7/"}
        # Fewer than three articles with three views or more: no block on the English home.
        for _ in range(9):
            await store.count_view("nds/a1", "en", today)
        assert (await client.get("/api/popular?lang=en")).json() == {"articles": []}
        assert (await client.get("/api/popular?lang=de")).status_code == 400
        assert (await client.get("/api/popular")).status_code == 400


async def test_popular_is_cached_briefly(
        server: ServerThread, store: Store) -> None:
    today = article_views.today()
    async with httpx.AsyncClient(base_url=server.http) as client:
        for article_id in ("nds/a1", "nds/a2", "nds/a3"):
            for _ in range(3):
                await store.count_view(article_id, "ru", today)
        first = (await client.get("/api/popular?lang=ru")).json()["articles"]
        for _ in range(10):
            await store.count_view("nds/a3", "ru", today)
        again = (await client.get("/api/popular?lang=ru")).json()["articles"]
        assert again == first  # within a minute the same answer, the database not asked
        popular: article_views.Popular = server.app.state.popular
        popular._cache.clear()  # a minute later
        later = (await client.get("/api/popular?lang=ru")).json()["articles"]
        assert [a["id"] for a in later] == ["nds/a3", "nds/a1", "nds/a2"]


async def test_operators_see_views_and_authors_names_beside_ratings(
        server: ServerThread, store: Store) -> None:
    async with httpx.AsyncClient(base_url=server.http) as client:
        for _ in range(3):
            await view(client, "nds/a1")
        await view(client, "nds/a2")
        await view(client, "nds/a1", "en")
        rated = await client.post("/api/ratings", json={
            "article_id": "nds/a1", "lang": "ru", "rating": "happy", "commit": "c1"})
        assert rated.status_code == 200
    await store.count_view("nds/a2", "ru", article_views.today() - 40)  # long ago
    anna = await Operator.login(server, "anna@example.com")
    try:
        rows = (await anna.client.get("/api/operator/ratings")).json()["ratings"]
    finally:
        await anna.close()
    shown = [(r["lang"], r["article_id"], r["total"], r["views_30d"], r["views_total"],
              r["author_name"]) for r in rows]
    assert shown == [
        ("ru", "nds/a1", 1, 3, 3, "Анна Смирнова"),  # rated first
        # then read but unrated: most read in 30 days first, then most read ever
        ("ru", "nds/a2", 0, 1, 2, "Анна Смирнова"),
        ("en", "nds/a1", 0, 1, 1, "Anna Smirnova"),
    ]
    assert rows[0]["author"] == "anna" and rows[0]["title"] == "Статья 1 <b>"
