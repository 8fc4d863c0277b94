"""Ratings and failed searches over a real server: limits, CORS, routing to the author."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.chat import Operator, ServerThread, manifest_site, open_reader, recv, send

from chat_server.failed_searches import normalise, page_path

ARTICLES = [
    {"id": "nds/deklaraciya", "lang": "ru", "title": "Декларация по НДС",
     "url": "/ru/nds/deklaraciya/", "author": "anna", "collection": "nds", "commit": "c2"},
    {"id": "nds/deklaraciya", "lang": "en", "title": "VAT return",
     "url": "/en/nds/deklaraciya/", "author": "", "collection": "nds", "commit": "c2"},
    {"id": "nds/orphan", "lang": "ru", "title": "Без автора", "url": "/ru/nds/orphan/",
     "author": "", "collection": "nds", "commit": "c1"},
]
SITE = "https://help.example.com"


@pytest.fixture
async def server(tmp_path: Path, start_server: Any) -> ServerThread:
    site = manifest_site(tmp_path, ARTICLES)
    return await start_server(("anna@example.com", "Анна"), ("igor@example.com", "Игорь"),
                              site_dir=site)


async def test_ratings_one_per_reader_and_stats(server: ServerThread) -> None:
    async with httpx.AsyncClient(base_url=server.http) as client:
        first = await client.post("/api/ratings", json={
            "article_id": "nds/deklaraciya", "lang": "ru", "rating": "happy", "commit": "c1"},
            headers={"Origin": SITE})
        assert first.status_code == 200
        assert first.headers["access-control-allow-origin"] == SITE
        token = first.json()["token"]
        # The same reader changes their mind: replaced, not added. Sent as sendBeacon does.
        changed = await client.post("/api/ratings", content=json.dumps({
            "article_id": "nds/deklaraciya", "lang": "ru", "rating": "sad", "commit": "c2",
            "token": token}), headers={"Content-Type": "text/plain;charset=UTF-8"})
        assert changed.json() == {"rating": "sad", "token": token}
        await client.post("/api/ratings", json={
            "article_id": "nds/deklaraciya", "lang": "ru", "rating": "happy", "commit": "c1"})
        for bad in ({"article_id": "x", "lang": "de", "rating": "sad"},
                    {"article_id": "x", "lang": "ru", "rating": "angry"},
                    {"lang": "ru", "rating": "sad"}, [1, 2]):
            assert (await client.post("/api/ratings", json=bad)).status_code == 400
        too_big = await client.post("/api/ratings", content="x" * 5000)
        assert too_big.status_code == 413
        evil = await client.post("/api/ratings", json={}, headers={"Origin": "https://evil.example"})
        assert evil.status_code == 403 and "access-control-allow-origin" not in evil.headers
        preflight = await client.options("/api/ratings", headers={
            "Origin": SITE, "Access-Control-Request-Method": "POST"})
        assert preflight.status_code == 204
    anna = await Operator.login(server, "anna@example.com")
    stats = (await anna.client.get("/api/operator/ratings")).json()["ratings"]
    assert len(stats) == 1
    entry = stats[0]
    assert (entry["total"], entry["happy"], entry["sad"]) == (2, 1, 1)
    assert entry["title"] == "Декларация по НДС" and entry["author"] == "anna"
    assert entry["since_change_total"] == 1 and entry["sad_share"] == 1.0
    await anna.close()


async def test_public_endpoints_are_rate_limited(server: ServerThread) -> None:
    async with httpx.AsyncClient(base_url=server.http) as client:
        codes = [(await client.post("/api/failed-searches", json={
            "lang": "ru", "query": f"q{n}", "page": "/ru/"})).status_code for n in range(40)]
    assert codes[0] == 202 and 429 in codes


async def test_a_sad_rating_starts_a_conversation_assigned_to_the_author(
    server: ServerThread,
) -> None:
    anna = await Operator.login(server, "anna@example.com")
    anna_ws = await anna.socket()
    await recv(anna_ws, "welcome")
    reader, _ = await open_reader(server.ws)
    await send(reader, "message", client_id="sad1", body="Устаревшие сроки",
               article={"id": "nds/deklaraciya", "lang": "ru", "rating": "sad"})
    ack = await recv(reader, "ack")
    assert ack["conversation"]["rating"] == "sad"
    seen = await recv(anna_ws, "message")
    assert seen["conversation"]["assignee_id"] == anna.me["id"]
    assert seen["conversation"]["article_id"] == "nds/deklaraciya"
    mine = (await anna.client.get("/api/operator/inbox?view=mine")).json()
    assert [c["id"] for c in mine["conversations"]] == [ack["conversation"]["id"]]
    # An article without an author goes to the default group, unassigned.
    await send(reader, "message", client_id="sad2", body="Ошибка",
               article={"id": "nds/orphan", "lang": "ru", "rating": "sad"})
    orphan = await recv(reader, "ack")
    detail = (await anna.client.get(
        f"/api/operator/conversations/{orphan['conversation']['id']}")).json()
    assert detail["conversation"]["assignee_id"] is None
    assert detail["conversation"]["group_name"] == "support"
    await reader.close()
    await anna_ws.close()
    await anna.close()


def test_queries_are_normalised() -> None:
    assert normalise("  Вычет   НДФЛ?! ") == "вычет ндфл"
    assert normalise("«Ёлка»") == "елка"
    assert normalise("ＶＡＴ") == "vat"
    assert page_path("https://help.example.com/ru/nds/?q=secret#x") == "/ru/nds/"


async def test_failed_searches_backlog_and_csv(server: ServerThread) -> None:
    async with httpx.AsyncClient(base_url=server.http) as client:
        for query in ("Вычет НДФЛ", "вычет  ндфл?", "=HYPERLINK(\"http://x\")"):
            response = await client.post("/api/failed-searches", json={
                "lang": "ru", "query": query, "page": "/ru/?q=private"},
                headers={"Origin": SITE})
            assert response.status_code == 202
        assert (await client.post("/api/failed-searches", json={
            "lang": "ru", "query": " "})).status_code == 400
        assert (await client.get("/")).text == "<h1>home</h1>"  # the site is served too
    anna = await Operator.login(server, "anna@example.com")
    rows = (await anna.client.get("/api/operator/failed-searches?lang=ru")).json()
    rows = rows["failed_searches"]
    assert [(r["query"], r["count"]) for r in rows][0] == ("вычет ндфл", 2)
    assert rows[0]["pages"] == ["/ru/"]
    exported = (await anna.client.get("/api/operator/failed-searches?format=csv")).text
    table = list(csv.reader(io.StringIO(exported)))
    assert table[0][:3] == ["lang", "query", "count"]
    assert any(row[1].startswith("'=hyperlink") for row in table[1:])  # no formula injection
    answered = await anna.post(f"/api/operator/failed-searches/{rows[0]['id']}/answer",
                               article_id="nds/deklaraciya")
    assert answered.status_code == 200
    left = (await anna.client.get("/api/operator/failed-searches?lang=ru")).json()
    assert "вычет ндфл" not in [r["query"] for r in left["failed_searches"]]
    await anna.close()
