"""What this process's own message writes left in conversation rows (SQLite only).

Every message updates its conversation's row (updated_at, last_author, last_message_id) and
needs the whole row back for the ack and the operators' event: a SELECT per message. On
SQLite all writes of the store go through one writer in this process (the admin commands
write operators only), so after a message's write the row is the cached row plus exactly
what that write set. The cache is emptied by every other write the writer runs (any of
them may change a conversation: status, assignee, read marks) and by a failed batch (its
rows were never committed); the next message then reads the row again.
"""

from __future__ import annotations

from chat_server.store.base import Record

LIMIT = 5000  # conversations kept; the oldest entry goes first


class ConversationCache:
    def __init__(self, limit: int = LIMIT) -> None:
        self._limit = limit
        self._rows: dict[int, Record] = {}

    def get(self, conversation_id: int) -> Record | None:
        """The cached row; the caller must not change it (put a new one instead)."""
        return self._rows.get(conversation_id)

    def put(self, row: Record) -> None:
        """Keep a copy, so the caller may go on changing its own."""
        self._rows.pop(row["id"], None)
        if len(self._rows) >= self._limit:
            del self._rows[next(iter(self._rows))]
        self._rows[row["id"]] = dict(row)

    def clear(self) -> None:
        self._rows.clear()
