"""`python -m chat_server backup|restore`: a copy taken while the sidecar writes is one
consistent moment; restored into a fresh store, the conversations, messages and operators
are there; a wrong target or file is refused with a clear error and nothing changes."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from support.chat import PG_URL, open_reader, pg_schema, reachable, recv, send
from support.env import ROOT, require
from websockets.asyncio.client import ClientConnection

from chat_server.store import Store, open_store


def write_config(folder: Path, data_dir: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "config.yml"
    config.write_text(f"site:\n  title: Help\nlanguages: [ru]\nchat:\n  data_dir: {data_dir}\n",
                      encoding="utf-8")
    return config


def cli(config: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CHAT_")}
    return subprocess.run([sys.executable, "-m", "chat_server", "--config", str(config), *args],
                          cwd=ROOT, env={**clean, "CHAT_SECRET_KEY": "k", **env},
                          capture_output=True, text=True, timeout=120, check=False)


async def keep_writing(reader: ClientConnection, acked: list[int], stop: asyncio.Event) -> None:
    """Messages as fast as a socket may send them (5 frames a second), each acknowledged."""
    await send(reader, "message", client_id="c0", body="Первое сообщение")
    conversation_id = (await recv(reader, "ack"))["conversation"]["id"]
    n = 0
    while not stop.is_set():
        n += 1
        await send(reader, "message", client_id=f"c{n}", body=f"Сообщение {n}",
                   conversation_id=conversation_id)
        acked.append((await recv(reader, "ack"))["message"]["id"])
        await asyncio.sleep(0.21)


async def contents(store: Store) -> dict[str, Any]:
    operators = await store.list_operators()
    conversations = await store.inbox("all", operators[0]["id"], limit=1000)
    messages = {c["id"]: await store.messages_after(c["id"], internal=True, limit=100_000)
                for c in conversations}
    return {"operators": [o["email"] for o in operators], "conversations": conversations,
            "messages": messages}


async def test_sqlite_backup_while_the_sidecar_writes_restores_whole(
        tmp_path: Path, start_server: Any) -> None:
    server = await start_server(("anna@example.com", "Анна", ("support",)))
    readers = [(await open_reader(server.ws))[0] for _ in range(4)]
    acked: list[int] = []
    stop = asyncio.Event()
    writing = [asyncio.create_task(keep_writing(r, acked, stop)) for r in readers]
    while len(acked) < 8:
        await asyncio.sleep(0.02)
    made = await asyncio.to_thread(cli, write_config(tmp_path / "live", tmp_path),
                                   "backup", "--to", str(tmp_path / "chat.backup"))
    written_during = len(acked)
    await asyncio.sleep(0.5)
    stop.set()
    await asyncio.gather(*writing)
    for reader in readers:
        await reader.close()
    assert made.returncode == 0, made.stderr
    assert "backed up to" in made.stdout
    assert len(acked) > written_during  # the sidecar went on writing after the copy

    fresh = tmp_path / "fresh"
    restored = await asyncio.to_thread(cli, write_config(tmp_path / "cfg2", fresh),
                                       "restore", "--from", str(tmp_path / "chat.backup"))
    assert restored.returncode == 0, restored.stderr
    store = open_store(f"sqlite:///{fresh / 'chat.db'}")
    try:
        got = await contents(store)
    finally:
        await store.close()
    assert got["operators"] == ["anna@example.com"]
    assert len(got["conversations"]) == len(readers)
    copied: set[int] = set()
    for conversation in got["conversations"]:
        ids = [m["id"] for m in got["messages"][conversation["id"]]]
        # One moment: each conversation's row and its messages agree.
        assert ids and ids[-1] == conversation["last_message_id"]
        copied.update(ids[1:])
    # Every message acknowledged before the copy began is in it; it holds no other.
    assert copied <= set(acked) and len(copied) >= 8


async def test_a_store_in_use_and_wrong_files_are_refused(tmp_path: Path) -> None:
    live = tmp_path / "live"
    live.mkdir()
    store = open_store(f"sqlite:///{live / 'chat.db'}")
    await store.migrate()
    await store.add_operator("anna@example.com", "Анна", "x")
    await store.close()
    config = write_config(tmp_path / "cfg", live)
    assert cli(config, "backup", "--to", str(tmp_path / "a.backup")).returncode == 0

    into_live = cli(config, "restore", "--from", str(tmp_path / "a.backup"))
    assert into_live.returncode == 1
    assert "already holds a chat store (1 operators)" in into_live.stderr

    (tmp_path / "taken").write_bytes(b"keep me")
    over = cli(config, "backup", "--to", str(tmp_path / "taken"))
    assert over.returncode == 1 and "already exists" in over.stderr
    assert (tmp_path / "taken").read_bytes() == b"keep me"

    notes = tmp_path / "notes.txt"
    notes.write_text("hello", encoding="utf-8")
    fresh = write_config(tmp_path / "cfg2", tmp_path / "fresh")
    bad = cli(fresh, "restore", "--from", str(notes))
    assert bad.returncode == 1 and "is not a backup of the chat store" in bad.stderr
    missing = cli(fresh, "restore", "--from", str(tmp_path / "nowhere.backup"))
    assert missing.returncode == 1 and "cannot read" in missing.stderr

    to_pg = cli(fresh, "restore", "--from", str(tmp_path / "a.backup"),
                CHAT_DATABASE_URL="postgresql://nobody@127.0.0.1:1/none")
    assert to_pg.returncode == 1
    assert "is a SQLite backup, but the store is PostgreSQL" in to_pg.stderr
    assert not (tmp_path / "fresh" / "chat.db").exists()

    store = open_store(f"sqlite:///{live / 'chat.db'}")
    try:
        assert [o["email"] for o in await store.list_operators()] == ["anna@example.com"]
    finally:
        await store.close()


@pytest.fixture
async def pg_source() -> Any:
    require(reachable(PG_URL, 5432), f"PostgreSQL is not reachable at {PG_URL}")
    schema = f"chat_backup_{uuid.uuid4().hex[:10]}"
    await pg_schema("create", schema)
    store = open_store(PG_URL, schema=schema)
    await store.migrate()
    try:
        yield store, schema
    finally:
        await store.close()
        await pg_schema("drop", schema)


async def pg_database(action: str, name: str) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    url = make_url(PG_URL)
    conn = await asyncpg.connect(host=url.host, port=url.port or 5432, user=url.username,
                                 password=url.password, database=url.database)
    try:
        if action == "create":
            await conn.execute(f'CREATE DATABASE "{name}"')
        else:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def test_postgresql_backup_restores_into_a_new_database(
        tmp_path: Path, pg_source: tuple[Store, str]) -> None:
    source, schema = pg_source
    anna = await source.add_operator("anna@example.com", "Анна", "x", ("support",))
    await source.ensure_reader("reader-1")
    conversation, _, _ = await source.start_conversation("reader-1", "c1", "Где мой чек?")
    await source.post_message(conversation["id"], "operator", str(anna["id"]), "Сейчас найду")
    await source.post_message(conversation["id"], "operator", str(anna["id"]), "заметка",
                              internal=True)
    before = await contents(source)
    config = write_config(tmp_path / "cfg", tmp_path / "data")
    env = {"CHAT_DATABASE_URL": PG_URL, "CHAT_DATABASE_SCHEMA": schema}
    made = cli(config, "backup", "--to", str(tmp_path / "pg.dump"), **env)
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "pg.dump").read_bytes().startswith(b"PGDMP")  # custom format

    refused = cli(config, "restore", "--from", str(tmp_path / "pg.dump"), **env)
    assert refused.returncode == 1 and "already holds a chat store" in refused.stderr
    into_sqlite = cli(config, "restore", "--from", str(tmp_path / "pg.dump"))
    assert into_sqlite.returncode == 1
    assert "is a PostgreSQL dump, but the store is SQLite" in into_sqlite.stderr

    database = f"chat_restore_{uuid.uuid4().hex[:10]}"
    await pg_database("create", database)
    try:
        new_url = PG_URL.rsplit("/", 1)[0] + "/" + database
        restored = cli(config, "restore", "--from", str(tmp_path / "pg.dump"),
                       CHAT_DATABASE_URL=new_url, CHAT_DATABASE_SCHEMA=schema)
        assert restored.returncode == 0, restored.stderr
        store = open_store(new_url, schema=schema)
        try:
            assert await contents(store) == before
            # The restored store takes new writes: its id sequences came along.
            message, _, _ = await store.post_message(conversation["id"], "reader", "reader-1",
                                                     "Спасибо")
            assert message["id"] > max(m["id"] for m in before["messages"][conversation["id"]])
        finally:
            await store.close()
    finally:
        await pg_database("drop", database)
