"""Store queries for conversations and their messages (mixed into SqlStore).

Writes are plain functions of a sync `Connection`, run in a transaction by `_transaction`:
on SQLite in the writer's group commit, on PostgreSQL through `run_sync` on the async
connection.
"""

from __future__ import annotations

import functools
import json
from typing import Any, TypeVar

from sqlalchemy import Connection, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError

from chat_server.store.base import Record
from chat_server.store.queries import Queries
from chat_server.store.rows import inserted_id, now_ms, to_record
from chat_server.store.schema import (
    attachments,
    conversation_tags,
    conversations,
    messages,
    readers,
)
from chat_server.store.search_index import index_message

T = TypeVar("T")
PREVIEW_CHARS = 120


class MessageQueries(Queries):

    async def start_conversation(
        self, reader_id: str, client_id: str, body: str, **fields: Any
    ) -> tuple[Record, Record, bool]:
        """Create a conversation with its first message; a resend returns the original."""
        if "context" in fields:
            fields["context"] = json.dumps(fields["context"], ensure_ascii=False)
        try:
            return await self._transaction(functools.partial(
                _start, reader_id=reader_id, client_id=client_id, body=body, fields=fields))
        except IntegrityError:  # the same client id raced in from another tab (PostgreSQL)
            existing = await self._one(_by_client("reader", reader_id, client_id))
            if existing is None:
                raise
        conversation = await self.get_conversation(existing["conversation_id"])
        assert conversation is not None
        return conversation, existing, False

    async def post_message(
        self,
        conversation_id: int,
        author_kind: str,
        author_id: str,
        body: str,
        client_id: str | None = None,
        internal: bool = False,
        attachment_id: str | None = None,
    ) -> tuple[Record, bool, Record]:
        """Append a message: (message, created, the conversation after it). A resend of a
        client id returns the original message."""
        fields = {"conversation_id": conversation_id, "author_kind": author_kind,
                  "author_id": author_id, "internal": internal, "body": body,
                  "client_id": client_id, "created_at": now_ms(),
                  "attachment_id": attachment_id}
        # A missing conversation is a LookupError from either write; any other error (a
        # failed commit of the batch) stays what it is.
        if self.is_sqlite:
            return await self._post_sqlite(fields)
        posted = await self._post_postgres(fields)
        if posted is not None:
            message, conversation = posted
            return message, True, conversation
        # Nothing inserted: a resend, or no such conversation; post_core tells which.
        return await self._transaction(functools.partial(post_core, fields=fields))

    async def get_conversation(self, conversation_id: int) -> Record | None:
        query = select(conversations).where(conversations.c.id == conversation_id)
        return await self._one(query)

    async def update_conversation(self, conversation_id: int, **fields: Any) -> Record:
        if "context" in fields:
            fields["context"] = json.dumps(fields["context"], ensure_ascii=False)
        fields.setdefault("updated_at", now_ms())
        query = update(conversations).where(conversations.c.id == conversation_id).values(
            **fields).returning(*conversations.c)
        found = await self._transaction(lambda conn: _first(conn, query))
        if found is None:
            raise LookupError(f"no conversation {conversation_id}")
        return found

    async def reader_conversations(self, reader_id: str) -> list[Record]:
        return await self._all(select(conversations).where(
            conversations.c.reader_id == reader_id).order_by(conversations.c.id.desc()))

    async def inbox(self, view: str, operator_id: int, limit: int = 100, offset: int = 0,
                    sort: str = "recent", ids: list[int] | None = None,
                    tag: str | None = None) -> list[Record]:
        """One page of a view as rows of the operator's list: the conversation, who the
        reader is, the last message's first words, how many of the reader's messages no
        operator has read, and since when the reader has waited for an answer. `tag`: only
        the conversations that have it."""
        c = conversations.c
        where = _inbox_filter(view, operator_id)
        if ids is not None:
            where = [c.id.in_(ids)]
        if tag is not None:
            tagged = conversation_tags.c
            where.append(c.id.in_(select(tagged.conversation_id).where(tagged.tag == tag)))
        waiting = _waiting_since()
        order = ([waiting.is_(None), waiting.asc(), c.id.asc()] if sort == "waiting"
                 else [c.updated_at.desc(), c.id.desc()])
        query = (
            select(conversations, readers.c.name.label("reader_name"),
                   readers.c.email.label("reader_email"),
                   readers.c.attributes.label("reader_attributes"),
                   _preview().label("preview"), _unread().label("unread"),
                   waiting.label("waiting_since"))
            .join(readers, readers.c.id == c.reader_id)
            .where(*where).order_by(*order).limit(limit).offset(offset)
        )
        return await self._all(query)

    async def inbox_counts(self, operator_id: int) -> dict[str, int]:
        counts = {}
        async with self.engine.connect() as conn:
            for view in ("unassigned", "mine", "open", "snoozed", "closed"):
                query = select(func.count()).select_from(conversations).where(
                    *_inbox_filter(view, operator_id))
                counts[view] = (await conn.execute(query)).scalar_one()
        return counts

    async def messages_after(
        self, conversation_id: int, after_id: int = 0, internal: bool = False, limit: int = 500
    ) -> list[Record]:
        query = select(messages).where(
            messages.c.conversation_id == conversation_id, messages.c.id > after_id
        )
        if not internal:
            query = query.where(messages.c.internal.is_(False))
        return await self._all(query.order_by(messages.c.id).limit(limit))

    async def add_attachment(self, record: Record) -> None:
        query = attachments.insert().values(**record, created_at=now_ms())
        await self._transaction(lambda conn: conn.execute(query))

    async def get_attachments(self, ids: list[str]) -> dict[str, Record]:
        if not ids:
            return {}
        rows = await self._all(select(attachments).where(attachments.c.id.in_(ids)))
        return {row["id"]: row for row in rows}

    async def attachment_usage(self, since: int, reader_id: str, address: str) -> Record:
        """Bytes taken by attachments: `total`, and since `since` (epoch ms) those a reader
        uploaded (`reader`) and those uploaded from one client address (`address`)."""
        a = attachments.c

        def size(*where: Any) -> Any:
            return select(func.coalesce(func.sum(a.size), 0)).where(*where).scalar_subquery()

        by_readers = (a.uploader_kind == "reader", a.created_at >= since)
        query = select(size().label("total"),
                       size(*by_readers, a.uploader_id == reader_id).label("reader"),
                       size(*by_readers, a.uploader_address == address).label("address"))
        found = await self._one(query)
        assert found is not None
        return {key: int(value) for key, value in found.items()}

    async def mark_read(self, conversation_id: int, side: str, message_id: int) -> int:
        column = {"reader": conversations.c.reader_read_id,
                  "operator": conversations.c.operator_read_id}[side]
        where = conversations.c.id == conversation_id

        def write(conn: Connection) -> int:
            # Read marks only move forward, whatever order the frames arrive in.
            conn.execute(update(conversations).where(where, column < message_id).values(
                {column.name: message_id}))
            return int(conn.execute(select(column).where(where)).scalar_one_or_none() or 0)

        return await self._transaction(write)


