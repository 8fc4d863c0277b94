"""Store queries for teamwork (mixed into SqlStore): who takes a conversation next, the
queues, snoozes that are due, and each conversation's history of actions."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, func, select, update

from chat_server.store.base import Record
from chat_server.store.queries import Queries
from chat_server.store.rows import inserted_id, now_ms, to_record
from chat_server.store.schema import actions, conversations, operators

c = conversations.c


class TeamQueries(Queries):
    async def add_action(self, conversation_id: int, kind: str, actor_id: int | None,
                         details: dict[str, Any] | None = None) -> Record:
        values = {"conversation_id": conversation_id, "kind": kind, "actor_id": actor_id,
                  "details": json.dumps(details or {}, ensure_ascii=False),
                  "created_at": now_ms()}

        def write(conn: Connection) -> Record:
            new_id = inserted_id(conn.execute(actions.insert().values(values)))
            return to_record({"id": new_id, **values})

        return await self._transaction(write)

    async def actions(self, conversation_id: int) -> list[Record]:
        return await self._all(select(actions).where(actions.c.conversation_id == conversation_id)
                               .order_by(actions.c.id))

    async def open_assigned(self, operator_ids: list[int]) -> dict[int, int]:
        """How many open conversations each operator has (round-robin's capacity)."""
        query = (select(c.assignee_id, func.count()).where(
            c.status == "open", c.assignee_id.in_(operator_ids)).group_by(c.assignee_id))
        async with self.engine.connect() as conn:
            counted = {int(row[0]): int(row[1]) for row in await conn.execute(query)}
        return {op: counted.get(op, 0) for op in operator_ids}

    async def claim(self, conversation_id: int, operator_id: int,
                    capacity: int | None = None) -> Record | None:
        """Give an open, unassigned conversation to an operator who has fewer than
        `capacity` open ones, unless someone (another process's round-robin, an operator's
        click) took it first or the operator is full: then None. On PostgreSQL the operator's
        row is locked first, so two processes claiming for one operator at once count each
        other's claim and capacity holds."""
        stamp = now_ms()
        where = [c.id == conversation_id, c.assignee_id.is_(None), c.status == "open"]
        if capacity is not None:
            load = (select(func.count()).select_from(conversations)
                    .where(c.assignee_id == operator_id, c.status == "open").scalar_subquery())
            where.append(load < capacity)
        query = (update(conversations).where(*where)
                 .values(assignee_id=operator_id, updated_at=stamp)
                 .returning(*conversations.c))
        lock = select(operators.c.id).where(operators.c.id == operator_id).with_for_update()
        mark = (update(operators).where(operators.c.id == operator_id)
                .values(last_assigned_at=stamp))

        def write(conn: Connection) -> Record | None:
            if conn.dialect.name == "postgresql":
                conn.execute(lock)
            row = _first_row(conn, query)
            if row is not None:
                conn.execute(mark)
            return row

        return await self._transaction(write)

    async def queue(self, group: str, limit: int = 50) -> list[Record]:
        """A group's open conversations nobody has, the longest waiting first."""
        return await self._all(select(conversations).where(
            c.status == "open", c.assignee_id.is_(None), c.group_name == group)
            .order_by(c.created_at, c.id).limit(limit))

    async def unsnooze(self, conversation_id: int) -> Record | None:
        """A snoozed conversation back to open; None when it is not snoozed (any more: two
        processes' timers, or the reader and the timer, both woke it)."""
        query = (update(conversations)
                 .where(c.id == conversation_id, c.status == "snoozed")
                 .values(status="open", snoozed_until=None, updated_at=now_ms())
                 .returning(*conversations.c))
        return await self._transaction(lambda conn: _first_row(conn, query))

    async def due_snoozes(self, now: int, limit: int = 100) -> list[Record]:
        return await self._all(select(conversations).where(
            c.status == "snoozed", c.snoozed_until.is_not(None), c.snoozed_until <= now)
            .order_by(c.snoozed_until).limit(limit))


def _first_row(conn: Connection, query: Any) -> Record | None:
    row = conn.execute(query).mappings().first()
    return None if row is None else to_record(row)
