"""The base of every group of store queries: the engine, the transaction a write runs in,
and reading one row or all rows.

Every write runs in a transaction that is committed before the method returns, so a caller
that acknowledges or broadcasts after `await` only ever announces durable data. Writes are
functions of a sync connection handed to `_transaction`: on SQLite the committer
group-commits them (store/sqlite/committer.py); on PostgreSQL, which has many writers, each
runs in its own transaction on the async engine through `run_sync`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Connection
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from chat_server.store.base import Record
from chat_server.store.postgres import messages as postgres_messages
from chat_server.store.rows import to_record
from chat_server.store.sqlite import messages as sqlite_messages
from chat_server.store.sqlite import pragmas
from chat_server.store.sqlite.committer import Committer
from chat_server.store.sqlite.conversation_cache import ConversationCache

T = TypeVar("T")
# Connections each sidecar keeps open to PostgreSQL, and how many more a burst may open.
# SQLAlchemy's default (5, then 10 more closed again at once) made a busy sidecar open and
# close a connection, each a new server process and a TLS handshake, for many of its
# messages: a fifth of its CPU at 250 messages a second (bench/README.md, «Scale-out»).
# Several sidecars: mind PostgreSQL's max_connections (100 by default), 30 per sidecar.
POSTGRES_POOL = {"pool_size": 20, "max_overflow": 10}


def async_url(url: str) -> str:
    """Pick the async driver for a plain `sqlite:///` or `postgresql://` URL."""
    parsed = make_url(url)
    driver = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg",
              "postgres": "postgresql+asyncpg"}.get(parsed.drivername, parsed.drivername)
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


class Queries:
    """What every query group (people, sessions, feedback, messages) shares."""

    def __init__(self, url: str, schema: str | None = None) -> None:
        parsed = make_url(async_url(url))
        # sqlite:///chat.db?synchronous=normal trades power-loss durability of the last
        # commits for speed; a killed process still loses nothing in WAL mode.
        synchronous = str(parsed.query.get("synchronous", "full")).upper()
        if synchronous not in pragmas.SYNCHRONOUS:
            raise ValueError("synchronous must be full, normal or extra")
        self.url = parsed.difference_update_query(["synchronous"]).render_as_string(
            hide_password=False)
        connect_args: dict[str, Any] = {}
        pool: dict[str, int] = {}
        self.is_sqlite = self.url.startswith("sqlite")
        if not self.is_sqlite:
            pool = POSTGRES_POOL
            if schema:
                # A PostgreSQL schema per deployment (or per test run) through search_path.
                connect_args["server_settings"] = {"search_path": schema}
        self.engine: AsyncEngine = create_async_engine(self.url, connect_args=connect_args,
                                                       **pool)
        self._committer: Committer | None = None
        self._conversations = ConversationCache()
        if self.is_sqlite:
            pragmas.set_reader_pragmas(self.engine, synchronous)
            # SQLite has one writer per file: the committer writes, the engine only reads.
            self._committer = Committer(pragmas.writer_engine(self.url, synchronous),
                                        on_failure=self._conversations.clear)

    async def _transaction(self, write: Callable[[Connection], T]) -> T:
        """`write(connection)` in a transaction, committed before this returns."""
        if self._committer is not None:
            return await self._committer.run(functools.partial(_forgetting, self._conversations,
                                                            write))
        async with self.engine.begin() as conn:
            return await conn.run_sync(write)

    async def _post_sqlite(self, fields: dict[str, Any]) -> tuple[Record, bool, Record]:
        """A message's write on SQLite (store/sqlite/messages.py), with the rows cache."""
        assert self._committer is not None
        return await self._committer.run(functools.partial(
            sqlite_messages.post, fields=fields, cache=self._conversations))

    async def _post_postgres(self, fields: dict[str, Any]) -> tuple[Record, Record] | None:
        """A message's write on PostgreSQL (store/postgres/messages.py), on the pool's
        asyncpg connection outside a transaction; None when it inserted nothing."""
        async with self.engine.connect() as conn:
            raw = await conn.get_raw_connection()
            return await postgres_messages.post(raw.driver_connection, fields)

    async def _one(self, query: Any) -> Record | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).mappings().first()
        return to_record(row) if row else None

    async def _all(self, query: Any) -> list[Record]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [to_record(r) for r in rows]


def _forgetting(cache: ConversationCache, write: Callable[[Connection], T],
                conn: Connection) -> T:
    """Any write but a message's may change a conversation's row: forget them all, in the
    batch's order, so a message after it in the same batch reads the row again."""
    cache.clear()
    return write(conn)
