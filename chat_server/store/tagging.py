"""Store queries for tags (mixed into SqlStore): the tags an admin added in the page, and the
tags on each conversation, set by operators or added automatically (added_by NULL)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, delete, insert, select

from chat_server.store.base import Record
from chat_server.store.queries import Queries
from chat_server.store.rows import now_ms
from chat_server.store.schema import conversation_tags, tags

t = conversation_tags.c


class TagQueries(Queries):
    async def stored_tags(self) -> list[Record]:
        return await self._all(select(tags).order_by(tags.c.name))

    async def add_stored_tag(self, name: str, colour: str, description: str,
                             created_by: int) -> Record:
        values = {"name": name, "colour": colour, "description": description,
                  "created_by": created_by, "created_at": now_ms()}

        def write(conn: Connection) -> None:
            conn.execute(delete(tags).where(tags.c.name == name))
            conn.execute(insert(tags).values(values))

        await self._transaction(write)
        return values

    async def delete_stored_tag(self, name: str) -> bool:
        """The tag leaves the list; conversations keep it (their history stays true)."""
        def write(conn: Connection) -> bool:
            return bool(conn.execute(delete(tags).where(tags.c.name == name)).rowcount)

        return await self._transaction(write)

    async def conversation_tags(self, conversation_ids: Iterable[int]) -> dict[int, list[str]]:
        ids = list(conversation_ids)
        found: dict[int, list[str]] = {cid: [] for cid in ids}
        if not ids:
            return found
        query = (select(t.conversation_id, t.tag).where(t.conversation_id.in_(ids))
                 .order_by(t.conversation_id, t.added_at, t.tag))
        async with self.engine.connect() as conn:
            for row in await conn.execute(query):
                found[int(row[0])].append(str(row[1]))
        return found

    async def set_conversation_tags(self, conversation_id: int, wanted: list[str],
                                    operator_id: int | None) -> tuple[list[str], list[str]]:
        """Make the conversation's tags exactly `wanted`; (added, removed)."""
        def write(conn: Connection) -> tuple[list[str], list[str]]:
            have = {str(r[0]) for r in conn.execute(
                select(t.tag).where(t.conversation_id == conversation_id))}
            added = [tag for tag in dict.fromkeys(wanted) if tag not in have]
            removed = sorted(have - set(wanted))
            if removed:
                conn.execute(delete(conversation_tags).where(
                    t.conversation_id == conversation_id, t.tag.in_(removed)))
            _insert(conn, conversation_id, added, operator_id)
            return added, removed

        return await self._transaction(write)

    async def add_conversation_tags(self, conversation_id: int, new: list[str],
                                    operator_id: int | None = None) -> list[str]:
        """Add tags (automatic ones: operator None), keeping those already there."""
        def write(conn: Connection) -> list[str]:
            have = {str(r[0]) for r in conn.execute(
                select(t.tag).where(t.conversation_id == conversation_id))}
            added = [tag for tag in dict.fromkeys(new) if tag not in have]
            _insert(conn, conversation_id, added, operator_id)
            return added

        return await self._transaction(write)


def _insert(conn: Connection, conversation_id: int, new: list[str],
            operator_id: int | None) -> None:
    if new:
        stamp = now_ms()
        conn.execute(insert(conversation_tags), [
            {"conversation_id": conversation_id, "tag": tag, "added_by": operator_id,
             "added_at": stamp + i} for i, tag in enumerate(new)])