# --- writes: functions of a sync connection, inside the caller's transaction ---------------
def post_core(conn: Connection, fields: dict[str, Any]) -> tuple[Record, bool, Record]:
    """store/sqlite/messages.py's `post` for PostgreSQL, where several processes write: the
    slow path, for what the one-statement write (store/postgres/messages.py) inserted
    nothing for, a resend or a missing conversation."""
    conversation_id = fields["conversation_id"]
    where = conversations.c.id == conversation_id
    # Lock the conversation's row first: its messages then get ids in commit order and
    # "resume after id N" never skips one.
    locked = conn.execute(update(conversations).where(where).values(
        updated_at=fields["created_at"]))
    if locked.rowcount != 1:
        raise LookupError(f"no conversation {conversation_id}")
    insert = pg_insert(messages).values(**fields).on_conflict_do_nothing().returning(
        messages.c.id)
    new_id = conn.execute(insert).scalar_one_or_none()
    if new_id is None:  # a resend: the original message
        existing = _first(conn, _by_client(fields["author_kind"], fields["author_id"],
                                           fields["client_id"]))
        conversation = _first(conn, select(conversations).where(where))
        if existing is None or conversation is None:
            raise LookupError(f"no conversation {conversation_id}")
        return existing, False, conversation
    values: dict[str, Any] = {"updated_at": fields["created_at"]}
    if not fields["internal"]:  # a note is not what the reader last saw
        values.update(last_author=fields["author_kind"], last_message_id=new_id)
    conversation = _first(conn, update(conversations).where(where).values(**values).returning(
        *conversations.c))
    assert conversation is not None
    return {**fields, "id": new_id}, True, conversation


