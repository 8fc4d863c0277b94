"""The store on SQLAlchemy 2 Core (async): SQLite (aiosqlite) or PostgreSQL (asyncpg).

Every write runs in its own transaction that is committed before the method returns, so a
caller that acknowledges or broadcasts after `await` only ever announces durable data.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import event, func, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from chat_server.store import migrations
from chat_server.store.base import Record
from chat_server.store.batch import GroupCommit
from chat_server.store.feedback import FeedbackQueries
from chat_server.store.people import PeopleQueries
from chat_server.store.rows import now_ms, to_record
from chat_server.store.schema import attachments, conversations, messages, visitors


def async_url(url: str) -> str:
    """Pick the async driver for a plain `sqlite:///` or `postgresql://` URL."""
    parsed = make_url(url)
    driver = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg",
              "postgres": "postgresql+asyncpg"}.get(parsed.drivername, parsed.drivername)
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


class SqlStore(PeopleQueries, FeedbackQueries):
    def __init__(self, url: str, schema: str | None = None) -> None:
        parsed = make_url(async_url(url))
        # sqlite:///chat.db?synchronous=normal trades power-loss durability of the last
        # commits for speed; a killed process still loses nothing in WAL mode.
        synchronous = str(parsed.query.get("synchronous", "full")).upper()
        if synchronous not in ("FULL", "NORMAL", "EXTRA"):
            raise ValueError("synchronous must be full, normal or extra")
        self.url = parsed.difference_update_query(["synchronous"]).render_as_string(
            hide_password=False)
        connect_args: dict[str, Any] = {}
        self.is_sqlite = self.url.startswith("sqlite")
        if schema and not self.is_sqlite:
            # A PostgreSQL schema per deployment (or per test run) through search_path.
            connect_args["server_settings"] = {"search_path": schema}
        self.engine: AsyncEngine = create_async_engine(self.url, connect_args=connect_args)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas(synchronous))
        # SQLite has one writer per file: queue writers here instead of spinning on
        # "database is locked". PostgreSQL handles concurrent writers itself.
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        self._group = GroupCommit(self._write) if self.is_sqlite else None

    @contextlib.asynccontextmanager
    async def _write(self) -> AsyncIterator[AsyncConnection]:
        lock = self._write_lock or contextlib.nullcontext()
        async with lock, self.engine.begin() as conn:
            yield conn

    async def migrate(self) -> list[int]:
        async with self._write() as conn:
            return await conn.run_sync(migrations.migrate)

    async def close(self) -> None:
        if self._group is not None:
            await self._group.close()
        await self.engine.dispose()

    async def _one(self, query: Any) -> Record | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).mappings().first()
        return to_record(row) if row else None

    async def _all(self, query: Any) -> list[Record]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [to_record(r) for r in rows]

    # --- conversations and messages ------------------------------------------------------
    async def _message_by_client(
        self, conn: AsyncConnection, author_kind: str, author_id: str, client_id: str | None
    ) -> Record | None:
        if client_id is None:
            return None
        query = select(messages).where(
            messages.c.author_kind == author_kind,
            messages.c.author_id == author_id,
            messages.c.client_id == client_id,
        )
        row = (await conn.execute(query)).mappings().first()
        return to_record(row) if row else None

    async def start_conversation(
        self, visitor_id: str, client_id: str, body: str, **fields: Any
    ) -> tuple[Record, Record, bool]:
        """Create a conversation with its first message; a resend returns the original."""
        try:
            async with self._write() as conn:
                existing = await self._message_by_client(conn, "visitor", visitor_id, client_id)
                if existing is None:
                    stamp = now_ms()
                    if "context" in fields:
                        fields["context"] = json.dumps(fields["context"], ensure_ascii=False)
                    result = await conn.execute(conversations.insert().values(
                        visitor_id=visitor_id, status="open", created_at=stamp,
                        updated_at=stamp, **fields,
                    ))
                    conversation_id = result.inserted_primary_key[0]
                    message = await self._insert_message(
                        conn, conversation_id, "visitor", visitor_id, body, client_id, False
                    )
                    created = True
        except IntegrityError:  # the same client id raced in from another tab
            existing = None
            async with self.engine.connect() as conn:
                existing = await self._message_by_client(conn, "visitor", visitor_id, client_id)
            if existing is None:
                raise
        if existing is not None:
            message, created = existing, False
        conversation = await self.get_conversation(message["conversation_id"])
        assert conversation is not None
        return conversation, message, created

    async def add_message(
        self,
        conversation_id: int,
        author_kind: str,
        author_id: str,
        body: str,
        client_id: str | None = None,
        internal: bool = False,
        attachment_id: str | None = None,
    ) -> tuple[Record, bool]:
        """Append a message (idempotent by client id); returns (message, created)."""
        message, created, _conversation = await self.post_message(
            conversation_id, author_kind, author_id, body, client_id, internal, attachment_id)
        return message, created

    def _insert(self, table: Any) -> Any:
        """INSERT with ON CONFLICT: the same construct in both dialects, so a resend costs
        no extra query and no failed transaction."""
        if self.is_sqlite:
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert  # type: ignore[assignment]
        return insert(table)

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
        """Append a message in as few round trips as possible: (message, created, the
        conversation after it). A resend of a client id returns the original message."""
        stamp = now_ms()
        fields = {"conversation_id": conversation_id, "author_kind": author_kind,
                  "author_id": author_id, "internal": internal, "body": body,
                  "client_id": client_id, "created_at": stamp, "attachment_id": attachment_id}
        insert = self._insert(messages).values(**fields).on_conflict_do_nothing().returning(
            messages.c.id)
        if self._group is not None:
            return await self._group.run(lambda conn: self._post_in(conn, fields, insert))
        try:
            async with self._write() as conn:
                if not self.is_sqlite:
                    # Lock the conversation's row first: its messages then get ids in commit
                    # order and "resume after id N" never skips one. (SQLite has one writer.)
                    locked = await conn.execute(update(conversations).where(
                        conversations.c.id == conversation_id).values(updated_at=stamp))
                    if locked.rowcount != 1:
                        raise LookupError(f"no conversation {conversation_id}")
                new_id = (await conn.execute(insert)).scalar_one_or_none()
                if new_id is not None:
                    values: dict[str, Any] = {"updated_at": stamp}
                    if not internal:  # a note is not what the reader last saw
                        values.update(last_author=author_kind, last_message_id=new_id)
                    row = (await conn.execute(update(conversations).where(
                        conversations.c.id == conversation_id).values(**values).returning(
                        *conversations.c))).mappings().first()
                    if row is None:
                        raise LookupError(f"no conversation {conversation_id}")
                    return {**fields, "id": new_id}, True, to_record(row)
        except IntegrityError as exc:  # SQLite's foreign key: no such conversation
            raise LookupError(f"no conversation {conversation_id}") from exc
        async with self.engine.connect() as conn:
            existing = await self._message_by_client(conn, author_kind, author_id, client_id)
        conversation = await self.get_conversation(conversation_id)
        if existing is None or conversation is None:
            raise LookupError(f"no conversation {conversation_id}")
        return existing, False, conversation

    async def _insert_message(
        self, conn: AsyncConnection, conversation_id: int, author_kind: str, author_id: str,
        body: str, client_id: str | None, internal: bool, attachment_id: str | None = None,
    ) -> Record:
        stamp = now_ms()
        # Updating the conversation first takes its row lock on PostgreSQL, so messages of
        # one conversation get ids in commit order and "resume after id N" never skips one.
        values: dict[str, Any] = {"updated_at": stamp}
        if not internal:
            values["last_author"] = author_kind
        touched = await conn.execute(
            update(conversations).where(conversations.c.id == conversation_id).values(**values)
        )
        if touched.rowcount != 1:
            raise LookupError(f"no conversation {conversation_id}")
        result = await conn.execute(messages.insert().values(
            conversation_id=conversation_id, author_kind=author_kind, author_id=author_id,
            internal=internal, body=body, client_id=client_id, created_at=stamp,
            attachment_id=attachment_id,
        ))
        message_id = result.inserted_primary_key[0]
        if not internal:
            await conn.execute(update(conversations).where(
                conversations.c.id == conversation_id).values(last_message_id=message_id))
        return {
            "id": message_id, "conversation_id": conversation_id, "author_kind": author_kind,
            "author_id": author_id, "internal": internal, "body": body, "client_id": client_id,
            "created_at": stamp, "attachment_id": attachment_id,
        }

    async def _post_in(self, conn: AsyncConnection, fields: dict[str, Any], insert: Any
                       ) -> tuple[Record, bool, Record] | Exception:
        """One message of a SQLite group commit; a failure is returned for its writer alone
        (SQLite undoes just the failed statement, the batch goes on)."""
        conversation_id = fields["conversation_id"]
        try:
            new_id = (await conn.execute(insert)).scalar_one_or_none()
        except IntegrityError:
            return LookupError(f"no conversation {conversation_id}")
        where = conversations.c.id == conversation_id
        if new_id is None:
            existing = await self._message_by_client(
                conn, fields["author_kind"], fields["author_id"], fields["client_id"])
            row = (await conn.execute(select(conversations).where(where))).mappings().first()
            if existing is None or row is None:
                return LookupError(f"no conversation {conversation_id}")
            return existing, False, to_record(row)
        values: dict[str, Any] = {"updated_at": fields["created_at"]}
        if not fields["internal"]:
            values.update(last_author=fields["author_kind"], last_message_id=new_id)
        row = (await conn.execute(update(conversations).where(where).values(**values).returning(
            *conversations.c))).mappings().first()
        return {**fields, "id": new_id}, True, to_record(row)

    async def get_conversation(self, conversation_id: int) -> Record | None:
        query = select(conversations).where(conversations.c.id == conversation_id)
        return await self._one(query)

    async def update_conversation(self, conversation_id: int, **fields: Any) -> Record:
        if "context" in fields:
            fields["context"] = json.dumps(fields["context"], ensure_ascii=False)
        fields.setdefault("updated_at", now_ms())
        async with self._write() as conn:
            await conn.execute(update(conversations).where(
                conversations.c.id == conversation_id).values(**fields))
        found = await self.get_conversation(conversation_id)
        if found is None:
            raise LookupError(f"no conversation {conversation_id}")
        return found

    async def visitor_conversations(self, visitor_id: str) -> list[Record]:
        return await self._all(select(conversations).where(
            conversations.c.visitor_id == visitor_id).order_by(conversations.c.id.desc()))

    def _inbox_filter(self, view: str, operator_id: int) -> list[Any]:
        c = conversations.c
        return {
            "unassigned": [c.status == "open", c.assignee_id.is_(None)],
            "mine": [c.status == "open", c.assignee_id == operator_id],
            "open": [c.status == "open"],
            "closed": [c.status == "closed"],
            "all": [],
        }[view]

    async def inbox(self, view: str, operator_id: int, limit: int = 100) -> list[Record]:
        query = (
            select(conversations, visitors.c.name.label("visitor_name"),
                   visitors.c.email.label("visitor_email"))
            .join(visitors, visitors.c.id == conversations.c.visitor_id)
            .where(*self._inbox_filter(view, operator_id))
            .order_by(conversations.c.updated_at.desc(), conversations.c.id.desc())
            .limit(limit)
        )
        return await self._all(query)

    async def inbox_counts(self, operator_id: int) -> dict[str, int]:
        counts = {}
        async with self.engine.connect() as conn:
            for view in ("unassigned", "mine", "open", "closed"):
                query = select(func.count()).select_from(conversations).where(
                    *self._inbox_filter(view, operator_id))
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
        async with self._write() as conn:
            await conn.execute(attachments.insert().values(**record, created_at=now_ms()))

    async def get_attachments(self, ids: list[str]) -> dict[str, Record]:
        if not ids:
            return {}
        rows = await self._all(select(attachments).where(attachments.c.id.in_(ids)))
        return {row["id"]: row for row in rows}

    async def mark_read(self, conversation_id: int, side: str, message_id: int) -> int:
        column = {"visitor": conversations.c.visitor_read_id,
                  "operator": conversations.c.operator_read_id}[side]
        async with self._write() as conn:
            # Read marks only move forward, whatever order the frames arrive in.
            await conn.execute(update(conversations).where(
                conversations.c.id == conversation_id, column < message_id,
            ).values({column.name: message_id}))
            value = (await conn.execute(select(column).where(
                conversations.c.id == conversation_id))).scalar_one_or_none()
        return int(value or 0)


def _sqlite_pragmas(synchronous: str) -> Any:
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
