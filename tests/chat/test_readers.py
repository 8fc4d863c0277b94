"""Anonymous readers over a real server: what they can make the sidecar store, how often they
may ask, and inputs that once crashed a handler (each now a 4xx or a named close code)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.chat import ServerThread, make_settings, open_reader, recv, send
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from chat_server import articles
from chat_server.protocol import READER_IN, Close, ProtocolError, parse
from chat_server.store import Store

ARTICLES = [{"id": "nds/deklaraciya", "lang": "ru", "title": "Декларация", "author": "",
             "url": "/ru/nds/deklaraciya/", "collection": "nds", "commit": "c1"}]


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[ServerThread]:
    site = tmp_path / "site"
    (site / "_data").mkdir(parents=True)
    (site / "_data" / "articles.json").write_text(json.dumps(ARTICLES), encoding="utf-8")
    running = await asyncio.to_thread(ServerThread(make_settings(tmp_path, site_dir=site)).start)
    yield running
    await asyncio.to_thread(running.stop)


def rows(server: ServerThread, table: str) -> int:
    with sqlite3.connect(server.settings.data_dir / "chat.db") as db:
        return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


async def closed_with(ws: ClientConnection) -> int | None:
    """The close code the server ends this socket with (after whatever it sent before)."""
    with pytest.raises(ConnectionClosed) as info:
        while True:
            await recv(ws)
    return info.value.rcvd.code if info.value.rcvd else None


# --- what an anonymous reader can make the sidecar store ------------------------------------
async def test_a_hello_alone_stores_no_reader(server: ServerThread) -> None:
    for _ in range(5):
        ws, welcome = await open_reader(server.ws, name="Аня", context={"page": "/ru/"})
        assert welcome["token"] and welcome["reader_id"].startswith("v_")
        await ws.close()
    assert rows(server, "chat_readers") == 0
    # The token a hello gave is the reader's: their first message stores them under it,
    # with what they said in that hello.
    ws, welcome = await open_reader(server.ws, name="Аня", context={"page": "/ru/nds/"})
    again_ws, again = await open_reader(server.ws, token=welcome["token"])
    assert again["reader_id"] == welcome["reader_id"]
    await again_ws.close()
    await send(ws, "message", client_id="m1", body="Вопрос")
    conversation_id = (await recv(ws, "ack"))["conversation"]["id"]
    assert rows(server, "chat_readers") == 1
    with sqlite3.connect(server.settings.data_dir / "chat.db") as db:
        name, context = db.execute("SELECT name, context FROM chat_readers").fetchone()
    assert name == "Аня" and json.loads(context)["page"] == "/ru/nds/"
    await ws.close()
    # Reconnect and resume: the stored reader, their conversation, the message.
    back, welcome_back = await open_reader(server.ws, token=welcome["token"])
    assert [c["id"] for c in welcome_back["conversations"]] == [conversation_id]
    assert welcome_back["name"] == "Аня"
    await send(back, "resume", conversation_id=conversation_id, after_id=0)
    assert [m["body"] for m in (await recv(back, "history"))["messages"]] == ["Вопрос"]
    await back.close()
    assert rows(server, "chat_readers") == 1


async def test_ratings_only_for_known_articles(server: ServerThread) -> None:
    async with httpx.AsyncClient(base_url=server.http) as client:
        known = await client.post("/api/ratings", json={
            "article_id": "nds/deklaraciya", "lang": "ru", "rating": "happy"})
        assert known.status_code == 200
        for article_id, lang in (("nds/nope", "ru"), ("nds/deklaraciya", "en")):
            unknown = await client.post("/api/ratings", json={
                "article_id": article_id, "lang": lang, "rating": "sad"})
            assert unknown.status_code == 404
            assert unknown.json() == {"error": "unknown_article"}
    assert rows(server, "chat_ratings") == 1
    assert rows(server, "chat_readers") == 0  # a rating needs no reader row


def test_the_manifest_is_read_again_when_the_site_is_rebuilt(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(articles, "RECHECK_SECONDS", 0.0)  # every lookup looks at the file
    manifest = tmp_path / "_data" / "articles.json"
    manifest.parent.mkdir()
    manifest.write_text("[]", encoding="utf-8")
    known = articles.Articles.load(tmp_path)
    assert known.get("nds/deklaraciya", "ru") is None
    manifest.write_text(json.dumps(ARTICLES), encoding="utf-8")  # a new build published it
    assert known.get("nds/deklaraciya", "ru") is not None
    manifest.write_text('[{"id": "half', encoding="utf-8")  # a build writing it right now
    assert known.get("nds/deklaraciya", "ru") is not None, "what was known is kept"


async def test_a_conversation_names_only_a_known_article(server: ServerThread) -> None:
    ws, _ = await open_reader(server.ws)
    await send(ws, "message", client_id="a", body="?",
               article={"id": "made/up", "lang": "ru", "rating": "sad"})
    assert (await recv(ws, "ack"))["conversation"]["article_id"] is None
    await send(ws, "message", client_id="b", body="?",
               article={"id": "nds/deklaraciya", "lang": "ru", "rating": "sad"})
    assert (await recv(ws, "ack"))["conversation"]["article_id"] == "nds/deklaraciya"
    await ws.close()


async def test_availability_is_rate_limited_per_address(server: ServerThread) -> None:
    async with httpx.AsyncClient(base_url=server.http) as client:
        codes = [(await client.get("/api/availability")).status_code for _ in range(40)]
    assert codes[0] == 200 and codes[-1] == 429


# --- inputs that crashed a handler ---------------------------------------------------------
async def test_a_non_ascii_user_hash_is_unauthorized(server: ServerThread) -> None:
    async with connect(server.ws + "/ws/reader") as ws:
        await send(ws, "hello", user_id="user-1", user_hash="хэш" * 10)
        assert await closed_with(ws) == Close.UNAUTHORIZED
    for token in ("токен", "\x00" * 5):
        ws, welcome = await open_reader(server.ws, token=token, link=token)
        assert welcome["conversations"] == []  # not a token: a new reader
        await ws.close()


def deep(levels: int) -> str:
    """JSON text nested `levels` deep (json.dumps itself would hit Python's recursion limit)."""
    return "[" * levels + '"x"' + "]" * levels


@pytest.mark.parametrize("article", [
    '{"id": ' + deep(990) + ', "lang": "ru"}',
    '{"id": "nds/deklaraciya", "lang": ' + deep(990) + "}",
    '{"id": "nds/deklaraciya", "lang": "ru", "rating": {"nested": ' + deep(900) + "}}",
    '{"id": 5, "lang": "ru"}',
])
async def test_a_strange_article_closes_the_socket_as_malformed(
        server: ServerThread, article: str) -> None:
    ws, _ = await open_reader(server.ws)
    await ws.send('{"type": "message", "client_id": "deep", "body": "?", "article": '
                  + article + "}")
    assert await closed_with(ws) == Close.MALFORMED
    assert rows(server, "chat_conversations") == 0
    ws, _ = await open_reader(server.ws)  # and the server carries on
    await send(ws, "ping")
    assert (await recv(ws, "pong"))["type"] == "pong"
    await ws.close()


@pytest.mark.parametrize("frame", [
    {"type": "resume", "conversation_id": 2**63, "after_id": 0},
    {"type": "resume", "conversation_id": 1, "after_id": 2**63},
    {"type": "typing", "conversation_id": 2**63, "typing": True},
    {"type": "read", "conversation_id": 1, "message_id": 2**64 - 1},
    {"type": "email", "conversation_id": 2**31, "email": "a@example.com"},
    {"type": "message", "client_id": "c", "body": "b", "conversation_id": 2**63},
    {"type": "message", "client_id": "c", "body": "b", "conversation_id": -(2**63)},
])
async def test_ids_out_of_range_close_the_socket_as_malformed(
        server: ServerThread, frame: dict[str, Any]) -> None:
    ws, _ = await open_reader(server.ws)
    await ws.send(json.dumps(frame))
    assert await closed_with(ws) == Close.MALFORMED


def test_ids_are_checked_against_the_databases_integer_range() -> None:
    # PostgreSQL keeps conversation and message ids in 32-bit integers.
    for value in (2**31, 2**63, -1):
        with pytest.raises(ProtocolError) as info:
            parse(json.dumps({"type": "read", "conversation_id": value, "message_id": 1}),
                  READER_IN)
        assert info.value.code == Close.MALFORMED
    assert parse(json.dumps({"type": "read", "conversation_id": 2**31 - 1, "message_id": 0}),
                 READER_IN)["conversation_id"] == 2**31 - 1


# --- the store -------------------------------------------------------------------------------
async def test_an_older_database_gains_the_readers_columns(store: Store) -> None:
    from sqlalchemy import inspect, text

    engine = store.engine  # type: ignore[attr-defined]
    async with engine.begin() as conn:
        await conn.execute(text("ALTER TABLE chat_readers DROP COLUMN confirmed_email"))
        await conn.execute(text("ALTER TABLE chat_attachments DROP COLUMN uploader_address"))
        await conn.execute(text("DELETE FROM chat_schema_version WHERE version IN (4, 5)"))
        await conn.execute(text(
            "INSERT INTO chat_readers (id, name, email, attributes, context, created_at, "
            "last_seen) VALUES ('v-old', '', 'typed@example.com', '{}', '{}', 1, 1)"))
    assert await store.migrate() == [4, 5]

    def columns(sync: Any, table: str) -> set[str]:
        return {c["name"] for c in inspect(sync).get_columns(table)}

    async with engine.connect() as conn:
        assert "confirmed_email" in await conn.run_sync(columns, "chat_readers")
        assert "uploader_address" in await conn.run_sync(columns, "chat_attachments")
    # An address left before the step was never confirmed: nothing is carried over.
    assert (await store.get_reader("v-old"))["confirmed_email"] == ""
    await store.update_reader("v-old", confirmed_email="r@example.com")
    assert (await store.get_reader("v-old"))["confirmed_email"] == "r@example.com"
