"""Store queries for operator socket leases (mixed into SqlStore): presence follows the socket.

Each open operator socket has a row that its process renews while the socket is open and
deletes when it closes. A lease is only ever written through a live session, so a logout,
which ends the session and then drops its leases, cannot be undone by a renewal racing it.
Expired rows (a process killed without cleanup) stop counting at once and are deleted when a
socket opens or renews.
"""

from __future__ import annotations

from sqlalchemy import Connection, delete, literal, select, update

from chat_server.store.base import Record
from chat_server.store.queries import Queries
from chat_server.store.schema import operator_sessions, operator_sockets, operators

leases = operator_sockets.c
sessions = operator_sessions.c


class SocketQueries(Queries):
    async def renew_socket(self, socket_id: str, session_hash: str, expires_at: int,
                           now: int) -> bool:
        """Hold (or take) the lease of `socket_id` until `expires_at`. False when its
        session has ended or expired: the socket no longer keeps anyone online."""
        renew = update(operator_sockets).where(
            leases.id == socket_id,
            leases.session_hash.in_(select(sessions.id_hash).where(
                sessions.id_hash == session_hash, sessions.expires_at > now)),
        ).values(expires_at=expires_at)
        take = operator_sockets.insert().from_select(
            ["id", "operator_id", "session_hash", "expires_at"],
            select(literal(socket_id), sessions.operator_id, sessions.id_hash,
                   literal(expires_at))
            .where(sessions.id_hash == session_hash, sessions.expires_at > now))
        expired = delete(operator_sockets).where(leases.expires_at <= now)

        def write(conn: Connection) -> bool:
            if conn.execute(renew).rowcount > 0:
                return True
            conn.execute(expired)
            conn.execute(delete(operator_sockets).where(leases.id == socket_id))
            return conn.execute(take).rowcount > 0

        return await self._transaction(write)

    async def drop_socket(self, socket_id: str) -> None:
        query = delete(operator_sockets).where(leases.id == socket_id)
        await self._transaction(lambda conn: conn.execute(query))

    async def drop_session_sockets(self, session_hash: str) -> int:
        query = delete(operator_sockets).where(leases.session_hash == session_hash)
        return await self._transaction(lambda conn: conn.execute(query).rowcount)

    async def operators_with_sockets(self, now: int) -> set[int]:
        """Operators (not disabled) holding an unexpired lease, in any process."""
        query = (select(leases.operator_id).distinct()
                 .join(operators, operators.c.id == leases.operator_id)
                 .where(leases.expires_at > now, operators.c.disabled.is_(False)))
        return {row["operator_id"] for row in await self._all(query)}

    async def set_viewing(self, socket_id: str, conversation_id: int | None) -> None:
        query = (update(operator_sockets).where(leases.id == socket_id)
                 .values(viewing=conversation_id))
        await self._transaction(lambda conn: conn.execute(query))

    async def viewers(self, now: int) -> list[Record]:
        """Which page shows which conversation, in any process: a page opened later learns
        who is already looking."""
        query = (select(leases.id.label("socket"), leases.operator_id,
                        leases.viewing.label("conversation_id"))
                 .where(leases.expires_at > now, leases.viewing.is_not(None)))
        return await self._all(query)
