"""The SQLite writer's group commit, on a real database file: what it promises its callers."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from chat_server.store.sqlite.committer import Committer, CommitterClosed
from chat_server.store.sqlite.pragmas import writer_engine


@pytest.fixture
async def writer(tmp_path: Path) -> AsyncIterator[Committer]:
    made = Committer(writer_engine(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}", "FULL"))
    await made.run(lambda conn: conn.execute(text(
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")))
    await made.run(lambda conn: conn.execute(text(
        "CREATE TABLE replies (id INTEGER PRIMARY KEY,"
        " note_id INTEGER NOT NULL REFERENCES notes(id))")))
    try:
        yield made
    finally:
        await made.close()


def count(tmp_path: Path, table: str = "notes") -> int:
    """What another connection (another process, after a crash) finds on disk."""
    with sqlite3.connect(tmp_path / "w.db") as other:
        return int(other.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def insert(body: str, note_id: int | None = None) -> Callable[[Connection], int]:
    def write(conn: Connection) -> int:
        query = text("INSERT INTO notes (id, body) VALUES (:id, :body)")
        return int(conn.execute(query, {"id": note_id, "body": body}).lastrowid or 0)

    return write


async def test_a_write_is_committed_before_its_caller_hears_back(
        writer: Committer, tmp_path: Path) -> None:
    seen_inside: list[int] = []

    def write(conn: Connection) -> int:
        new_id = insert("hello")(conn)
        seen_inside.append(count(tmp_path))  # not yet committed: nobody else sees it
        return new_id

    new_id = await writer.run(write)
    assert seen_inside == [0]
    assert new_id == 1 and count(tmp_path) == 1


async def test_writes_that_arrive_together_share_one_commit(writer: Committer) -> None:
    def write(conn: Connection) -> int:
        conn.execute(text("INSERT INTO notes (body) VALUES ('x')"))
        # The batch's transaction: the same object for every write committed with it.
        return id(conn.get_transaction())

    transactions = await asyncio.gather(*(writer.run(write) for _ in range(50)))
    assert len(set(transactions)) < 5


async def test_a_failing_write_is_undone_alone(writer: Committer, tmp_path: Path) -> None:
    def half_then_fail(conn: Connection) -> None:
        insert("undone")(conn)
        raise ValueError("changed my mind")

    results = await asyncio.gather(
        writer.run(insert("one")), writer.run(half_then_fail), writer.run(insert("dup", 1)),
        writer.run(insert("two")), return_exceptions=True)
    assert isinstance(results[1], ValueError)
    assert isinstance(results[2], IntegrityError)  # id 1 is taken by "one"
    assert results[0] == 1 and isinstance(results[3], int)
    with sqlite3.connect(tmp_path / "w.db") as other:
        bodies = [row[0] for row in other.execute("SELECT body FROM notes ORDER BY id")]
    assert bodies == ["one", "two"]


async def test_a_failed_commit_fails_the_whole_batch_and_the_next_one_works(
        writer: Committer, tmp_path: Path) -> None:
    def orphan(conn: Connection) -> None:
        # A deferred foreign key is checked at COMMIT: a real failure of the commit itself.
        conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
        conn.execute(text("INSERT INTO replies (note_id) VALUES (999)"))

    results = await asyncio.gather(writer.run(insert("lost")), writer.run(orphan),
                                   return_exceptions=True)
    assert all(isinstance(r, IntegrityError) for r in results), results
    assert count(tmp_path) == 0 and count(tmp_path, "replies") == 0
    assert await writer.run(insert("after")) == 1
    assert count(tmp_path) == 1


async def test_close_commits_what_is_queued_then_refuses(tmp_path: Path) -> None:
    writer = Committer(writer_engine(f"sqlite:///{tmp_path / 'w.db'}", "FULL"))
    await writer.run(lambda conn: conn.execute(text(
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")))
    queued = [asyncio.create_task(writer.run(insert(f"n{n}"))) for n in range(20)]
    await asyncio.sleep(0)  # queued, not yet committed
    await writer.close()
    assert sorted(await asyncio.gather(*queued)) == list(range(1, 21))
    assert count(tmp_path) == 20
    with pytest.raises(CommitterClosed):
        await writer.run(insert("late"))


async def test_a_cancelled_caller_does_not_undo_the_write(
        writer: Committer, tmp_path: Path) -> None:
    task = asyncio.create_task(writer.run(insert("kept")))
    await asyncio.sleep(0)
    task.cancel()
    await writer.run(insert("next"))  # committed after the first one's batch
    assert count(tmp_path) == 2
