"""The SQLite committer: every write of the store, group-committed on one connection.

SQLite has one writer per file and every commit is a disk sync, so at chat rates most of a
write's cost is the transaction. Writes queue here; what the event loop's callbacks queued
in one turn of the loop is committed together, at the start of the next:

- each write runs in its own savepoint of the batch's transaction, then the batch commits;
- only then does each caller hear back ("committed before acknowledged");
- a write that raises is undone alone and its error goes to its caller alone;
- a failed COMMIT fails every write of the batch, and each caller gets the error;
- `close()` commits whatever is still queued, then lets go of the connection.

It all runs on the event loop's thread, with the plain sqlite3 driver: each statement is
microseconds in memory, and COMMIT is one disk sync (WAL) per batch, which grows with the
load. Measured under load, a thread for the sync cost more than it saved: it has to win
the GIL back from the busy loop (end to end, ~4.9k against ~5.9k msg/s inline), and a
thread per statement (aiosqlite) far more. BEGIN IMMEDIATE and COMMIT wait only while
another process (an admin command) writes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

log = logging.getLogger(__name__)

BATCH_LIMIT = 500  # bounds one transaction, so the loop gets a turn between big batches
T = TypeVar("T")
Write = Callable[[Connection], Any]
Outcome = tuple[bool, Any]  # (succeeded, value or exception)


class CommitterClosed(RuntimeError):
    """A write arrived after the store was closed."""


class Committer:
    """Runs `write(connection)` callables in group commits; see the module docstring."""

    def __init__(self, engine: Engine, on_failure: Callable[[], None] = lambda: None) -> None:
        # The engine must begin transactions with BEGIN IMMEDIATE and leave the driver in
        # autocommit mode (see store/sqlite/pragmas.py), so that savepoints nest inside the batch.
        self._engine = engine
        self._on_failure = on_failure  # told when a batch was rolled back
        self._conn: Connection | None = None
        self._pending: list[tuple[Write, asyncio.Future[Any]]] = []
        self._scheduled = False
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None

    async def run(self, write: Callable[[Connection], T]) -> T:
        """`write(connection)`'s result once its batch is committed; its error otherwise."""
        if self._closed:
            raise CommitterClosed("the store is closed")
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        elif loop is not self._loop:  # its futures are answered on that loop
            raise RuntimeError("a store writes from the event loop it first wrote from")
        future: asyncio.Future[T] = loop.create_future()
        self._pending.append((write, future))
        if not self._scheduled:
            # After the callbacks already due: everything they queue joins this batch.
            self._scheduled = True
            loop.call_soon(self._commit_pending)
        return await future

    async def close(self) -> None:
        """Refuse new writes, commit the queued ones, and release the connection."""
        self._closed = True
        while self._pending:
            self._commit_pending()
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        self._engine.dispose()

    def _commit_pending(self) -> None:
        batch = self._pending[:BATCH_LIMIT]
        del self._pending[:BATCH_LIMIT]
        if self._pending:
            asyncio.get_running_loop().call_soon(self._commit_pending)
        else:
            self._scheduled = False
        if not batch:  # close() committed them already
            return
        for (_write, future), (ok, value) in zip(batch, self._commit(batch), strict=True):
            if future.done():  # its caller was cancelled; the write stands all the same
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)

    def _commit(self, batch: list[tuple[Write, asyncio.Future[Any]]]) -> list[Outcome]:
        conn: Connection | None = None
        try:
            conn = self._connection()
            with conn.begin():
                raw = conn.connection.driver_connection
                return [_in_savepoint(conn, raw, write) for write, _future in batch]
        except Exception as exc:  # no transaction, or its COMMIT failed: nothing is saved
            log.exception("group commit of %d writes failed", len(batch))
            if conn is not None:
                _abandon(conn)
            self._on_failure()
            return [(False, exc)] * len(batch)

    def _connection(self) -> Connection:
        if self._conn is None or self._conn.invalidated:
            self._conn = self._engine.connect()
        return self._conn


def _in_savepoint(conn: Connection, raw: Any, write: Write) -> Outcome:
    raw.execute("SAVEPOINT write")
    try:
        value = write(conn)
    except Exception as exc:
        raw.execute("ROLLBACK TO write")
        raw.execute("RELEASE write")
        return False, exc
    raw.execute("RELEASE write")
    return True, value


def _abandon(conn: Connection) -> None:
    """Undo a batch that failed. SQLAlchemy marks a transaction whose COMMIT failed inactive,
    but SQLite keeps it open (a deferred constraint, a full disk): end both."""
    try:
        conn.rollback()  # also clears an inactive transaction, so the next begin() works
        driver = conn.connection.driver_connection
        if driver is not None:
            driver.rollback()
    except Exception:  # the connection itself is broken: the next batch opens a new one
        log.exception("rolling back a failed group commit failed")
        conn.invalidate()
