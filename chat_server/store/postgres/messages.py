"""A message's write on PostgreSQL in one statement: the one write on the chat's hot path.

Several processes write to one database, so the conversation's row is locked before the
message takes its id: ids then follow commit order and "resume after id N" never skips one.
`post_core` (store/messages.py) does that as three SQLAlchemy statements in a transaction,
five round trips with BEGIN and COMMIT and a compilation each; here it is one statement on
the asyncpg connection itself, run outside a transaction (a single statement is atomic):
lock, insert, update the conversation, and return the new id with the updated row.

A resend of a client id inserts nothing and so returns no row, as does a missing
conversation; both are rare, and the caller then runs `post_core`, which tells them apart.
"""

from __future__ import annotations

from typing import Any

from chat_server.store.base import Record
from chat_server.store.rows import decode_fields

# Casts: a parameter in an INSERT … SELECT list has no type PostgreSQL can infer.
POST = """
WITH locked AS (
    SELECT id FROM chat_conversations WHERE id = $1 FOR UPDATE
), added AS (
    INSERT INTO chat_messages (conversation_id, author_kind, author_id, internal, body,
                               client_id, created_at, attachment_id)
    SELECT id, $2::varchar, $3::varchar, $4::boolean, $5::text, $6::varchar, $7::bigint,
           $8::varchar
    FROM locked
    ON CONFLICT DO NOTHING
    RETURNING id
), changed AS (
    UPDATE chat_conversations AS c SET
        updated_at = $7::bigint,
        -- a note is not what the reader last saw: it only touches updated_at
        last_author = CASE WHEN $4::boolean THEN c.last_author ELSE $2::varchar END,
        last_message_id = CASE WHEN $4::boolean THEN c.last_message_id ELSE added.id END
    FROM added
    WHERE c.id = $1
    RETURNING c.*
)
SELECT added.id AS new_message_id, changed.* FROM added, changed
"""


async def post(driver: Any, fields: dict[str, Any]) -> tuple[Record, Record] | None:
    """Insert `fields` as a message on the asyncpg connection `driver`: (the message, the
    conversation after it), or None when nothing was inserted (a resend, or no such
    conversation)."""
    row = await driver.fetchrow(
        POST, fields["conversation_id"], fields["author_kind"], fields["author_id"],
        fields["internal"], fields["body"], fields["client_id"], fields["created_at"],
        fields["attachment_id"])
    if row is None:
        return None
    conversation = decode_fields(dict(row.items()))
    new_id = conversation.pop("new_message_id")
    return {**fields, "id": new_id}, conversation
