"""Retention (chat.retention, `python -m chat_server retention`): conversations older than N
days are deleted or anonymised on SQLite and PostgreSQL, with their search-index rows and
attachment files; readers with nothing left go; newer conversations stay as they were; the
running sidecar does it by itself, once a day across processes."""

from __future__ import annotations

import asyncio
import datetime
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import redis.asyncio
from sqlalchemy import update
from support.chat import (
    REDIS_URL,
    free_port,
    reachable,
    start_subprocess,
    stop_subprocess,
    write_config,
)
from support.env import ROOT, require

from chat_server import retention
from chat_server.runtime import DayClaim
from chat_server.store import Store, open_store
from chat_server.store import schema as t
from chat_server.store.conversation_search import SearchFilters
from chat_server.store.search_index import FTS_TABLE, message_terms

DAY_MS = 24 * 3600 * 1000
OLD = "old-reader-0000000000000000000000000001"
NEW = "new-reader-0000000000000000000000000001"
KEPT = "kept-reader-000000000000000000000000001"
SECRET = "89161234567"  # the old reader's phone, typed into a message


def now_ms() -> int:
    return int(time.time() * 1000)


async def run_sql(store: Store, *statements: Any) -> None:
    def write(conn: Any) -> None:
        for statement in statements:
            conn.execute(statement)

    await store._transaction(write)  # type: ignore[attr-defined]


async def seed(store: Store, data_dir: Path) -> dict[str, Any]:
    """An old conversation full of personal data, one of a reader with an open reminder, and
    a recent one; the old ones' activity moved 400 days back."""
    anna = await store.add_operator("anna@example.com", "Анна", "x", ("support",))
    op = str(anna["id"])
    await store.ensure_reader(OLD)
    await store.update_reader(OLD, name="Ольга Петрова", email="olga@example.com",
                              attributes={"plan": "pro"}, context={"page": "/ru/nds/"})
    old, _, _ = await store.start_conversation(
        OLD, "c0", f"Мой телефон {SECRET}, верните оплату", context={"page": "/ru/nds/"},
        email="olga@example.com")
    # More than MOVE_EVERY messages: some search rows sit in FTS5, some in the recent table.
    for n in range(140):
        author = ("reader", OLD) if n % 2 else ("operator", op)
        await store.post_message(old["id"], *author, f"Ольга, про оплату {n}", client_id=f"m{n}")
    await store.post_message(old["id"], "operator", op, "Ольга звонила про возврат",
                             internal=True)
    (data_dir / "attachments").mkdir(parents=True, exist_ok=True)
    (data_dir / "attachments" / "att0000001").write_bytes(b"\x89PNG scan of a passport")
    await store.add_attachment({"id": "att0000001", "conversation_id": old["id"],
                                "uploader_kind": "reader", "uploader_id": OLD,
                                "name": "паспорт.png", "content_type": "image/png", "size": 24,
                                "uploader_address": "hash-of-an-address"})
    await store.post_message(old["id"], "reader", OLD, "вот скан", attachment_id="att0000001")
    await store.set_conversation_tags(old["id"], ["billing"], anna["id"])
    await store.add_action(old["id"], "closed", anna["id"], {"note": "Ольга довольна"})
    await store.add_customer_note(OLD, anna["id"], "Ольга Петрова, VIP")
    await store.rate("nds/deklaraciya", "ru", OLD, "sad", "abc")

    await store.ensure_reader(KEPT)
    kept, _, _ = await store.start_conversation(KEPT, "k0", "Старый вопрос")
    reminder = await store.add_reminder(reader_id=KEPT, conversation_id=kept["id"],
                                        owner_id=anna["id"], created_by=anna["id"],
                                        due_at=now_ms() + DAY_MS, note="позвонить")
    await store.ensure_reader(NEW)
    new, _, _ = await store.start_conversation(NEW, "n0", "Где мой чек?")

    long_ago = now_ms() - 400 * DAY_MS
    c, r = t.conversations.c, t.readers.c
    await run_sql(store,
                  update(t.conversations).where(c.id.in_([old["id"], kept["id"]]))
                  .values(created_at=long_ago, updated_at=long_ago),
                  update(t.readers).where(r.id.in_([OLD, KEPT])).values(last_seen=long_ago))
    return {"old": old["id"], "kept": kept["id"], "new": new["id"], "reminder": reminder["id"],
            "operator": anna["id"]}


async def found(store: Store, words: str) -> int:
    return (await store.search_conversations(SearchFilters(q=words)))[1]


