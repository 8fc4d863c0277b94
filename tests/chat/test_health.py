"""GET /healthz over a real sidecar whose PostgreSQL or Redis goes away mid-test (throwaway
servers of its own, never the machine's shared ones) and comes back."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.chat import ServerThread, make_settings
from support.throwaway import ThrowawayPostgres, ThrowawayRedis, throwaway_postgres, throwaway_redis

from chat_server.health import PROBE_SECONDS

SETTLE_SECONDS = 20.0  # a restarted PostgreSQL takes a few seconds on a busy machine


@pytest.fixture
def redis_server() -> Iterator[ThrowawayRedis]:
    with throwaway_redis() as server:
        yield server


@pytest.fixture
def postgres_server() -> Iterator[ThrowawayPostgres]:
    with throwaway_postgres() as server:
        yield server


@pytest.fixture
async def sidecar(tmp_path: Path) -> AsyncIterator[Any]:
    started: list[ServerThread] = []

    async def start(**changes: Any) -> ServerThread:
        running = await asyncio.to_thread(ServerThread(make_settings(tmp_path, **changes)).start)
        started.append(running)
        return running

    yield start
    for running in started:
        await asyncio.to_thread(running.stop)


async def health_becomes(server: ServerThread, status: int) -> dict[str, Any]:
    """The body of /healthz once it answers `status` (polled; fails after SETTLE_SECONDS)."""
    deadline = time.monotonic() + SETTLE_SECONDS
    async with httpx.AsyncClient(base_url=server.http, timeout=10) as client:
        while True:
            answer = await client.get("/healthz")
            if answer.status_code == status:
                assert answer.headers["cache-control"] == "no-store"
                body: dict[str, Any] = answer.json()
                return body
            assert time.monotonic() < deadline, f"/healthz stayed {answer.status_code}"
            await asyncio.sleep(0.3)


async def test_redis_away_and_back(sidecar: Any, redis_server: ThrowawayRedis) -> None:
    server = await sidecar(broker_url=redis_server.url, broker_prefix="health:")
    assert await health_becomes(server, 200) == {"ok": True}
    await asyncio.to_thread(redis_server.stop)  # SIGKILL, as a crash
    assert await health_becomes(server, 503) == {"ok": False, "down": ["broker"]}
    await asyncio.to_thread(redis_server.start)
    assert await health_becomes(server, 200) == {"ok": True}


async def test_postgres_away_and_back(sidecar: Any, postgres_server: ThrowawayPostgres
                                      ) -> None:
    server = await sidecar(database_url=postgres_server.url)
    assert await health_becomes(server, 200) == {"ok": True}
    await asyncio.to_thread(postgres_server.stop, "immediate")
    assert await health_becomes(server, 503) == {"ok": False, "down": ["store"]}
    await asyncio.to_thread(postgres_server.start)
    assert await health_becomes(server, 200) == {"ok": True}


async def test_both_away_names_both(sidecar: Any, redis_server: ThrowawayRedis,
                                    postgres_server: ThrowawayPostgres) -> None:
    server = await sidecar(database_url=postgres_server.url, broker_url=redis_server.url)
    assert await health_becomes(server, 200) == {"ok": True}
    await asyncio.to_thread(redis_server.stop)
    await asyncio.to_thread(postgres_server.stop, "immediate")
    assert await health_becomes(server, 503) == {"ok": False, "down": ["store", "broker"]}


async def test_a_flood_of_checks_costs_one_probe_a_second(
        sidecar: Any, redis_server: ThrowawayRedis, caplog: pytest.LogCaptureFixture) -> None:
    server = await sidecar(broker_url=redis_server.url)
    await asyncio.to_thread(redis_server.stop)
    await health_becomes(server, 503)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="chat_server.health"):
        started = time.monotonic()
        async with httpx.AsyncClient(base_url=server.http, timeout=10) as client:
            answers = await asyncio.gather(*(client.get("/healthz") for _ in range(60)))
        took = time.monotonic() - started
    assert {a.status_code for a in answers} == {503}
    probes = [r for r in caplog.records if "broker is down" in r.getMessage()]
    assert len(probes) <= int(took) + 2, f"{len(probes)} probes in {took:.1f} s"
    assert took < 10 * PROBE_SECONDS
