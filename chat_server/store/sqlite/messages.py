"""A message's write on SQLite in plain SQL: the one write on the chat's hot path.

It runs in the committer's batch (store/sqlite/committer.py), inside its transaction, on the sqlite3
connection itself: an INSERT and an UPDATE, with no SQLAlchemy compilation per message.
The conversation's row comes back from a SELECT, or from the cache of what this process's
own message writes left in it (store/sqlite/conversation_cache.py). The same write for PostgreSQL
is one statement in store/postgres/messages.py (with `post_core` in store/messages.py for
resends); the store's tests run both.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import Connection

from chat_server.store.base import Record
from chat_server.store.rows import decode_fields
from chat_server.store.search_index import index_sqlite
from chat_server.store.sqlite.conversation_cache import ConversationCache

INSERT = (
    "INSERT INTO chat_messages (conversation_id, author_kind, author_id, internal, body,"
    " client_id, created_at, attachment_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT DO NOTHING"
)
# A note is not what the reader last saw: it only touches updated_at.
TOUCH = "UPDATE chat_conversations SET updated_at = ? WHERE id = ?"
ANSWER = ("UPDATE chat_conversations SET updated_at = ?, last_author = ?, last_message_id = ?"
          " WHERE id = ?")
BY_CLIENT = ("SELECT * FROM chat_messages WHERE author_kind = ? AND author_id = ?"
             " AND client_id = ?")
CONVERSATION = "SELECT * FROM chat_conversations WHERE id = ?"


def post(conn: Connection, fields: dict[str, Any], cache: ConversationCache
         ) -> tuple[Record, bool, Record]:
    """Insert `fields` as a message; (message, created, the conversation after it). A resend
    of a client id returns the original. LookupError when there is no such conversation."""
    raw = conn.connection.driver_connection
    assert isinstance(raw, sqlite3.Connection)  # this module is the SQLite fast path
    conversation_id = fields["conversation_id"]
    # No RETURNING: in SQLite it costs more than rowcount, lastrowid and one SELECT.
    try:
        inserted = raw.execute(INSERT, (
            conversation_id, fields["author_kind"], fields["author_id"], fields["internal"],
            fields["body"], fields["client_id"], fields["created_at"], fields["attachment_id"],
        ))
    except sqlite3.IntegrityError as exc:  # the foreign key: no such conversation
        raise LookupError(f"no conversation {conversation_id}") from exc
    if inserted.rowcount == 0:  # the client id is taken: a resend
        return _resent(raw, fields)
    new_id = inserted.lastrowid
    assert new_id is not None  # an INSERT that inserted has a rowid
    index_sqlite(raw.execute, new_id, fields["body"])  # for the operators' search
    changes: dict[str, Any] = {"updated_at": fields["created_at"]}
    if fields["internal"]:
        raw.execute(TOUCH, (fields["created_at"], conversation_id))
    else:
        changes.update(last_author=fields["author_kind"], last_message_id=new_id)
        raw.execute(ANSWER, (fields["created_at"], fields["author_kind"], new_id,
                             conversation_id))
    cached = cache.get(conversation_id)
    if cached is not None:  # the row is what it was plus what this write set
        conversation = {**cached, **changes}
    else:
        found = _row(raw, CONVERSATION, (conversation_id,))
        assert found is not None  # the insert proved it exists, and nothing deletes
        conversation = found
    cache.put(conversation)
    return {**fields, "id": new_id}, True, conversation


def _resent(raw: sqlite3.Connection, fields: dict[str, Any]) -> tuple[Record, bool, Record]:
    existing = _row(raw, BY_CLIENT, (fields["author_kind"], fields["author_id"],
                                     fields["client_id"]))
    conversation = _row(raw, CONVERSATION, (fields["conversation_id"],))
    if existing is None or conversation is None:
        raise LookupError(f"no conversation {fields['conversation_id']}")
    return existing, False, conversation


def _row(raw: sqlite3.Connection, sql: str, parameters: tuple[Any, ...]) -> Record | None:
    """The first row as a record. The cursor is closed at once: a statement left running
    would keep the writer's savepoint from being released."""
    cursor = raw.execute(sql, parameters)
    try:
        row = cursor.fetchone()
        if row is None:
            return None
        return decode_fields(dict(zip((column[0] for column in cursor.description), row,
                                      strict=True)))
    finally:
        cursor.close()
