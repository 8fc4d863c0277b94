"""Store and broker backends for the chat tests: SQLite and memory always, PostgreSQL and
Redis on this machine or in CI (where a missing server fails instead of skipping)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from support.chat import (
    PG_URL,
    REDIS_URL,
    ServerThread,
    add_operator_sync,
    make_settings,
    password_hash,
    pg_schema,
    reachable,
)
from support.env import require

from chat_server.broker import Broker, open_broker
from chat_server.store import Store, open_store


async def make_store(kind: str, tmp_path: Path) -> tuple[Store, str | None]:
    if kind == "sqlite":
        store = open_store(f"sqlite:///{tmp_path / 'chat.db'}")
        await store.migrate()
        return store, None
    require(reachable(PG_URL, 5432), f"PostgreSQL is not reachable at {PG_URL}")
    schema = f"chat_test_{uuid.uuid4().hex[:12]}"
    await pg_schema("create", schema)
    store = open_store(PG_URL, schema=schema)
    await store.migrate()
    return store, schema


async def drop_store(store: Store, schema: str | None) -> None:
    await store.close()
    if schema:
        await pg_schema("drop", schema)


@pytest.fixture(params=["sqlite", "postgresql"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    made, schema = await make_store(request.param, tmp_path)
    try:
        yield made
    finally:
        await drop_store(made, schema)


@pytest.fixture(params=["memory", "redis"])
async def broker(request: pytest.FixtureRequest) -> AsyncIterator[Broker]:
    if request.param == "memory":
        made = open_broker("memory://")
    else:
        require(reachable(REDIS_URL, 6379), f"Redis is not reachable at {REDIS_URL}")
        made = open_broker(REDIS_URL, prefix=f"chat-test-{uuid.uuid4().hex[:8]}:")
    await made.connect()
    try:
        yield made
    finally:
        await made.disconnect()


@pytest.fixture
async def shared(tmp_path: Path) -> AsyncIterator[dict[str, str]]:
    require(reachable(PG_URL, 5432), f"PostgreSQL is not reachable at {PG_URL}")
    require(reachable(REDIS_URL, 6379), f"Redis is not reachable at {REDIS_URL}")
    schema = f"chat_scale_{uuid.uuid4().hex[:10]}"
    await pg_schema("create", schema)
    store = open_store(PG_URL, schema=schema)
    await store.migrate()
    await store.add_operator("anna@example.com", "Анна", password_hash())
    await store.close()
    try:
        yield {"CHAT_DATABASE_URL": PG_URL, "CHAT_DATABASE_SCHEMA": schema,
               "CHAT_BROKER_URL": REDIS_URL, "CHAT_BROKER_PREFIX": f"{schema}:"}
    finally:
        await pg_schema("drop", schema)


StartServer = Callable[..., Awaitable[ServerThread]]


@pytest.fixture
async def start_server(tmp_path: Path) -> AsyncIterator[StartServer]:
    """Start a real sidecar (uvicorn in a thread) with these operators, as (email, name) or
    (email, name, groups), and these settings changes; stopped after the test."""
    started: list[ServerThread] = []

    async def start(*operators: tuple[Any, ...], **changes: Any) -> ServerThread:
        settings = make_settings(tmp_path, **changes)
        for operator in operators:
            add_operator_sync(settings, *operator)
        running = await asyncio.to_thread(ServerThread(settings).start)
        started.append(running)
        return running

    yield start
    for running in started:
        await asyncio.to_thread(running.stop)


@pytest.fixture
async def server(start_server: StartServer) -> ServerThread:
    """The usual sidecar: one operator, Анна <anna@example.com>, in the group support."""
    return await start_server(("anna@example.com", "Анна", ("support",)))
