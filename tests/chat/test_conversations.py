"""Chat, the conversations' logic, on a real store: what it reads from the store, and when."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from support.chat import make_settings

from chat_server import operator_names
from chat_server.articles import Articles
from chat_server.broker import MemoryBroker
from chat_server.conversations import Chat
from chat_server.mail.mailer import Mailer
from chat_server.store import open_store


@pytest.fixture
async def chat(tmp_path: Path) -> AsyncIterator[Chat]:
    settings = make_settings(tmp_path)
    store = open_store(settings.database)
    await store.migrate()
    made = Chat(settings, store, MemoryBroker(), Mailer("", ""), Articles.load(None))
    try:
        yield made
    finally:
        await store.close()


def count_operator_queries(chat: Chat) -> list[str]:
    """Every SELECT on the operators' table the store's readers send, as it is sent."""
    seen: list[str] = []

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "chat_operators" in statement:
            seen.append(statement)

    engine = chat.store.engine  # type: ignore[attr-defined]
    event.listen(engine.sync_engine, "before_cursor_execute", on_execute)
    return seen


async def test_operator_names_are_loaded_once_for_everyone_waiting(chat: Chat) -> None:
    anna = await chat.store.add_operator("anna@example.com", "Анна", "hash")
    queries = count_operator_queries(chat)
    names = await asyncio.gather(*(chat.names.get() for _ in range(20)))
    assert names == [{anna["id"]: "Анна"}] * 20
    assert len(queries) == 1


async def test_stale_operator_names_serve_while_one_query_reloads_them(
        chat: Chat, monkeypatch: pytest.MonkeyPatch) -> None:
    anna = await chat.store.add_operator("anna@example.com", "Анна", "hash")
    assert await chat.names.get() == {anna["id"]: "Анна"}
    await chat.store.update_operator(anna["id"], name="Анна К.")
    assert await chat.names.get() == {anna["id"]: "Анна"}  # within the time to live
    monkeypatch.setattr(operator_names, "NAMES_TTL", 0.0)
    queries = count_operator_queries(chat)
    first, *others = await asyncio.gather(*(chat.names.get() for _ in range(10)))
    assert first == {anna["id"]: "Анна К."}  # the one that queried
    assert all(names == {anna["id"]: "Анна"} for names in others)  # served meanwhile
    assert len(queries) == 1
