"""Store queries for API tokens and personal saved replies (mixed into SqlStore)."""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from chat_server.store.base import DuplicateError, Record
from chat_server.store.queries import Queries
from chat_server.store.rows import inserted_id, now_ms
from chat_server.store.schema import api_tokens, operators, personal_replies

k = api_tokens.c
p = personal_replies.c
# Last use is written at most once a minute per token: a script polling every second
# should not turn every read into a write.
TOUCH_EVERY_MS = 60_000


class TokenQueries(Queries):
    async def add_token(self, operator_id: int, token_hash: str, label: str) -> Record:
        values = {"operator_id": operator_id, "token_hash": token_hash, "label": label,
                  "created_at": now_ms(), "last_used_at": 0, "revoked_at": None}

        def write(conn: Connection) -> int:
            return inserted_id(conn.execute(insert(api_tokens).values(values)))

        return {"id": await self._transaction(write), **values}

    async def token_operator(self, token_hash: str) -> Record | None:
        """The enabled operator an unrevoked token belongs to."""
        query = (select(operators, k.id.label("token_id"), k.last_used_at)
                 .join(api_tokens, k.operator_id == operators.c.id)
                 .where(k.token_hash == token_hash, k.revoked_at.is_(None),
                        operators.c.disabled.is_(False)))
        found = await self._one(query)
        if found is None:
            return None
        stamp = now_ms()
        if stamp - int(found.pop("last_used_at")) > TOUCH_EVERY_MS:
            token_id = found["token_id"]
            await self._transaction(lambda conn: conn.execute(
                update(api_tokens).where(k.id == token_id).values(last_used_at=stamp)))
        found.pop("token_id")
        return found

    async def list_tokens(self, operator_id: int | None = None) -> list[Record]:
        query = select(k.id, k.operator_id, k.label, k.created_at, k.last_used_at,
                       k.revoked_at).order_by(k.id)
        if operator_id is not None:
            query = query.where(k.operator_id == operator_id)
        return await self._all(query)

    async def revoke_token(self, token_id: int) -> bool:
        def write(conn: Connection) -> bool:
            return bool(conn.execute(update(api_tokens).where(
                k.id == token_id, k.revoked_at.is_(None)).values(revoked_at=now_ms())).rowcount)

        return await self._transaction(write)

    async def personal_replies(self, operator_id: int, lang: str | None = None) -> list[Record]:
        query = select(personal_replies).where(p.operator_id == operator_id)
        if lang:
            query = query.where(p.lang == lang)
        return await self._all(query.order_by(p.lang, p.shortcut))

    async def save_personal_reply(self, operator_id: int, reply_id: int | None,
                                  **fields: str) -> Record | None:
        """A new reply (reply_id None) or an edit of one's own; None when it is not theirs.
        Raises DuplicateError when the operator has that shortcut in that language."""
        stamp = now_ms()

        def write(conn: Connection) -> int | None:
            if reply_id is None:
                return inserted_id(conn.execute(insert(personal_replies).values(
                    operator_id=operator_id, created_at=stamp, updated_at=stamp, **fields)))
            done = conn.execute(update(personal_replies).where(
                p.id == reply_id, p.operator_id == operator_id).values(
                updated_at=stamp, **fields)).rowcount
            return reply_id if done else None

        try:
            saved = await self._transaction(write)
        except IntegrityError as exc:
            raise DuplicateError(f"shortcut {fields.get('shortcut')!r} exists") from exc
        if saved is None:
            return None
        return await self._one(select(personal_replies).where(p.id == saved))

    async def delete_personal_reply(self, operator_id: int, reply_id: int) -> bool:
        def write(conn: Connection) -> bool:
            return bool(conn.execute(delete(personal_replies).where(
                p.id == reply_id, p.operator_id == operator_id)).rowcount)

        return await self._transaction(write)
