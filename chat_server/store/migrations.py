"""Versioned migrations: each step runs once, in order, recorded in chat_schema_version.

Step 1 creates the tables as `schema.py` first defined them. A later change to `schema.py`
adds a step here (ALTER TABLE ...) instead of editing step 1, so existing databases follow.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import Connection, inspect, select

from chat_server.store import schema, search_index


def _initial(conn: Connection) -> None:
    schema.metadata.create_all(
        conn,
        tables=[
            schema.operators,
            schema.readers,
            schema.conversations,
            schema.messages,
            schema.ratings,
            schema.failed_searches,
        ],
    )


def _attachments(conn: Connection) -> None:
    """Images and PDFs in conversations. Step 1 builds today's tables on a new database,
    so this step only adds what an older database lacks."""
    columns = {c["name"] for c in inspect(conn).get_columns("chat_messages")}
    if "attachment_id" not in columns:
        conn.exec_driver_sql("ALTER TABLE chat_messages ADD COLUMN attachment_id VARCHAR(40)")
    schema.attachments.create(conn, checkfirst=True)


def _operator_sessions(conn: Connection) -> None:
    """Server-side operator sessions: logout, disabling and a new password end them."""
    schema.operator_sessions.create(conn, checkfirst=True)


def _add_column(conn: Connection, table: str, column: str, definition: str) -> None:
    """ALTER TABLE … ADD COLUMN unless step 1 (today's schema.py) already made it."""
    if column not in {c["name"] for c in inspect(conn).get_columns(table)}:
        conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")


def _confirmed_emails(conn: Connection) -> None:
    """Replies by email go only to an address its reader confirmed. Addresses left before
    this step were never confirmed: nothing is carried over."""
    _add_column(conn, _readers_table(conn), "confirmed_email", "VARCHAR(254) NOT NULL DEFAULT ''")


def _readers_table(conn: Connection) -> str:
    """chat_visitors until step 6 renamed it; a new database has chat_readers from step 1."""
    return "chat_visitors" if inspect(conn).has_table("chat_visitors") else "chat_readers"


def _attachment_addresses(conn: Connection) -> None:
    """Who uploaded from where, for the per-address daily quota of attachments."""
    _add_column(conn, "chat_attachments", "uploader_address", "VARCHAR(64) NOT NULL DEFAULT ''")


def _reader_names(conn: Connection) -> None:
    """One word for the person who reads the help center: "visitor" became "reader" in the
    table, its columns, its index and the kinds stored in rows. A new database already has
    the new names (step 1), so each rename happens only where the old name is still there."""
    if inspect(conn).has_table("chat_visitors"):
        conn.exec_driver_sql("ALTER TABLE chat_visitors RENAME TO chat_readers")
    columns = {c["name"] for c in inspect(conn).get_columns("chat_conversations")}
    for old, new in (("visitor_id", "reader_id"), ("visitor_read_id", "reader_read_id")):
        if old in columns:
            conn.exec_driver_sql(f"ALTER TABLE chat_conversations RENAME COLUMN {old} TO {new}")
    conn.exec_driver_sql("DROP INDEX IF EXISTS ix_chat_conversations_visitor")
    conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS ix_chat_conversations_reader "
                         "ON chat_conversations (reader_id)")
    for table, column in (("chat_messages", "author_kind"), ("chat_conversations", "last_author"),
                          ("chat_attachments", "uploader_kind")):
        conn.exec_driver_sql(
            f"UPDATE {table} SET {column} = 'reader' WHERE {column} = 'visitor'")


def _teamwork(conn: Connection) -> None:
    """Round-robin, snoozing and each conversation's history of actions."""
    _add_column(conn, "chat_operators", "last_assigned_at", "BIGINT NOT NULL DEFAULT 0")
    _add_column(conn, "chat_conversations", "snoozed_until", "BIGINT")
    schema.actions.create(conn, checkfirst=True)


def _operator_sockets(conn: Connection) -> None:
    """Presence follows the socket: a lease per open operator socket."""
    schema.operator_sockets.create(conn, checkfirst=True)


def _customers(conn: Connection) -> None:
    """Roles, tags, customer notes, reminders, API tokens and personal saved replies.
    Before roles every operator could do everything: existing operators keep that."""
    if "role" not in {c["name"] for c in inspect(conn).get_columns("chat_operators")}:
        _add_column(conn, "chat_operators", "role", "VARCHAR(16) NOT NULL DEFAULT 'agent'")
        conn.exec_driver_sql("UPDATE chat_operators SET role = 'admin'")
    for table in (schema.tags, schema.conversation_tags, schema.customer_notes,
                  schema.reminders, schema.api_tokens, schema.personal_replies):
        table.create(conn, checkfirst=True)


def _message_search(conn: Connection) -> None:
    """Operators search every message and note by its words (store/search_index.py)."""
    search_index.create(conn)


def _article_views(conn: Connection) -> None:
    """Views per article, language and day, counted by the pages' beacon (article_views.py)."""
    schema.article_views.create(conn, checkfirst=True)


def _attachment_bodies(conn: Connection) -> None:
    """Attachment bodies in the database, for sidecars that share no folder (blob_store.py)."""
    schema.attachment_bodies.create(conn, checkfirst=True)


MIGRATIONS: tuple[tuple[int, str, Callable[[Connection], None]], ...] = (
    (1, "initial tables", _initial),
    (2, "attachments", _attachments),
    (3, "operator sessions", _operator_sessions),
    (4, "confirmed reader emails", _confirmed_emails),
    (5, "attachment uploader addresses", _attachment_addresses),
    (6, "visitor becomes reader", _reader_names),
    (7, "teamwork: round-robin, snoozing, actions", _teamwork),
    (8, "operator socket leases", _operator_sockets),
    (9, "roles, tags, customers, reminders, API tokens, personal replies", _customers),
    (10, "search over messages and notes", _message_search),
    (11, "article views", _article_views),
    (12, "attachment bodies", _attachment_bodies),
)

LATEST = MIGRATIONS[-1][0]


def migrate(conn: Connection) -> list[int]:
    """Apply pending steps inside the caller's transaction; return the versions applied."""
    if conn.dialect.name == "postgresql":
        # Two sidecar processes starting together must not both run step 1.
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7347291)")
    schema.schema_version.create(conn, checkfirst=True)
    done = set(conn.execute(select(schema.schema_version.c.version)).scalars())
    applied = []
    for version, _title, step in MIGRATIONS:
        if version in done:
            continue
        step(conn)
        conn.execute(
            schema.schema_version.insert().values(
                version=version, applied_at=int(time.time() * 1000)
            )
        )
        applied.append(version)
    return applied
