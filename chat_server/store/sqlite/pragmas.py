"""How the store opens SQLite: pragmas for every connection, and the writer's engine.

Readers use the async engine (aiosqlite); all writes go through one `Committer` with a
plain sqlite3 connection of its own (store/sqlite/committer.py).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import NullPool

SYNCHRONOUS = ("FULL", "NORMAL", "EXTRA")


def pragmas(synchronous: str) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # WAL: readers never block the writer. synchronous=FULL (default): a commit is on
        # disk before the message is acknowledged, even across a power cut.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()

    return on_connect


def set_reader_pragmas(engine: AsyncEngine, synchronous: str) -> None:
    event.listen(engine.sync_engine, "connect", pragmas(synchronous))


def writer_engine(async_url: str, synchronous: str) -> Engine:
    """A sync engine on the plain sqlite3 driver for the writer.

    The driver is put in autocommit mode and SQLAlchemy emits BEGIN IMMEDIATE itself (the
    recipe in SQLAlchemy's SQLite notes): pysqlite's own implicit BEGIN would not nest the
    writer's savepoints inside the batch, and IMMEDIATE takes the write lock up front.
    """
    url = make_url(async_url).set(drivername="sqlite")
    # One connection for the writer's lifetime: nothing to pool.
    engine = create_engine(url, poolclass=NullPool)
    set_pragmas = pragmas(synchronous)

    def on_connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None
        set_pragmas(dbapi_connection, record)

    def on_begin(conn: Any) -> None:
        # Straight on the driver: once per batch, and SQLAlchemy's statement machinery
        # around it cost more than the BEGIN itself.
        conn.connection.driver_connection.execute("BEGIN IMMEDIATE")

    event.listen(engine, "connect", on_connect)
    event.listen(engine, "begin", on_begin)
    return engine
