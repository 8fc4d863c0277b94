"""Retention: what the store keeps about people, and for how long (personal-data law).

A conversation whose last activity (`updated_at`) is older than N days is either

- **deleted**: its messages and notes, attachments (rows and files), search-index rows,
  tags, action history and the conversation itself (with its link to a rated article); a
  reminder that named it keeps its customer and loses the link; or
- **anonymised**: everything that can name a person goes, the shape stays for the team's
  reports. Every message and note text is replaced by ANONYMISED_TEXT: readers type their
  names, phones and order numbers into messages, and operators' replies greet them by
  name, so no text is safe to keep. The conversation moves to one shared reader with no
  name (ANONYMOUS_READER), its reader-side message authors and client ids with it; its
  email, page context and attachments are removed, its actions' details (notes, targets)
  emptied. What stays: when each message was written and by which side (which operator),
  status, group, assignee, tags and the article rating, so response times and request
  types still count.

Then, in both modes, a reader last seen before the cut-off with no conversation left and no
open reminder is removed: their row (name, email, attributes, page context), lasting
customer notes and done reminders; their article ratings stay for the article statistics,
re-keyed to a key of their own so they no longer lead to anyone.

The work runs in batches, each one transaction (on SQLite through the store's one writer,
so a running sidecar's messages go in between); attachment bodies are removed after their
rows are, from wherever CHAT_ATTACHMENTS_URL keeps them (in the rows' transaction when that
is the database).
On PostgreSQL an advisory lock keeps a command and a sidecar from working at once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, String, and_, cast, exists, func, literal, not_, select

from chat_server.blob_store import BlobStore, BlobUnavailable, Folder
from chat_server.store import Store
from chat_server.store import schema as t
from chat_server.store.queries import Queries
from chat_server.store.search_index import FTS_TABLE, RECENT_TABLE, message_terms

log = logging.getLogger(__name__)

MODES = ("delete", "anonymise")
DAY_MS = 24 * 3600 * 1000
ANONYMOUS_READER = "anonymised"  # never a real reader's id: those are random and longer
ANONYMISED_TEXT = "[anonymised]"
BATCH = 200  # conversations (or readers) per transaction
_PG_LOCK = 7347293  # pg_advisory_xact_lock key; migrations use 7347291


@dataclass(frozen=True)
class Policy:
    days: int
    mode: str = "delete"

    def __post_init__(self) -> None:
        if self.days < 1:
            raise ValueError("retention needs at least 1 day")
        if self.mode not in MODES:
            raise ValueError(f"retention mode is one of {', '.join(MODES)}, not {self.mode!r}")

    def cutoff(self, now_ms: int) -> int:
        return now_ms - self.days * DAY_MS


@dataclass
class Outcome:
    """What a run removed or anonymised (or, in a dry run, would)."""

    conversations: int = 0
    messages: int = 0
    attachments: int = 0
    readers: int = 0

    def add(self, other: Outcome) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def describe(self, mode: str, dry_run: bool = False) -> str:
        verb = {"delete": "deleted", "anonymise": "anonymised"}[mode]
        would = "would be " if dry_run else ""
        return (f"{self.conversations} conversations {would}{verb} ({self.messages} messages, "
                f"{self.attachments} attachments); {self.readers} readers {would}removed")


async def apply(store: Store, policy: Policy, data_dir: Path, now_ms: int,
                dry_run: bool = False, blobs: BlobStore | None = None) -> Outcome:
    """Delete or anonymise what is older than the policy allows; the attachment bodies go
    last, from `blobs` (default: the data folder's)."""
    sql = _sql(store)
    cutoff = policy.cutoff(now_ms)
    if dry_run:
        async with sql.engine.connect() as conn:
            return await conn.run_sync(_count, cutoff, policy.mode)
    total = Outcome()
    while True:
        done, files = await sql._transaction(
            lambda conn: _conversation_batch(conn, cutoff, policy.mode))
        await _remove_bodies(blobs or Folder(data_dir / "attachments"), files)
        total.add(done)
        if done.conversations < BATCH:
            break
    while (readers := await sql._transaction(lambda conn: _reader_batch(conn, cutoff))):
        total.readers += readers
        if readers < BATCH:
            break
    return total


def _sql(store: Store) -> Queries:
    if not isinstance(store, Queries):
        raise TypeError("retention works on the SQL store (SQLite or PostgreSQL)")
    return store


# --- conversations --------------------------------------------------------------------------


def _old_conversations(cutoff: int, mode: str) -> Any:
    query = select(t.conversations.c.id).where(t.conversations.c.updated_at < cutoff)
    if mode == "anonymise":  # an anonymised one already belongs to the anonymous reader
        query = query.where(t.conversations.c.reader_id != ANONYMOUS_READER)
    return query


def _conversation_batch(conn: Connection, cutoff: int, mode: str) -> tuple[Outcome, list[str]]:
    _lock(conn)
    ids = list(conn.execute(_old_conversations(cutoff, mode).order_by(t.conversations.c.id)
                            .limit(BATCH)).scalars())
    if not ids:
        return Outcome(), []
    messages = conn.execute(select(t.messages.c.id, t.messages.c.body)
                            .where(t.messages.c.conversation_id.in_(ids))).all()
    _unindex(conn, [(int(m.id), str(m.body)) for m in messages])
    files = _drop_attachments(conn, ids)
    conn.execute(t.reminders.update().where(t.reminders.c.conversation_id.in_(ids))
                 .values(conversation_id=None))
    if mode == "delete":
        _delete_conversations(conn, ids)
    else:
        _anonymise_conversations(conn, ids)
    return Outcome(conversations=len(ids), messages=len(messages), attachments=len(files)), files


def _drop_attachments(conn: Connection, ids: list[int]) -> list[str]:
    where = t.attachments.c.conversation_id.in_(ids)
    names = [str(n) for n in conn.execute(select(t.attachments.c.id).where(where)).scalars()]
    conn.execute(t.messages.update().where(t.messages.c.conversation_id.in_(ids),
                                           t.messages.c.attachment_id.is_not(None))
                 .values(attachment_id=None))
    conn.execute(t.attachments.delete().where(where))
    # Bodies kept in the database (CHAT_ATTACHMENTS_URL=db) go in the same transaction.
    conn.execute(t.attachment_bodies.delete().where(
        t.attachment_bodies.c.attachment_id.in_(names)))
    return names


def _delete_conversations(conn: Connection, ids: list[int]) -> None:
    for table in (t.messages, t.actions, t.conversation_tags):
        conn.execute(table.delete().where(table.c.conversation_id.in_(ids)))
    conn.execute(t.conversations.delete().where(t.conversations.c.id.in_(ids)))


def _anonymise_conversations(conn: Connection, ids: list[int]) -> None:
    _ensure_anonymous_reader(conn)
    in_batch = t.messages.c.conversation_id.in_(ids)
    conn.execute(t.messages.update().where(in_batch)
                 .values(body=ANONYMISED_TEXT, client_id=None))
    conn.execute(t.messages.update().where(in_batch, t.messages.c.author_kind == "reader")
                 .values(author_id=ANONYMOUS_READER))
    conn.execute(t.actions.update().where(t.actions.c.conversation_id.in_(ids))
                 .values(details="{}"))
    conn.execute(t.conversations.update().where(t.conversations.c.id.in_(ids))
                 .values(reader_id=ANONYMOUS_READER, email="", context="{}"))


def _ensure_anonymous_reader(conn: Connection) -> None:
    found = conn.execute(select(t.readers.c.id).where(t.readers.c.id == ANONYMOUS_READER))
    if found.first() is None:
        conn.execute(t.readers.insert().values(id=ANONYMOUS_READER, created_at=0, last_seen=0,
                                               name="", email="", attributes="{}",
                                               context="{}", confirmed_email=""))


def _unindex(conn: Connection, messages: Sequence[tuple[int, str]]) -> None:
    """Take messages out of SQLite's search index (PostgreSQL's column follows the body).
    The FTS5 table is contentless: a row is deleted by giving back the terms it was given,
    and only a row that is there (not still in the recent table) may be deleted so."""
    if conn.dialect.name != "sqlite":
        return
    for message_id, body in messages:
        moved = conn.exec_driver_sql(f"DELETE FROM {RECENT_TABLE} WHERE message_id = ?",
                                     (message_id,)).rowcount
        if not moved:
            conn.exec_driver_sql(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, terms) "
                                 "VALUES ('delete', ?, ?)", (message_id, message_terms(body)))


