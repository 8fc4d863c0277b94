"""The chat store: one async interface, SQLite or PostgreSQL chosen by URL."""

from __future__ import annotations

from chat_server.store.base import DuplicateError, Record, Store


def open_store(url: str, schema: str | None = None) -> Store:
    """A store for `sqlite:///path` or `postgresql://...`; drivers load only when chosen."""
    if url.startswith(("sqlite", "postgresql", "postgres")):
        from chat_server.store.sql import SqlStore

        return SqlStore(url, schema=schema)
    raise ValueError(f"unsupported database URL {url.split(':', 1)[0]!r}: "
                     "use sqlite:///path or postgresql://user@host/db")


__all__ = ["DuplicateError", "Record", "Store", "open_store"]
