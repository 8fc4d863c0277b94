"""Store queries for operators and readers (mixed into SqlStore)."""

from __future__ import annotations

import contextlib
import json
from typing import Any, TypeVar

from sqlalchemy import Connection, select, update
from sqlalchemy.exc import IntegrityError

from chat_server.store.base import DuplicateError, Record
from chat_server.store.queries import Queries
from chat_server.store.rows import JSON_FIELDS, inserted_id, now_ms
from chat_server.store.schema import operators, readers
from chat_server.store.sessions import end_sessions_of

T = TypeVar("T")


class PeopleQueries(Queries):
    # --- operators -----------------------------------------------------------------------
    async def add_operator(
        self, email: str, name: str, password_hash: str, groups: tuple[str, ...] = (),
        role: str = "agent",
    ) -> Record:
        query = operators.insert().values(
            email=email.strip().lower(), name=name, password_hash=password_hash,
            groups=",".join(groups), status="away", seen_at=0, disabled=False,
            created_at=now_ms(), role=role)
        try:
            new_id = await self._transaction(
                lambda conn: inserted_id(conn.execute(query)))
        except IntegrityError as exc:
            raise DuplicateError(f"an operator with email {email!r} exists") from exc
        found = await self.get_operator(new_id)
        assert found is not None
        return found

    async def get_operator(self, operator_id: int) -> Record | None:
        return await self._one(select(operators).where(operators.c.id == operator_id))

    async def operator_by_email(self, email: str) -> Record | None:
        query = select(operators).where(operators.c.email == email.strip().lower())
        return await self._one(query)

    async def list_operators(self) -> list[Record]:
        return await self._all(select(operators).order_by(operators.c.id))

    async def update_operator(self, operator_id: int, **fields: Any) -> None:
        """A new password or disabling ends the operator's sessions in the same transaction:
        no moment in which the change is made and an old session still works."""
        if "groups" in fields:
            fields["groups"] = ",".join(fields["groups"])
        query = update(operators).where(operators.c.id == operator_id).values(**fields)
        ends_sessions = "password_hash" in fields or fields.get("disabled") is True

        def write(conn: Connection) -> None:
            conn.execute(query)
            if ends_sessions:
                end_sessions_of(conn, operator_id)

        await self._transaction(write)

    # --- readers ------------------------------------------------------------------------
    async def get_reader(self, reader_id: str) -> Record | None:
        return await self._one(select(readers).where(readers.c.id == reader_id))

    async def ensure_reader(self, reader_id: str) -> Record:
        found = await self.get_reader(reader_id)
        if found:
            return found
        query = readers.insert().values(_new_reader(reader_id))
        with contextlib.suppress(IntegrityError):  # another tab created it meanwhile
            await self._transaction(lambda conn: conn.execute(query))
        found = await self.get_reader(reader_id)
        assert found is not None
        return found

    async def reader_by_user(self, user_id: str) -> Record | None:
        return await self._one(select(readers).where(readers.c.user_id == user_id))

    async def reader_for_user(self, user_id: str, new_id: str) -> Record:
        query = select(readers).where(readers.c.user_id == user_id)
        found = await self._one(query)
        if found:
            return found
        insert = readers.insert().values({**_new_reader(new_id), "user_id": user_id})
        with contextlib.suppress(IntegrityError):
            await self._transaction(lambda conn: conn.execute(insert))
        found = await self._one(query)
        assert found is not None
        return found

    async def update_reader(self, reader_id: str, **fields: Any) -> None:
        for name in JSON_FIELDS:
            if name in fields:
                fields[name] = json.dumps(fields[name], ensure_ascii=False, sort_keys=True)
        fields["last_seen"] = now_ms()
        query = update(readers).where(readers.c.id == reader_id).values(**fields)
        await self._transaction(lambda conn: conn.execute(query))


def _new_reader(reader_id: str) -> dict[str, Any]:
    stamp = now_ms()
    return {"id": reader_id, "name": "", "email": "", "attributes": "{}", "context": "{}",
            "created_at": stamp, "last_seen": stamp}
