"""What the store keeps so that operators can search every message and note by its words.

Both databases find a word in any of its forms (оплата, оплатил, оплаты; refund, refunded):

- SQLite: the FTS5 table `chat_message_search`, one row per message (rowid = the message's
  id) holding the message's terms as the site's search makes them (`builder/search/words.py`:
  ё→е, stop words dropped, the Russian snowball or the Porter stemmer chosen per word). The
  table is contentless: the text stays in chat_messages only. A new message's terms are
  written in the same transaction as the message (store/sqlite/messages.py and
  store/messages.py), so a committed message is always findable, but first into the plain
  table `chat_message_search_recent`; every MOVE_EVERY-th message moves those rows into FTS5
  in one statement, and the search reads both. Why: every write runs in its own SAVEPOINT
  of the committer's batch, and FTS5 flushes its pending terms to a new segment at each
  savepoint, so a row per message in FTS5 cost ~35 µs on the chat's hot path; one plain
  row costs ~15 µs. Even so the index costs the sidecar about a tenth of its flat-out
  messages a second (bench/README.md, «Search across conversations»).
- PostgreSQL: the generated column `chat_messages.search_vector`, the body's Russian and
  English lexemes (ё folded first, as the site does), with a GIN index. The database keeps
  it current itself, inside every insert.

Migration 10 (`create`) makes either one and fills it for the messages already stored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection

from builder.search.words import index_terms

FTS_TABLE = "chat_message_search"
RECENT_TABLE = "chat_message_search_recent"
MOVE_EVERY = 128  # messages; a move is one INSERT … SELECT of at most about this many rows
FTS_INSERT = f"INSERT INTO {FTS_TABLE} (rowid, terms) VALUES (?, ?)"
RECENT_INSERT = f"INSERT INTO {RECENT_TABLE} (message_id, terms) VALUES (?, ?)"
_MOVE = (f"INSERT INTO {FTS_TABLE} (rowid, terms) SELECT message_id, terms FROM {RECENT_TABLE}",
         f"DELETE FROM {RECENT_TABLE}")
_RECENT_CREATE = (f"CREATE TABLE IF NOT EXISTS {RECENT_TABLE} ("
                  "message_id INTEGER PRIMARY KEY, terms TEXT NOT NULL)")
# The terms are already lower-cased and folded; unicode61 only splits them at the spaces.
_FTS_CREATE = (f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
               "terms, content='', tokenize='unicode61 remove_diacritics 0')")
# translate() folds ё before the dictionaries see it: they would keep ё and е apart.
_PG_VECTOR = ("tsvector GENERATED ALWAYS AS ("
              "to_tsvector('russian'::regconfig, translate(body, 'ёЁ', 'еЕ'))"
              " || to_tsvector('english'::regconfig, translate(body, 'ёЁ', 'еЕ'))) STORED")
_BACKFILL_BATCH = 2000


def message_terms(body: str) -> str:
    """The FTS5 row of a message: its terms, space-separated."""
    return " ".join(index_terms(body))


def index_message(conn: Connection, message_id: int, body: str) -> None:
    """Add a new message to the SQLite index in the caller's transaction (PostgreSQL's
    generated column needs nothing)."""
    if conn.dialect.name == "sqlite":
        index_sqlite(conn.exec_driver_sql, message_id, body)


def index_sqlite(execute: Callable[[str, tuple[Any, ...]], Any], message_id: int,
                 body: str) -> None:
    """The SQLite write of a new message's terms, with `execute` of the message's own
    connection (the plain sqlite3 one on the hot path, SQLAlchemy's otherwise)."""
    execute(RECENT_INSERT, (message_id, message_terms(body)))
    if message_id % MOVE_EVERY == 0:
        for statement in _MOVE:
            execute(statement, ())


def create(conn: Connection) -> None:
    """Migration 10: the index, filled for every message already stored."""
    if conn.dialect.name == "postgresql":
        columns = conn.exec_driver_sql(
            "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()"
            " AND table_name = 'chat_messages' AND column_name = 'search_vector'").first()
        if columns is None:  # adding a generated column computes it for every row
            conn.exec_driver_sql(f"ALTER TABLE chat_messages ADD COLUMN search_vector {_PG_VECTOR}")
        conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS ix_chat_messages_search"
                             " ON chat_messages USING gin (search_vector)")
        return
    conn.exec_driver_sql(_FTS_CREATE)
    conn.exec_driver_sql(_RECENT_CREATE)
    _backfill_sqlite(conn)


def _backfill_sqlite(conn: Connection) -> None:
    """Index the stored messages in batches of ids, so memory stays flat on a big file."""
    last = 0
    while True:
        rows = conn.exec_driver_sql(
            "SELECT id, body FROM chat_messages WHERE id > ? ORDER BY id LIMIT ?",
            (last, _BACKFILL_BATCH)).all()
        if not rows:
            return
        conn.exec_driver_sql(FTS_INSERT, [(int(r[0]), message_terms(str(r[1]))) for r in rows])
        last = int(rows[-1][0])
