"""Store queries for operator sessions (mixed into SqlStore).

A session is a row keyed by the hash of the random id its cookie carries. It ends when the
row goes: at logout, and, in the same transaction as the change, when the operator is
disabled or their password changes (store/people.py).
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import Connection, delete, select, update

from chat_server.store.base import Record
from chat_server.store.queries import Queries
from chat_server.store.rows import now_ms
from chat_server.store.schema import operator_sessions, operators

T = TypeVar("T")
sessions = operator_sessions.c


class SessionQueries(Queries):
    async def add_session(self, session_hash: str, operator_id: int, expires_at: int) -> None:
        stamp = now_ms()
        insert = operator_sessions.insert().values(
            id_hash=session_hash, operator_id=operator_id, created_at=stamp, last_seen=stamp,
            expires_at=expires_at)
        # Expired rows go when a new one comes: no sweeper task, and the table stays as
        # small as the number of live sessions.
        expired = delete(operator_sessions).where(sessions.expires_at <= stamp)

        def write(conn: Connection) -> None:
            conn.execute(expired)
            conn.execute(insert)

        await self._transaction(write)

    async def get_session(self, session_hash: str) -> Record | None:
        return await self._one(select(operator_sessions).where(
            sessions.id_hash == session_hash))

    async def touch_session(self, session_hash: str, seen_at: int) -> None:
        query = update(operator_sessions).where(sessions.id_hash == session_hash).values(
            last_seen=seen_at)
        await self._transaction(lambda conn: conn.execute(query))

    async def end_session(self, session_hash: str) -> bool:
        query = delete(operator_sessions).where(sessions.id_hash == session_hash)
        return await self._transaction(lambda conn: conn.execute(query).rowcount > 0)

    async def end_operator_sessions(self, operator_id: int) -> int:
        return await self._transaction(lambda conn: end_sessions_of(conn, operator_id))

    async def live_sessions(self, session_hashes: list[str], now: int) -> set[str]:
        """Those of `session_hashes` that still open a session: one query for every socket
        a process has open (the sockets' watch asks this twice a second)."""
        if not session_hashes:
            return set()
        query = (select(sessions.id_hash)
                 .join(operators, operators.c.id == sessions.operator_id)
                 .where(sessions.id_hash.in_(session_hashes), sessions.expires_at > now,
                        operators.c.disabled.is_(False)))
        return {row["id_hash"] for row in await self._all(query)}


def end_sessions_of(conn: Connection, operator_id: int) -> int:
    return conn.execute(delete(operator_sessions).where(
        sessions.operator_id == operator_id)).rowcount