def _start(conn: Connection, reader_id: str, client_id: str, body: str,
           fields: dict[str, Any]) -> tuple[Record, Record, bool]:
    existing = _first(conn, _by_client("reader", reader_id, client_id))
    if existing is not None:
        message, created = existing, False
    else:
        stamp = now_ms()
        result = conn.execute(conversations.insert().values(
            reader_id=reader_id, status="open", created_at=stamp, updated_at=stamp,
            **fields))
        message = _insert_message(conn, inserted_id(result), reader_id, body,
                                  client_id, stamp)
        created = True
    conversation = _first(conn, select(conversations).where(
        conversations.c.id == message["conversation_id"]))
    assert conversation is not None
    return conversation, message, created


def _insert_message(conn: Connection, conversation_id: int, reader_id: str, body: str,
                    client_id: str, stamp: int) -> Record:
    """A new conversation's first message, from its reader."""
    fields = {"conversation_id": conversation_id, "author_kind": "reader",
              "author_id": reader_id, "internal": False, "body": body,
              "client_id": client_id, "created_at": stamp, "attachment_id": None}
    message_id = inserted_id(conn.execute(messages.insert().values(**fields)))
    index_message(conn, message_id, body)
    conn.execute(update(conversations).where(conversations.c.id == conversation_id).values(
        last_author="reader", last_message_id=message_id))
    return {**fields, "id": message_id}


def _by_client(author_kind: str, author_id: str, client_id: str | None) -> Any:
    return select(messages).where(
        messages.c.author_kind == author_kind,
        messages.c.author_id == author_id,
        messages.c.client_id == client_id,
    )


def _first(conn: Connection, query: Any) -> Record | None:
    row = conn.execute(query).mappings().first()
    return to_record(row) if row else None


def _preview() -> Any:
    """The last message's first words (a file's message body is its name)."""
    m = messages.alias("last")
    return (select(func.substr(m.c.body, 1, PREVIEW_CHARS))
            .where(m.c.id == conversations.c.last_message_id)
            .correlate(conversations).scalar_subquery())


def _unread() -> Any:
    m = messages.alias("unread")
    return (select(func.count()).select_from(m)
            .where(m.c.conversation_id == conversations.c.id, m.c.author_kind == "reader",
                   m.c.id > conversations.c.operator_read_id)
            .correlate(conversations).scalar_subquery())


def _waiting_since() -> Any:
    """When the reader's first message after the last answer (a reply, not a note) was
    written; NULL when the last word is the team's or the conversation is not open."""
    m, answer = messages.alias("waiting"), messages.alias("answer")
    last_answer = (select(func.coalesce(func.max(answer.c.id), 0))
                   .where(answer.c.conversation_id == conversations.c.id,
                          answer.c.author_kind == "operator", answer.c.internal.is_(False))
                   .correlate(conversations).scalar_subquery())
    return (select(func.min(m.c.created_at))
            .where(m.c.conversation_id == conversations.c.id, m.c.author_kind == "reader",
                   m.c.id > last_answer, conversations.c.status == "open")
            .correlate(conversations).scalar_subquery())


def _inbox_filter(view: str, operator_id: int) -> list[Any]:
    c = conversations.c
    return {
        "unassigned": [c.status == "open", c.assignee_id.is_(None)],
        "mine": [c.status == "open", c.assignee_id == operator_id],
        "open": [c.status == "open"],
        "snoozed": [c.status == "snoozed"],
        "closed": [c.status == "closed"],
        "all": [],
    }[view]
