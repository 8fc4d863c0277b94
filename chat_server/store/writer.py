"""The SQLite writer: every write of the store, group-committed on one connection.

SQLite has one writer per file and every commit is a disk sync, so at chat rates most of a
write's cost is the transaction. Writes queue here and one task commits them in batches:
everything queued while the previous batch was being committed goes into the next one.

- each write runs in its own savepoint of the batch's transaction, then the batch commits;
- only then does each caller hear back ("committed before acknowledged");
- a write that raises is undone alone and its error goes to its caller alone;
- a failed COMMIT fails every write of the batch, and each caller gets the error;
- `close()` waits for everything queued before it to commit, then lets go of the connection.

Where the work runs, measured under load: the statements run on the event loop's own thread
(microseconds each, in memory) because a driver thread has to win the GIL back from a busy
loop after every statement, milliseconds each time. Only COMMIT, the disk sync, goes to a
thread: one hand-off per batch, and the loop serves sockets meanwhile. (BEGIN IMMEDIATE runs
on the loop too; it can only wait while another process, such as an admin command, writes.)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

log = logging.getLogger(__name__)

BATCH_LIMIT = 500  # bounds one transaction, so the loop gets a turn between big batches
T = TypeVar("T")
Write = Callable[[Connection], Any]
Outcome = tuple[bool, Any]  # (succeeded, value or exception)


class WriterClosed(RuntimeError):
    """A write arrived after the store was closed."""


class SqliteWriter:
    """Runs `write(connection)` callables in group commits; see the module docstring."""

    def __init__(self, engine: Engine, on_failure: Callable[[], None] = lambda: None) -> None:
        # The engine must begin transactions with BEGIN IMMEDIATE and leave the driver in
        # autocommit mode (see store/sqlite.py), so that savepoints nest inside the batch.
        self._engine = engine
        self._on_failure = on_failure  # told when a batch was rolled back
        self._conn: Connection | None = None
        self._pending: list[tuple[Write, asyncio.Future[Any]]] = []
        self._worker: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        self._disk: ThreadPoolExecutor | None = None

    async def run(self, write: Callable[[Connection], T]) -> T:
        """`write(connection)`'s result once its batch is committed; its error otherwise."""
        if self._closed:
            raise WriterClosed("the store is closed")
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        elif loop is not self._loop:  # its futures are answered on that loop
            raise RuntimeError("a store writes from the event loop it first wrote from")
        future: asyncio.Future[T] = loop.create_future()
        self._pending.append((write, future))
        if self._worker is None or self._worker.done():
            self._worker = loop.create_task(self._work())
        return await future

    async def close(self) -> None:
        """Refuse new writes, wait for the queued ones, and release the connection."""
        self._closed = True
        if self._worker is not None:
            await self._worker
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._disk is not None:
            self._disk.shutdown()
        self._engine.dispose()

    async def _work(self) -> None:
        # The callbacks already due run first: whatever they queue joins the first batch.
        await asyncio.sleep(0)
        while self._pending:
            batch = self._pending[:BATCH_LIMIT]
            del self._pending[:BATCH_LIMIT]
            outcomes = await self._commit(batch)
            for (_write, future), (ok, value) in zip(batch, outcomes, strict=True):
                if future.done():  # its caller was cancelled; the write stands all the same
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)

    async def _commit(self, batch: list[tuple[Write, asyncio.Future[Any]]]) -> list[Outcome]:
        conn: Connection | None = None
        try:
            conn = self._connection()
            transaction = conn.begin()
            raw = conn.connection.driver_connection
            outcomes = [_in_savepoint(conn, raw, write) for write, _future in batch]
            await asyncio.get_running_loop().run_in_executor(self._disk_thread(),
                                                             transaction.commit)
            return outcomes
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

    def _disk_thread(self) -> ThreadPoolExecutor:
        # Its own thread: a commit never waits behind work from a shared pool.
        if self._disk is None:
            self._disk = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-commit")
        return self._disk


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
