"""Rate limits: a bucket per key, and one budget for every process that shares a Redis."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from support.chat import REDIS_URL, reachable
from support.env import require

from chat_server.limits import MemoryLimits, RedisLimits, Rule, limits_for

RULE = Rule("test", rate=0.001, burst=3)


async def test_memory_bucket_empties_per_key() -> None:
    limits = MemoryLimits()
    assert [await limits.allow(RULE, "a") for _ in range(4)] == [True, True, True, False]
    assert await limits.allow(RULE, "b"), "another key has its own bucket"


async def test_cost_takes_several_tokens() -> None:
    limits = MemoryLimits()
    assert await limits.allow(RULE, "a", cost=3)
    assert not await limits.allow(RULE, "a")


@pytest.fixture
def redis_prefix() -> str:
    require(reachable(REDIS_URL, 6379), f"Redis is not reachable at {REDIS_URL}")
    return f"chat-test-{uuid.uuid4().hex[:8]}:"


async def test_two_processes_on_one_redis_share_the_budget(redis_prefix: str) -> None:
    # Two sidecars (two clients) must together allow what one would, not twice as much.
    first, second = RedisLimits(REDIS_URL, redis_prefix), RedisLimits(REDIS_URL, redis_prefix)
    try:
        answers = [await (first if i % 2 else second).allow(RULE, "addr") for i in range(6)]
        assert answers == [True, True, True, False, False, False]
        assert await first.allow(RULE, "other")
    finally:
        await first.close()
        await second.close()


async def test_a_burst_of_handshakes_stays_within_the_shared_budget(redis_prefix: str) -> None:
    # 400 sockets opening at once from one address, over two sidecars: more callers than a
    # Redis pool's default 100 connections. Those beyond it once fell back to each process's
    # own bucket, so the two processes let through far more than the one shared budget.
    rule = Rule("burst", rate=0.001, burst=150)
    first, second = RedisLimits(REDIS_URL, redis_prefix), RedisLimits(REDIS_URL, redis_prefix)
    try:
        answers = await asyncio.gather(*(
            (first if i % 2 else second).allow(rule, "addr") for i in range(400)))
        assert sum(answers) == 150
    finally:
        await first.close()
        await second.close()


async def test_redis_away_falls_back_to_limiting_in_process() -> None:
    limits = RedisLimits("redis://127.0.0.1:1/0")  # nothing listens on port 1
    try:
        assert [await limits.allow(RULE, "a") for _ in range(4)] == [True, True, True, False]
    finally:
        await limits.close()


def test_backend_follows_the_broker_url() -> None:
    assert isinstance(limits_for("memory://"), MemoryLimits)
    assert isinstance(limits_for("redis://127.0.0.1:6379/0"), RedisLimits)
