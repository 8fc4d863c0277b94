"""Store queries about customers (mixed into SqlStore): lasting notes and reminders.

A customer is a reader row: a signed-token reader of the help center, or a logged-in user of
the host product (`user_id`), whose attributes its back end may push (people.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from chat_server.store.base import Record
from chat_server.store.queries import Queries
from chat_server.store.rows import inserted_id, now_ms
from chat_server.store.schema import customer_notes, reminders

n = customer_notes.c
r = reminders.c


class CustomerQueries(Queries):
    async def customer_notes(self, reader_id: str) -> list[Record]:
        return await self._all(select(customer_notes).where(n.reader_id == reader_id)
                               .order_by(n.id.desc()))

    async def add_customer_note(self, reader_id: str, author_id: int, body: str) -> Record:
        stamp = now_ms()
        values = {"reader_id": reader_id, "author_id": author_id, "body": body,
                  "created_at": stamp, "updated_at": stamp}

        def write(conn: Connection) -> int:
            return inserted_id(conn.execute(insert(customer_notes).values(values)))

        return {"id": await self._transaction(write), **values}

    async def delete_customer_note(self, reader_id: str, note_id: int) -> bool:
        def write(conn: Connection) -> bool:
            return bool(conn.execute(delete(customer_notes).where(
                n.id == note_id, n.reader_id == reader_id)).rowcount)

        return await self._transaction(write)

    async def add_reminder(self, **fields: Any) -> Record:
        stamp = now_ms()
        values = {"done_at": None, "notified_at": None, "created_at": stamp,
                  "updated_at": stamp, **fields}

        def write(conn: Connection) -> int:
            return inserted_id(conn.execute(insert(reminders).values(values)))

        return {"id": await self._transaction(write), **values}

    async def get_reminder(self, reminder_id: int) -> Record | None:
        return await self._one(select(reminders).where(r.id == reminder_id))

    async def update_reminder(self, reminder_id: int, **fields: Any) -> Record | None:
        """Done, moved to another date (which is due afresh) or given to someone else."""
        if "due_at" in fields:
            fields["notified_at"] = None

        def write(conn: Connection) -> None:
            conn.execute(update(reminders).where(r.id == reminder_id)
                         .values(updated_at=now_ms(), **fields))

        await self._transaction(write)
        return await self.get_reminder(reminder_id)

    async def reminders(self, *, owner_id: int | None = None, reader_id: str | None = None,
                        due_before: int | None = None, due_from: int | None = None,
                        open_only: bool = True, limit: int = 500) -> list[Record]:
        query = select(reminders)
        if owner_id is not None:
            query = query.where(r.owner_id == owner_id)
        if reader_id is not None:
            query = query.where(r.reader_id == reader_id)
        if due_before is not None:
            query = query.where(r.due_at < due_before)
        if due_from is not None:
            query = query.where(r.due_at >= due_from)
        if open_only:
            query = query.where(r.done_at.is_(None))
        return await self._all(query.order_by(r.due_at, r.id).limit(limit))

    async def claim_due_reminders(self, now: int, limit: int = 100) -> list[Record]:
        """Open reminders that fell due and whose owner was not told yet, marked told in the
        same transaction, so of several processes only one tells (and mails) the owner."""
        def write(conn: Connection) -> list[Record]:
            due = [dict(row) for row in conn.execute(
                select(reminders).where(r.done_at.is_(None), r.notified_at.is_(None),
                                        r.due_at <= now)
                .order_by(r.due_at).limit(limit).with_for_update(skip_locked=True)
            ).mappings()]
            if due:
                conn.execute(update(reminders).where(r.id.in_([d["id"] for d in due]),
                                                     r.notified_at.is_(None))
                             .values(notified_at=now))
            return [{str(k): v for k, v in d.items()} for d in due]

        return await self._transaction(write)
