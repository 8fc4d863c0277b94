"""The store, one suite for every backend: SQLite always, PostgreSQL here and in CI."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from chat_server.store import DuplicateError, Store


async def test_migrations_are_versioned_and_run_once(store: Store) -> None:
    assert await store.migrate() == []


async def test_operators(store: Store) -> None:
    anna = await store.add_operator("Anna@Example.com", "Анна", "hash", ("support", "billing"))
    assert anna["email"] == "anna@example.com" and anna["groups"] == ["support", "billing"]
    with pytest.raises(DuplicateError):
        await store.add_operator("anna@example.com", "Other", "hash")
    assert (await store.operator_by_email(" ANNA@example.com"))["id"] == anna["id"]
    await store.update_operator(anna["id"], status="online")
    assert (await store.get_operator(anna["id"]))["status"] == "online"


async def test_first_message_is_idempotent_by_client_id(store: Store) -> None:
    await store.ensure_reader("v1")
    conv, msg, created = await store.start_conversation(
        "v1", "c-1", "Привет <b>", context={"page": "/ru/"}, group_name="support")
    again, same, created_again = await store.start_conversation("v1", "c-1", "Привет <b>")
    assert created and not created_again
    assert again["id"] == conv["id"] and same["id"] == msg["id"]
    assert conv["context"] == {"page": "/ru/"} and conv["status"] == "open"
    assert len(await store.reader_conversations("v1")) == 1


async def test_messages_resume_after_id_and_hide_notes(store: Store) -> None:
    await store.ensure_reader("v2")
    op = await store.add_operator("op@example.com", "Op", "hash")
    conv, first, _ = await store.start_conversation("v2", "a", "one")
    reply, created, _ = await store.post_message(conv["id"], "operator", str(op["id"]), "two",
                                                 "r1")
    note, _, _ = await store.post_message(conv["id"], "operator", str(op["id"]), "secret", "n1",
                                          internal=True)
    dup, created_dup, _ = await store.post_message(conv["id"], "operator", str(op["id"]), "two",
                                                   "r1")
    assert created and not created_dup and dup["id"] == reply["id"]
    visible = await store.messages_after(conv["id"], first["id"])
    assert [m["body"] for m in visible] == ["two"]
    everything = await store.messages_after(conv["id"], 0, internal=True)
    assert [m["body"] for m in everything] == ["one", "two", "secret"]
    assert note["internal"] is True
    conv = await store.get_conversation(conv["id"])
    # A note is not the last message the reader can see.
    assert conv["last_message_id"] == reply["id"] and conv["last_author"] == "operator"


async def test_concurrent_resends_make_one_message(store: Store) -> None:
    await store.ensure_reader("v3")
    conv, _, _ = await store.start_conversation("v3", "x", "hi")
    results = await asyncio.gather(*(
        store.post_message(conv["id"], "reader", "v3", "same", "dup") for _ in range(5)))
    assert len({m["id"] for m, _, _ in results}) == 1
    assert sum(created for _, created, _ in results) == 1


async def test_message_to_missing_conversation_fails(store: Store) -> None:
    with pytest.raises(LookupError):
        await store.post_message(99999, "reader", "nobody", "hi", "z")


async def test_inbox_views_and_counts(store: Store) -> None:
    op = await store.add_operator("me@example.com", "Me", "hash")
    for n in range(3):
        await store.ensure_reader(f"iv{n}")
    c0, _, _ = await store.start_conversation("iv0", "a", "unassigned")
    c1, _, _ = await store.start_conversation("iv1", "a", "mine", assignee_id=op["id"])
    c2, _, _ = await store.start_conversation("iv2", "a", "closed")
    await store.update_conversation(c2["id"], status="closed")
    await store.post_message(c0["id"], "reader", "iv0", "newest activity", "b")
    counts = await store.inbox_counts(op["id"])
    assert counts == {"unassigned": 1, "mine": 1, "open": 2, "snoozed": 0, "closed": 1}
    assert [c["id"] for c in await store.inbox("open", op["id"])] == [c0["id"], c1["id"]]
    assert [c["id"] for c in await store.inbox("mine", op["id"])] == [c1["id"]]


async def test_inbox_rows_say_what_waits_and_page(store: Store) -> None:
    """A row tells the operator who, what was said last, how much is unread and since when
    the reader waits; lists sort by waiting and page past their first rows."""
    op = await store.add_operator("rows@example.com", "Rows", "hash")
    await store.ensure_reader("w1")
    await store.update_reader("w1", name="Аня", attributes={"company": "ООО Ромашка"})
    await store.ensure_reader("w2")
    old, first, _ = await store.start_conversation("w1", "a", "Первый вопрос")
    await store.post_message(old["id"], "reader", "w1", "И второй", "b")
    answered, _, _ = await store.start_conversation("w2", "a", "Вопрос")
    await store.post_message(answered["id"], "operator", str(op["id"]), "Ответ", "r")
    await store.post_message(answered["id"], "operator", str(op["id"]), "заметка", "n",
                             internal=True)
    [row] = await store.inbox("open", op["id"], ids=[old["id"]])
    assert row["reader_name"] == "Аня" and row["reader_attributes"]["company"] == "ООО Ромашка"
    assert row["preview"] == "И второй" and row["unread"] == 2
    assert row["waiting_since"] == first["created_at"]
    [done] = await store.inbox("open", op["id"], ids=[answered["id"]])
    assert done["waiting_since"] is None, "a note is no answer, but the reply before it is"
    # The preview is the conversation's last word to or from the reader, never a note.
    assert done["preview"] == "Ответ" and done["unread"] == 1
    await store.mark_read(old["id"], "operator", first["id"])
    [row] = await store.inbox("open", op["id"], ids=[old["id"]])
    assert row["unread"] == 1
    by_waiting = await store.inbox("open", op["id"], sort="waiting")
    assert [c["id"] for c in by_waiting] == [old["id"], answered["id"]]
    assert [c["id"] for c in await store.inbox("open", op["id"], limit=1, offset=1)] == [
        old["id"]]  # most recent first: the answered one, then this


async def test_read_marks_only_move_forward(store: Store) -> None:
    await store.ensure_reader("r")
    conv, msg, _ = await store.start_conversation("r", "a", "x")
    assert await store.mark_read(conv["id"], "operator", msg["id"]) == msg["id"]
    assert await store.mark_read(conv["id"], "operator", msg["id"] - 1) == msg["id"]


async def test_verified_user_gets_one_reader(store: Store) -> None:
    first = await store.reader_for_user("user-42", "browser-a")
    second = await store.reader_for_user("user-42", "browser-b")
    assert first["id"] == second["id"] == "browser-a"
    await store.update_reader("browser-a", name="Ира", attributes={"plan": "pro"})
    assert (await store.get_reader("browser-a"))["attributes"] == {"plan": "pro"}


async def test_one_rating_per_reader_per_article(store: Store) -> None:
    await store.rate("nds/a", "ru", "reader1", "happy", "c1")
    await store.rate("nds/a", "ru", "reader1", "sad", "c2")  # changed their mind
    await store.rate("nds/a", "ru", "reader2", "sad", "c1")
    await store.rate("nds/a", "ru", "reader3", "neutral", "c2")
    stats = await store.rating_stats({"ru/nds/a": "c2"})
    assert len(stats) == 1
    entry = stats[0]
    assert (entry["total"], entry["happy"], entry["neutral"], entry["sad"]) == (3, 0, 1, 2)
    # Since commit c2: reader1 (sad) and reader3 (neutral).
    assert entry["since_change_total"] == 2 and entry["sad_share"] == 0.5


async def test_failed_searches_aggregate(store: Store) -> None:
    for page in ("/ru/", "/ru/nds/", "/ru/"):
        await store.record_failed_search("ru", "вычет ндфл", page)
    await store.record_failed_search("ru", "ндс", "/ru/")
    await store.record_failed_search("en", "vat", "/en/")
    rows = await store.failed_searches("ru")
    assert [(r["query"], r["count"]) for r in rows] == [("вычет ндфл", 3), ("ндс", 1)]
    assert rows[0]["pages"] == ["/ru/nds/", "/ru/"]
    assert rows[0]["first_seen"] <= rows[0]["last_seen"]
    assert await store.answer_failed_search(rows[0]["id"], "nds/vychet")
    assert [r["query"] for r in await store.failed_searches("ru")] == ["ндс"]
    answered = await store.failed_searches("ru", answered=True)
    assert answered[0]["answered_by"] == "nds/vychet"


async def test_an_older_database_is_migrated(store: Store) -> None:
    """A database made before migration 2 gains the attachments table and column."""
    from sqlalchemy import inspect, text

    engine = store.engine  # type: ignore[attr-defined]
    async with engine.begin() as conn:
        await conn.execute(text("DROP TABLE chat_attachments"))
        await conn.execute(text("ALTER TABLE chat_messages DROP COLUMN attachment_id"))
        await conn.execute(text("DELETE FROM chat_schema_version WHERE version = 2"))
    assert await store.migrate() == [2]
    async with engine.connect() as conn:
        columns = await conn.run_sync(
            lambda sync: {c["name"] for c in inspect(sync).get_columns("chat_messages")})
        tables = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    assert "attachment_id" in columns and "chat_attachments" in tables
    assert await store.migrate() == []


async def test_a_database_that_said_visitor_says_reader(store: Store) -> None:
    """Migration 6 renames what databases before it called the reader a visitor, and keeps
    every row: the reader's conversations, who wrote last and the message kinds."""
    from sqlalchemy import inspect, text

    await store.ensure_reader("v-old")
    conversation, _, _ = await store.start_conversation("v-old", "c-1", "Старый вопрос")
    engine = store.engine  # type: ignore[attr-defined]
    async with engine.begin() as conn:
        for sql in (
            "ALTER TABLE chat_readers RENAME TO chat_visitors",
            "ALTER TABLE chat_conversations RENAME COLUMN reader_id TO visitor_id",
            "ALTER TABLE chat_conversations RENAME COLUMN reader_read_id TO visitor_read_id",
            "DROP INDEX ix_chat_conversations_reader",
            "CREATE INDEX ix_chat_conversations_visitor ON chat_conversations (visitor_id)",
            "UPDATE chat_messages SET author_kind = 'visitor'",
            "UPDATE chat_conversations SET last_author = 'visitor'",
            "DELETE FROM chat_schema_version WHERE version = 6",
        ):
            await conn.execute(text(sql))
    assert await store.migrate() == [6]

    def names(sync: Any) -> tuple[set[str], set[str], set[str | None]]:
        found = inspect(sync)
        return (set(found.get_table_names()),
                {c["name"] for c in found.get_columns("chat_conversations")},
                {i["name"] for i in found.get_indexes("chat_conversations")})

    async with engine.connect() as conn:
        tables, columns, indexes = await conn.run_sync(names)
    assert "chat_readers" in tables and "chat_visitors" not in tables
    assert {"reader_id", "reader_read_id"} <= columns and "visitor_id" not in columns
    assert "ix_chat_conversations_reader" in indexes
    [mine] = await store.reader_conversations("v-old")
    assert mine["id"] == conversation["id"] and mine["last_author"] == "reader"
    [message] = await store.messages_after(conversation["id"], 0)
    assert message["author_kind"] == "reader" and message["body"] == "Старый вопрос"
    # The resend of a message sent before the upgrade is still the same message.
    _, same, created = await store.start_conversation("v-old", "c-1", "Старый вопрос")
    assert same["id"] == message["id"] and not created