# --- readers --------------------------------------------------------------------------------


def _stale_readers(cutoff: int, keep_newer: bool = False) -> Any:
    """Readers last seen before the cut-off with no conversation (or, for a dry run, none
    inside the window) and no open reminder."""
    r = t.readers.c
    conversation = t.conversations.c.reader_id == r.id
    if keep_newer:
        conversation = and_(conversation, t.conversations.c.updated_at >= cutoff)
    return select(r.id).where(
        r.last_seen < cutoff, r.id != ANONYMOUS_READER,
        not_(exists().where(conversation)),
        not_(exists().where(t.reminders.c.reader_id == r.id, t.reminders.c.done_at.is_(None))))


def _reader_batch(conn: Connection, cutoff: int) -> int:
    _lock(conn)
    ids = [str(i) for i in conn.execute(_stale_readers(cutoff).limit(BATCH)).scalars()]
    if not ids:
        return 0
    conn.execute(t.customer_notes.delete().where(t.customer_notes.c.reader_id.in_(ids)))
    conn.execute(t.reminders.delete().where(t.reminders.c.reader_id.in_(ids)))
    # A key per rating keeps (article, reader) unique and counts it, and leads nowhere.
    conn.execute(t.ratings.update().where(t.ratings.c.reader_id.in_(ids))
                 .values(reader_id=literal("gone:") + cast(t.ratings.c.id, String)))
    conn.execute(t.readers.delete().where(t.readers.c.id.in_(ids)))
    return len(ids)


# --- shared ---------------------------------------------------------------------------------


def _count(conn: Connection, cutoff: int, mode: str) -> Outcome:
    old = _old_conversations(cutoff, mode).subquery()
    count = func.count()
    return Outcome(
        conversations=int(conn.execute(select(count).select_from(old)).scalar_one()),
        messages=int(conn.execute(select(count).where(
            t.messages.c.conversation_id.in_(select(old.c.id)))).scalar_one()),
        attachments=int(conn.execute(select(count).where(
            t.attachments.c.conversation_id.in_(select(old.c.id)))).scalar_one()),
        readers=int(conn.execute(select(count).select_from(
            _stale_readers(cutoff, keep_newer=True).subquery())).scalar_one()))


def _lock(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK})")


async def _remove_bodies(blobs: BlobStore, names: list[str]) -> None:
    """The rows are gone already: a body that cannot be removed now is named in the log,
    for the operator to remove by hand, and the run goes on."""
    for name in names:
        try:
            await blobs.delete(name)  # refuses a name that is not an attachment id
        except (ValueError, BlobUnavailable, OSError) as exc:
            log.error("retention: attachment %s not removed from the %s store: %s", name,
                      blobs.name, exc)


def policy_of(days: int, mode: str) -> Policy | None:
    """chat.retention as the settings hold it: no days, no retention."""
    return Policy(days, mode) if days else None
