"""Messages and conversations as each side sees them. A reader never sees internal notes'
flags or operators' ids; both sides get operators' display names and attachment URLs (a
reader's signed for them), added here and nowhere else."""

from __future__ import annotations

from chat_server.attachment_urls import decorate
from chat_server.operator_names import OperatorNames
from chat_server.store import Record, Store


class Views:
    def __init__(self, store: Store, secret_key: str, names: OperatorNames) -> None:
        self.store = store
        self.secret_key = secret_key
        self.names = names

    async def for_operators(self, messages: list[Record]) -> list[Record]:
        names = await self.names.get()
        shown = [{**message, "author_name": _name_of(message, names)} for message in messages]
        await decorate(self.store, self.secret_key, shown, None)
        return shown

    async def for_reader(self, messages: list[Record], reader_id: str) -> list[Record]:
        names = await self.names.get()
        shown = [public_message(message, names) for message in messages]
        await decorate(self.store, self.secret_key, shown, reader_id)
        return shown


def public_message(message: Record, names: dict[int, str]) -> Record:
    """A message as a reader sees it: no internal flags, operators by display name only."""
    author_name = ""
    if message["author_kind"] == "operator":
        author_name = names.get(int(message["author_id"]), "")
    return {
        "id": message["id"],
        "conversation_id": message["conversation_id"],
        "author_kind": message["author_kind"],
        "author_name": author_name,
        "body": message["body"],
        "client_id": message["client_id"] if message["author_kind"] == "reader" else None,
        "created_at": message["created_at"],
        "attachment_id": message.get("attachment_id"),
    }


def public_conversation(conversation: Record) -> Record:
    return {
        key: conversation[key]
        for key in ("id", "status", "created_at", "updated_at", "last_message_id",
                    "operator_read_id", "article_id", "article_lang", "rating", "email")
    }


def _name_of(message: Record, names: dict[int, str]) -> str:
    if message["author_kind"] == "operator":
        return names.get(int(message["author_id"]), "")
    return ""
