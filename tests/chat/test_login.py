"""Operator login: failed tries back off per (email, address), an address has a budget
across every email, and nobody else is locked out of their account by either."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from support.chat import (
    PASSWORD,
    REDIS_URL,
    ServerThread,
    reachable,
)
from support.env import require

from chat_server import limits, login_throttle
from chat_server.login_throttle import MemoryThrottle, RedisThrottle, Throttle

EMAIL = "anna@example.com"


@pytest.fixture
async def server(start_server: Any) -> ServerThread:
    return await start_server((EMAIL, "Анна"))


def client_from(server: ServerThread, address: str) -> httpx.AsyncClient:
    """A client whose connections really come from `address` (the whole 127/8 is local)."""
    transport = httpx.AsyncHTTPTransport(local_address=address)
    return httpx.AsyncClient(base_url=server.http, transport=transport)


async def login(client: httpx.AsyncClient, password: str, email: str = EMAIL
                ) -> httpx.Response:
    return await client.post("/api/operator/login", json={"email": email, "password": password})


async def test_wrong_passwords_from_one_address_do_not_lock_out_another(
        server: ServerThread) -> None:
    async with client_from(server, "127.0.0.1") as attacker, \
            client_from(server, "127.0.0.2") as anna:
        codes = [(await login(attacker, f"guess{n}")).status_code for n in range(8)]
        assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}
        assert (await login(anna, PASSWORD)).status_code == 200
        # ...and the attacker, even with the right password, waits out the back-off.
        refused = await login(attacker, PASSWORD)
        assert refused.status_code == 429 and refused.json() == {"error": "too_many_attempts"}
        assert int(refused.headers["retry-after"]) >= 1


async def test_back_off_grows_and_a_success_resets_it(server: ServerThread) -> None:
    async with client_from(server, "127.0.0.3") as client:
        assert [(await login(client, "nope")).status_code for _ in range(5)] == [401] * 5
        first = await login(client, "nope")
        assert first.status_code == 429 and first.headers["retry-after"] == "1"
        await asyncio.sleep(1.1)
        assert (await login(client, "nope")).status_code == 401
        second = await login(client, "nope")
        assert second.status_code == 429 and second.headers["retry-after"] == "2"
        await asyncio.sleep(2.1)
        assert (await login(client, PASSWORD)).status_code == 200
        # The right password wiped the slate: five free tries again.
        assert [(await login(client, "nope")).status_code for _ in range(5)] == [401] * 5


async def test_an_address_spraying_many_emails_runs_out_alone(server: ServerThread) -> None:
    budget = limits.LOGIN_ADDRESS.burst
    async with client_from(server, "127.0.0.4") as sprayer, \
            client_from(server, "127.0.0.5") as anna:
        codes = [(await login(sprayer, "Winter2024!", f"user{n}@example.com")).status_code
                 for n in range(budget + 2)]
        assert codes[:budget] == [401] * budget and codes[budget:] == [429, 429]
        refused = await login(sprayer, PASSWORD)
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        assert (await login(anna, PASSWORD)).status_code == 200


# --- the back-off itself, on both backends, with a clock the test moves --------------------

class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "redis"])
def make_throttle(request: pytest.FixtureRequest) -> Iterator[type]:
    if request.param == "memory":
        yield lambda clock: MemoryThrottle(clock=clock)
        return
    require(reachable(REDIS_URL, 6379), f"Redis is not reachable at {REDIS_URL}")
    prefix = f"chat-test-{uuid.uuid4().hex[:8]}:"
    yield lambda clock: RedisThrottle(REDIS_URL, prefix, clock=clock)


async def test_back_off_doubles_up_to_its_cap(make_throttle: type) -> None:
    clock = Clock()
    throttle: Throttle = make_throttle(clock)
    try:
        assert [await throttle.attempt("pair") for _ in range(5)] == [0.0] * 5
        waits = []
        for _ in range(14):
            wait = await throttle.attempt("pair")
            waits.append(wait)
            assert await throttle.attempt("pair") == wait, "a refused try does not count"
            clock.now += wait
            assert await throttle.attempt("pair") == 0.0
        assert waits[:5] == [1.0, 2.0, 4.0, 8.0, 16.0]
        assert max(waits) == login_throttle.MAX_WAIT == 15 * 60
        assert await throttle.attempt("other pair") == 0.0
        await throttle.succeeded("pair")
        assert [await throttle.attempt("pair") for _ in range(5)] == [0.0] * 5
    finally:
        await throttle.close()


async def test_back_off_is_shared_by_processes_on_one_redis() -> None:
    require(reachable(REDIS_URL, 6379), f"Redis is not reachable at {REDIS_URL}")
    prefix = f"chat-test-{uuid.uuid4().hex[:8]}:"
    clock = Clock()
    first, second = (RedisThrottle(REDIS_URL, prefix, clock=clock) for _ in range(2))
    try:
        for n in range(5):
            assert await (first if n % 2 else second).attempt("pair") == 0.0
        assert await first.attempt("pair") == 1.0
        assert await second.attempt("pair") == 1.0
    finally:
        await first.close()
        await second.close()


async def test_redis_away_backs_off_in_process() -> None:
    throttle = RedisThrottle("redis://127.0.0.1:1/0", clock=Clock())
    try:
        assert [await throttle.attempt("pair") for _ in range(6)] == [0.0] * 5 + [1.0]
    finally:
        await throttle.close()