async def index_holds(store: Store, word: str) -> bool:
    """Whether SQLite's FTS5 table itself still has the word (not only the joined search)."""
    if not store.is_sqlite:  # type: ignore[attr-defined]
        return False
    async with store.engine.connect() as conn:  # type: ignore[attr-defined]
        rows = await conn.exec_driver_sql(
            f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ?", (message_terms(word),))
        return bool(rows.all())


async def fts_intact(store: Store) -> None:
    if store.is_sqlite:  # type: ignore[attr-defined]
        await store._transaction(lambda conn: conn.exec_driver_sql(  # type: ignore[attr-defined]
            f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}) VALUES ('integrity-check')"))


async def untouched_recent(store: Store, ids: dict[str, Any]) -> None:
    conversation = await store.get_conversation(ids["new"])
    assert conversation is not None and conversation["reader_id"] == NEW
    [message] = await store.messages_after(ids["new"])
    assert message["body"] == "Где мой чек?"
    assert await found(store, "чек") == 1
    assert (await store.get_reader(NEW)) is not None


async def test_delete_removes_old_conversations_and_what_hangs_on_them(
        store: Store, tmp_path: Path) -> None:
    ids = await seed(store, tmp_path)
    assert await found(store, "оплата") == 1
    policy = retention.Policy(30, "delete")
    counted = await retention.apply(store, policy, tmp_path, now_ms(), dry_run=True)
    assert await store.get_conversation(ids["old"]) is not None  # a dry run changes nothing
    done = await retention.apply(store, policy, tmp_path, now_ms())
    assert done == counted == retention.Outcome(conversations=2, messages=144, attachments=1,
                                                readers=1)
    for gone in ("old", "kept"):
        assert await store.get_conversation(ids[gone]) is None
        assert await store.messages_after(ids[gone], internal=True) == []
    assert await found(store, "оплата") == 0 and await found(store, "возврат") == 0
    assert not await index_holds(store, "оплату")
    await fts_intact(store)
    assert not (tmp_path / "attachments" / "att0000001").exists()
    assert await store.get_attachments(["att0000001"]) == {}
    assert await store.get_reader(OLD) is None and await store.customer_notes(OLD) == []
    [stats] = await store.rating_stats({})
    assert stats["sad"] == 1  # the article's rating still counts, without its reader
    # An open reminder keeps its customer; it loses only the deleted conversation's link.
    assert await store.get_reader(KEPT) is not None
    reminder = await store.get_reminder(ids["reminder"])
    assert reminder is not None and reminder["conversation_id"] is None
    await untouched_recent(store, ids)
    assert await retention.apply(store, policy, tmp_path, now_ms()) == retention.Outcome()


async def test_anonymise_keeps_the_shape_and_nothing_that_names_anyone(
        store: Store, tmp_path: Path) -> None:
    ids = await seed(store, tmp_path)
    done = await retention.apply(store, retention.Policy(30, "anonymise"), tmp_path, now_ms())
    assert done == retention.Outcome(conversations=2, messages=144, attachments=1, readers=1)
    conversation = await store.get_conversation(ids["old"])
    assert conversation is not None
    assert conversation["reader_id"] == retention.ANONYMOUS_READER
    assert conversation["email"] == "" and conversation["context"] in ({}, "{}")
    messages = await store.messages_after(ids["old"], internal=True)
    assert len(messages) == 143
    assert {m["body"] for m in messages} == {retention.ANONYMISED_TEXT}
    assert {m["author_id"] for m in messages if m["author_kind"] == "reader"} == {
        retention.ANONYMOUS_READER}
    assert {m["author_id"] for m in messages if m["author_kind"] == "operator"} == {
        str(ids["operator"])}  # who answered, and when, still counts
    assert not any(m["attachment_id"] for m in messages)
    assert not (tmp_path / "attachments" / "att0000001").exists()
    assert (await store.conversation_tags([ids["old"]]))[ids["old"]] == ["billing"]
    assert [a["details"] for a in await store.actions(ids["old"])] in ([{}], ["{}"])
    assert await found(store, SECRET) == 0 and await found(store, "оплата") == 0
    assert not await index_holds(store, "оплату")
    await fts_intact(store)
    assert await store.get_reader(OLD) is None
    assert await store.reader_conversations(OLD) == []
    await untouched_recent(store, ids)
    again = await retention.apply(store, retention.Policy(30, "anonymise"), tmp_path, now_ms())
    assert again == retention.Outcome()


def cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAT_")}
    return subprocess.run([sys.executable, "-m", "chat_server", "--config", str(config), *args],
                          cwd=ROOT, env={**env, "CHAT_SECRET_KEY": "k"}, capture_output=True,
                          text=True, timeout=120, check=False)


async def test_the_command_counts_then_anonymises(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'chat.db'}")
    await store.migrate()
    try:
        ids = await seed(store, tmp_path)
    finally:
        await store.close()
    config = tmp_path / "config.yml"
    config.write_text(f"site:\n  title: Help\nchat:\n  data_dir: {tmp_path}\n", encoding="utf-8")
    dry = await asyncio.to_thread(cli, config, "retention", "--days", "30", "--anonymise",
                                  "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.strip() == ("2 conversations would be anonymised (144 messages, "
                                  "1 attachments); 1 readers would be removed")
    done = await asyncio.to_thread(cli, config, "retention", "--days", "30", "--anonymise")
    assert done.stdout.strip() == ("2 conversations anonymised (144 messages, 1 attachments); "
                                   "1 readers removed")
    bad = await asyncio.to_thread(cli, config, "retention", "--days", "0")
    assert bad.returncode == 2 and "at least 1 day" in bad.stderr
    store = open_store(f"sqlite:///{tmp_path / 'chat.db'}")
    try:
        conversation = await store.get_conversation(ids["old"])
        assert conversation is not None
        assert conversation["reader_id"] == retention.ANONYMOUS_READER
    finally:
        await store.close()


async def wait_gone(store: Store, conversation_id: int, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while await store.get_conversation(conversation_id) is not None:
        assert time.monotonic() < deadline, "the sidecar did not apply chat.retention"
        await asyncio.sleep(0.1)


async def test_the_running_sidecar_applies_chat_retention(tmp_path: Path,
                                                         start_server: Any) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'chat.db'}")
    await store.migrate()
    try:
        ids = await seed(store, tmp_path)
        await start_server(retention_days=30, retention_mode="delete")
        await wait_gone(store, ids["old"])
        await untouched_recent(store, ids)
    finally:
        await store.close()


async def test_one_process_of_several_runs_it_each_day() -> None:
    require(reachable(REDIS_URL, 6379), f"Redis is not reachable at {REDIS_URL}")
    prefix = f"chat-test-{uuid.uuid4().hex[:8]}:"
    claims = [DayClaim(REDIS_URL, prefix) for _ in range(3)]
    try:
        won = [await claim.take("2026-12-04") for claim in claims]
        assert won.count(True) == 1
        assert await claims[1].take("2026-12-05")  # the next day is anyone's again
    finally:
        for claim in claims:
            await claim.close()
    alone = DayClaim("memory://", "chat:")
    assert await alone.take("2026-12-04") and not await alone.take("2026-12-04")


async def test_two_sidecars_on_postgresql_apply_it(tmp_path: Path,
                                                   shared: dict[str, str]) -> None:
    store = open_store(shared["CHAT_DATABASE_URL"], schema=shared["CHAT_DATABASE_SCHEMA"])
    try:
        await run_sql(store, t.operators.delete())  # the fixture's operator: seed adds Анна
        ids = await seed(store, tmp_path / "data")
        ports = [free_port(), free_port()]
        config = write_config(tmp_path, ports[0], "  retention:\n    days: 30\n"
                              "    mode: anonymise\n")
        processes = []
        try:
            for port in ports:
                processes.append(await asyncio.to_thread(start_subprocess, config, port, shared))
            deadline = time.monotonic() + 20
            while (await store.get_conversation(ids["old"]) or {}).get("reader_id") == OLD:
                assert time.monotonic() < deadline, "chat.retention was not applied"
                await asyncio.sleep(0.1)
            client = redis.asyncio.from_url(shared["CHAT_BROKER_URL"])
            today = datetime.datetime.now(datetime.UTC).date().isoformat()
            assert await client.exists(f"{shared['CHAT_BROKER_PREFIX']}retention:{today}")
            await client.aclose()
        finally:
            for process in processes:
                await asyncio.to_thread(stop_subprocess, process)
        await untouched_recent(store, ids)
        assert await store.get_reader(OLD) is None
    finally:
        await store.close()


def test_chat_retention_in_config_yml(tmp_path: Path) -> None:
    import pytest

    from builder.config.loader import load_config
    from builder.errors import ConfigError
    from chat_server.settings import ChatSettings

    env = {"CHAT_SECRET_KEY": "k"}
    plain = ChatSettings.from_config(load_config(write_config(tmp_path, 8000)), env=env)
    assert plain.retention_days == 0  # nothing is removed unless the team says so
    good = write_config(tmp_path, 8000, "  retention: {days: 365, mode: anonymise}\n")
    settings = ChatSettings.from_config(load_config(good), env=env)
    assert (settings.retention_days, settings.retention_mode) == (365, "anonymise")
    days_only = write_config(tmp_path, 8000, "  retention: {days: 90}\n")
    assert ChatSettings.from_config(load_config(days_only), env=env).retention_mode == "delete"
    for wrong, said in (("{days: 30, mode: erase}", "mode: expected one of delete, anonymise"),
                        ("{mode: delete}", "expected {days: N, mode: delete or anonymise}"),
                        ("{days: 0}", "days:")):
        path = write_config(tmp_path, 8000, f"  retention: {wrong}\n")
        with pytest.raises(ConfigError) as info:
            load_config(path)
        [problem] = info.value.problems
        line = path.read_text(encoding="utf-8").splitlines().index(f"  retention: {wrong}") + 1
        assert (problem.line, problem.message.split(": ", 1)[0]) == (line, "chat.retention")
        assert said in problem.message
