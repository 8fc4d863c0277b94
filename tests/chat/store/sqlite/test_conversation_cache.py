"""The SQLite store's cache of conversation rows: never a row that was not committed."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from chat_server.store import open_store
from chat_server.store.sqlite.conversation_cache import ConversationCache


async def test_a_failed_batch_leaves_no_uncommitted_row_behind(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'chat.db'}")
    await store.migrate()
    try:
        await store.ensure_reader("v")
        conv, _, _ = await store.start_conversation("v", "first", "hi")
        await store.post_message(conv["id"], "reader", "v", "cached", "c1")

        def fail_at_commit(conn: Connection) -> None:
            # A deferred foreign key is checked at COMMIT: the whole batch is rolled back.
            conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
            conn.execute(text("INSERT INTO chat_messages (conversation_id, author_kind,"
                              " author_id, internal, body, created_at)"
                              " VALUES (999999, 'reader', 'v', 0, 'orphan', 0)"))

        committer = store._committer  # type: ignore[attr-defined]
        # One batch: the status change, a message that sees it, and the failing write.
        results = await asyncio.gather(
            store.update_conversation(conv["id"], status="closed"),
            store.post_message(conv["id"], "reader", "v", "rolled back", "c2"),
            committer.run(fail_at_commit), return_exceptions=True)
        assert all(isinstance(r, IntegrityError) for r in results), results
        _, _, after = await store.post_message(conv["id"], "reader", "v", "next", "c3")
        assert after["status"] == "open"
        assert after == await store.get_conversation(conv["id"])
    finally:
        await store.close()


def test_the_oldest_rows_go_first_and_copies_are_kept() -> None:
    cache = ConversationCache(limit=2)
    row = {"id": 1, "status": "open"}
    cache.put(row)
    row["status"] = "changed by the caller"
    assert cache.get(1) == {"id": 1, "status": "open"}
    cache.put({"id": 2})
    cache.put({"id": 1, "status": "closed"})  # refreshed: now the newest
    cache.put({"id": 3})
    assert cache.get(2) is None and cache.get(1) == {"id": 1, "status": "closed"}
    cache.clear()
    assert cache.get(1) is None and cache.get(3) is None
