"""Tables of the chat store, in SQLAlchemy Core so one set of queries serves SQLite and PostgreSQL.

Times are integer milliseconds since the epoch: both databases sort and compare them the same
way, with no time zone conversions between drivers.

Every write is one SQLAlchemy Core function for both databases, except one: posting a
message (a row in chat_messages plus its conversation's last_* columns) is written twice,
as raw SQL on the plain sqlite3 driver for SQLite (store/sqlite/messages.py, the hot path)
and in Core for PostgreSQL (store/messages.py, `post_core`). A change to either table's
columns must change both; tests/chat/store runs every query test on both databases.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

schema_version = Table(
    "chat_schema_version",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("applied_at", BigInteger, nullable=False),
)

operators = Table(
    "chat_operators",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("password_hash", String(300), nullable=False),
    Column("groups", String(500), nullable=False, default=""),  # comma-separated group names
    # The operator's choice, "online" or "away"; they count as online only while a socket
    # of theirs is open (operator_sockets, migration 8).
    Column("status", String(16), nullable=False, default="away"),
    # The 30 s heartbeat before migration 8; no longer read.
    Column("seen_at", BigInteger, nullable=False, default=0),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", BigInteger, nullable=False),
    # When round-robin last gave this operator a conversation (migration 7): the next one
    # goes to whoever waited longest.
    Column("last_assigned_at", BigInteger, nullable=False, default=0),
    # agent | admin (migration 9): only admins manage operators, groups, shared tags, tokens.
    Column("role", String(16), nullable=False, default="agent"),
)

readers = Table(
    "chat_readers",
    metadata,
    Column("id", String(40), primary_key=True),
    # The host product's user id, set only after its HMAC was verified.
    Column("user_id", String(128), unique=True),
    Column("name", String(200), nullable=False, default=""),
    Column("email", String(254), nullable=False, default=""),  # what the reader typed
    # The address the reader proved is theirs (migration 4): replies by email go only here.
    Column("confirmed_email", String(254), nullable=False, default=""),
    Column("attributes", Text, nullable=False, default="{}"),
    Column("context", Text, nullable=False, default="{}"),
    Column("created_at", BigInteger, nullable=False),
    Column("last_seen", BigInteger, nullable=False),
)

conversations = Table(
    "chat_conversations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("reader_id", String(40), ForeignKey("chat_readers.id"), nullable=False),
    Column("status", String(16), nullable=False, default="open"),
    Column("assignee_id", Integer, ForeignKey("chat_operators.id")),
    Column("group_name", String(64), nullable=False, default=""),
    Column("article_id", String(300)),
    Column("article_lang", String(16)),
    Column("rating", String(16)),
    Column("email", String(254), nullable=False, default=""),  # where offline replies go
    Column("context", Text, nullable=False, default="{}"),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("last_message_id", Integer, nullable=False, default=0),
    Column("last_author", String(16), nullable=False, default=""),
    Column("reader_read_id", Integer, nullable=False, default=0),
    Column("operator_read_id", Integer, nullable=False, default=0),
    # status "snoozed" (migration 7): back to "open" at this time, or (NULL) when the
    # reader writes.
    Column("snoozed_until", BigInteger),
    Index("ix_chat_conversations_reader", "reader_id"),
    Index("ix_chat_conversations_inbox", "status", "updated_at"),
)

messages = Table(
    "chat_messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", Integer, ForeignKey("chat_conversations.id"), nullable=False),
    Column("author_kind", String(16), nullable=False),  # reader | operator | system
    Column("author_id", String(40), nullable=False),
    Column("internal", Boolean, nullable=False, default=False),  # a note: never shown to readers
    Column("body", Text, nullable=False),
    Column("client_id", String(64)),
    Column("created_at", BigInteger, nullable=False),
    Column("attachment_id", String(40)),  # added by migration 2
    # Resends of the same client message id by the same author are the same message.
    UniqueConstraint("author_kind", "author_id", "client_id", name="uq_chat_messages_client"),
    Index("ix_chat_messages_conversation", "conversation_id", "id"),
)

# What operators did to a conversation (migration 7), for its history: assigned, transferred,
# snoozed, closed, reopened; never shown to the reader.
actions = Table(
    "chat_conversation_actions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", Integer, ForeignKey("chat_conversations.id"), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("actor_id", Integer),  # the operator; NULL for the system (round-robin, a timer)
    Column("details", Text, nullable=False, default="{}"),  # JSON: to, group, until, note
    Column("created_at", BigInteger, nullable=False),
    Index("ix_chat_conversation_actions", "conversation_id", "id"),
)

ratings = Table(
    "chat_ratings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("article_id", String(300), nullable=False),
    Column("lang", String(16), nullable=False),
    Column("reader_id", String(64), nullable=False),
    Column("rating", String(16), nullable=False),  # happy | neutral | sad
    Column("commit", String(64), nullable=False, default=""),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    UniqueConstraint("article_id", "reader_id", name="uq_chat_ratings_reader"),
)

failed_searches = Table(
    "chat_failed_searches",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("lang", String(16), nullable=False),
    Column("query", String(200), nullable=False),  # normalised
    Column("count", Integer, nullable=False, default=0),
    Column("first_seen", BigInteger, nullable=False),
    Column("last_seen", BigInteger, nullable=False),
    Column("pages", Text, nullable=False, default="[]"),  # JSON list, most recent last
    Column("answered_by", String(300)),  # article id that now answers it
    UniqueConstraint("lang", "query", name="uq_chat_failed_searches_query"),
)

attachments = Table(
    "chat_attachments",
    metadata,
    Column("id", String(40), primary_key=True),  # random: also unguessable in URLs
    Column("conversation_id", Integer, ForeignKey("chat_conversations.id"), nullable=False),
    Column("uploader_kind", String(16), nullable=False),
    Column("uploader_id", String(40), nullable=False),
    Column("name", String(200), nullable=False),
    Column("content_type", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    # A keyed hash of the reader's client address, for the per-address daily quota
    # (migration 5); empty for operators.
    Column("uploader_address", String(64), nullable=False, default=""),
)

operator_sessions = Table(
    "chat_operator_sessions",
    metadata,
    # SHA-256 of the random id in the operator's cookie: a copy of this table (a backup, a
    # leaked dump) opens no session.
    Column("id_hash", String(64), primary_key=True),
    Column("operator_id", Integer, ForeignKey("chat_operators.id"), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("last_seen", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Index("ix_chat_operator_sessions_operator", "operator_id"),
    Index("ix_chat_operator_sessions_expires", "expires_at"),
)

# One row per open operator socket (migration 8): its process renews `expires_at` every few
# seconds and deletes the row when the socket closes. An operator is online only while one
# of their rows is unexpired, so a process killed without cleanup stops counting when its
# rows expire. `session_hash` lets a logout drop that session's sockets at once.
operator_sockets = Table(
    "chat_operator_sockets",
    metadata,
    Column("id", String(64), primary_key=True),  # random, one per socket
    Column("operator_id", Integer, ForeignKey("chat_operators.id"), nullable=False),
    Column("session_hash", String(64), nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("viewing", Integer),  # the conversation the page shows ("Anna is viewing")
    Index("ix_chat_operator_sockets_expires", "expires_at"),
    Index("ix_chat_operator_sockets_session", "session_hash"),
)


# Issue 10's customer work (migration 9). Tags an admin adds in the page (config.yml's
# chat.tags are not stored: they come from the configuration each start).
tags = Table(
    "chat_tags",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("colour", String(7), nullable=False, default=""),
    Column("description", String(200), nullable=False, default=""),
    Column("created_by", Integer, ForeignKey("chat_operators.id")),
    Column("created_at", BigInteger, nullable=False),
)

conversation_tags = Table(
    "chat_conversation_tags",
    metadata,
    Column("conversation_id", Integer, ForeignKey("chat_conversations.id"), primary_key=True),
    Column("tag", String(40), primary_key=True),
    Column("added_by", Integer, ForeignKey("chat_operators.id")),  # NULL: an automatic tag
    Column("added_at", BigInteger, nullable=False),
    Index("ix_chat_conversation_tags_tag", "tag", "conversation_id"),
)

# Lasting notes about a customer: they outlive every conversation.
customer_notes = Table(
    "chat_customer_notes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("reader_id", String(40), ForeignKey("chat_readers.id"), nullable=False),
    Column("author_id", Integer, ForeignKey("chat_operators.id"), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Index("ix_chat_customer_notes_reader", "reader_id"),
)

# A next-contact date with a note and an owner, on a customer and maybe one conversation.
reminders = Table(
    "chat_reminders",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("reader_id", String(40), ForeignKey("chat_readers.id"), nullable=False),
    Column("conversation_id", Integer, ForeignKey("chat_conversations.id")),
    Column("owner_id", Integer, ForeignKey("chat_operators.id"), nullable=False),
    Column("created_by", Integer, ForeignKey("chat_operators.id"), nullable=False),
    Column("due_at", BigInteger, nullable=False),
    Column("note", String(1000), nullable=False, default=""),
    Column("done_at", BigInteger),
    Column("notified_at", BigInteger),  # the owner was told it fell due (once per due date)
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Index("ix_chat_reminders_due", "done_at", "due_at"),
    Index("ix_chat_reminders_reader", "reader_id"),
)

# Revocable API tokens for scripts and the host product's back end. Only a SHA-256 of the
# token is kept: it is 32 random bytes, so no slow hash is needed, and a leaked table opens
# nothing.
api_tokens = Table(
    "chat_api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("operator_id", Integer, ForeignKey("chat_operators.id"), nullable=False),
    Column("label", String(100), nullable=False, default=""),
    Column("created_at", BigInteger, nullable=False),
    Column("last_used_at", BigInteger, nullable=False, default=0),
    Column("revoked_at", BigInteger),
)

# An operator's personal saved replies (the team's come from content/<lang>/_replies).
personal_replies = Table(
    "chat_personal_replies",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("operator_id", Integer, ForeignKey("chat_operators.id"), nullable=False),
    Column("lang", String(16), nullable=False),
    Column("shortcut", String(40), nullable=False),
    Column("title", String(120), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    UniqueConstraint("operator_id", "lang", "shortcut", name="uq_chat_personal_replies"),
)

# How often each article was read, per language and UTC day (days since the epoch). No reader,
# address or cookie is kept: a row is three keys and a count, so it says nothing about anyone.
article_views = Table(
    "chat_article_views",
    metadata,
    Column("article_id", String(300), primary_key=True),
    Column("lang", String(16), primary_key=True),
    Column("day", Integer, primary_key=True),
    Column("views", Integer, nullable=False, default=0),
    Index("ix_chat_article_views_day", "day", "lang"),
)

# Attachment bodies when CHAT_ATTACHMENTS_URL is `db` (blob_store.Database; migration 12):
# CHUNK-sized pieces, so a download reads one row at a time. No foreign key: the body is
# written before its chat_attachments row (no row without its body), and retention deletes
# both in one transaction.
attachment_bodies = Table(
    "chat_attachment_bodies",
    metadata,
    Column("attachment_id", String(40), primary_key=True),
    Column("chunk", Integer, primary_key=True),
    Column("data", LargeBinary, nullable=False),
)