async def test_a_bad_write_in_a_busy_moment_fails_alone(store: Store) -> None:
    """On SQLite concurrent messages share one commit; one failing must not sink the rest."""
    await store.ensure_reader("busy")
    conv, _, _ = await store.start_conversation("busy", "first", "hi")
    calls = [store.post_message(conv["id"], "reader", "busy", f"m{n}", f"c{n}")
             for n in range(20)]
    calls.append(store.post_message(999_999, "reader", "busy", "lost", "nowhere"))
    calls += [store.post_message(conv["id"], "reader", "busy", "m0", "c0") for _ in range(3)]
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert isinstance(results[20], LookupError)
    good = [r for r in results if not isinstance(r, BaseException)]
    assert len({m["id"] for m, _, _ in good}) == 20  # the resends of c0 are the original
    assert all(c["id"] == conv["id"] for _, _, c in good)
    stored = await store.messages_after(conv["id"], 0)
    # Concurrent writers may commit in any order; each exactly once, ids in commit order.
    assert sorted(m["body"] for m in stored) == sorted(["hi", *(f"m{n}" for n in range(20))])
    assert (await store.get_conversation(conv["id"]))["last_message_id"] == stored[-1]["id"]


async def test_a_message_write_returns_its_conversation_as_stored(store: Store) -> None:
    """After every kind of change, the conversation a message's write returns (for the ack
    and the operators' event) is the row as stored (on SQLite partly from a cache)."""
    await store.ensure_reader("asis")
    op = await store.add_operator("asis@example.com", "Op", "hash")
    conv, _, _ = await store.start_conversation("asis", "first", "hi", context={"page": "/"})

    async def post(body: str, internal: bool = False, alone: bool = True) -> dict:
        author = ("operator", str(op["id"])) if internal else ("reader", "asis")
        message, created, after = await store.post_message(
            conv["id"], *author, body, f"c-{body}", internal)
        assert created
        if alone:  # else a later write of the same moment may have changed the row since
            assert after == await store.get_conversation(conv["id"])
        return after

    assert (await post("one"))["last_author"] == "reader"
    await store.update_conversation(conv["id"], status="closed", assignee_id=op["id"])
    assert (await post("two"))["status"] == "closed"
    read_to = (await post("three"))["last_message_id"]
    await store.mark_read(conv["id"], "operator", read_to)
    assert (await post("four"))["operator_read_id"] == read_to
    note = await post("note", internal=True)
    assert note["last_message_id"] != read_to and note["last_author"] == "reader"
    # A change in the same batch as messages, before and after them.
    await asyncio.gather(post("five", alone=False), post("six", alone=False),
                         store.update_conversation(conv["id"], status="open"),
                         post("seven", alone=False))
    assert (await post("eight"))["status"] == "open"
