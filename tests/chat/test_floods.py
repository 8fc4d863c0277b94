"""Floods from one address against a real sidecar: ratings and failed searches, reader
sockets, logins. Each is limited (429 or close 4429, and the rows stored stay within the
budget) while a witness reader on another address keeps being served: its messages reach
the operator and come back acked all through the flood.

The speed of that service under a flood (p99 of the witness's round trip) is measured by
bench/flood.py, not here; the bound below is only a sanity check.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.chat import PASSWORD, Operator, ServerThread, manifest_site, open_reader, recv, send
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from chat_server import limits
from chat_server.protocol import Close

FLOODER = "127.3.0.1"  # every flood comes from this one address
SANITY_SECONDS = 10.0  # a witness message slower than this under a flood is a stall
ARTICLES = [{"id": f"a/{n}", "lang": "ru", "title": f"Статья {n}", "url": f"/ru/a/{n}/",
             "author": "", "collection": "a", "commit": "c1"} for n in range(50)]


def budget(rule: limits.Rule, seconds: float) -> int:
    """The most a bucket of `rule` can let through in `seconds`, with one token of slack
    for the refill between the clock reads."""
    return int(rule.burst + rule.rate * seconds) + 1


class Witness:
    """A reader on 127.0.0.1 in a conversation, and Анна's page, both open."""

    def __init__(self, reader: ClientConnection, page: ClientConnection,
                 conversation: int) -> None:
        self.reader, self.page, self.conversation = reader, page, conversation
        self.sent = 0
        self.seconds: list[float] = []

    async def round_trip(self) -> None:
        self.sent += 1
        body = f"still here {self.sent}"
        started = time.monotonic()
        await send(self.reader, "message", client_id=body, body=body,
                   conversation_id=self.conversation)
        assert (await recv(self.reader, "ack", SANITY_SECONDS))["client_id"] == body
        while (await recv(self.page, "message", SANITY_SECONDS))["message"]["body"] != body:
            pass
        self.seconds.append(time.monotonic() - started)

    async def during(self, flood: Awaitable[Any]) -> Any:
        """Run `flood`, a round trip every 0.2 s meanwhile (within the reader's frame budget);
        every one must complete."""
        task = asyncio.ensure_future(flood)
        while not task.done():
            await self.round_trip()
            await asyncio.sleep(0.2)
        await self.round_trip()  # and after
        return task.result()


@pytest.fixture
async def server(tmp_path: Path, start_server: Any) -> ServerThread:
    site = manifest_site(tmp_path, ARTICLES)
    return await start_server(("anna@example.com", "Анна", ("support",)), site_dir=site)


@pytest.fixture
async def anna(server: ServerThread) -> AsyncIterator[Operator]:
    operator = await Operator.login(server, "anna@example.com")
    yield operator
    await operator.close()


@pytest.fixture
async def witness(server: ServerThread, anna: Operator) -> AsyncIterator[Witness]:
    page = await anna.socket()
    await recv(page, "welcome")
    reader, _welcome = await open_reader(server.ws)
    await send(reader, "message", client_id="first", body="hello")
    ack = await recv(reader, "ack")
    yield Witness(reader, page, ack["conversation"]["id"])
    await reader.close()
    await page.close()


def flooder(server: ServerThread, connections: int = 50) -> httpx.AsyncClient:
    transport = httpx.AsyncHTTPTransport(local_address=FLOODER, limits=httpx.Limits(
        max_connections=connections, max_keepalive_connections=connections))
    return httpx.AsyncClient(base_url=server.http, transport=transport, timeout=60)


async def flood(client: httpx.AsyncClient, count: int,
                request: Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]],
                concurrency: int = 50) -> tuple[Counter[int], float]:
    """`count` requests, `concurrency` at a time: their status codes and the seconds taken."""
    statuses: Counter[int] = Counter()
    numbers = iter(range(count))

    async def worker() -> None:
        for n in numbers:
            response = await request(client, n)
            statuses[response.status_code] += 1
            if response.status_code == 429:
                assert response.json() == {"error": "rate_limited"}

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return statuses, time.monotonic() - started


async def rate(client: httpx.AsyncClient, n: int) -> httpx.Response:
    # No token: each a new reader, so each accepted one would be a row of its own.
    return await client.post("/api/ratings", json={
        "article_id": f"a/{n % 50}", "lang": "ru", "rating": "sad" if n % 2 else "happy"})


async def search(client: httpx.AsyncClient, n: int) -> httpx.Response:
    return await client.post("/api/failed-searches",
                             json={"lang": "ru", "query": f"вопрос {n}", "page": "/ru/"})


async def stored_ratings(anna: Operator) -> int:
    rows = (await anna.client.get("/api/operator/ratings")).json()["ratings"]
    return sum(row["total"] for row in rows)


async def stored_searches(anna: Operator) -> int:
    return len((await anna.client.get("/api/operator/failed-searches")).json()[
        "failed_searches"])


@pytest.mark.parametrize(("request_", "stored", "accepted_status"), [
    (rate, stored_ratings, 200), (search, stored_searches, 202)], ids=["ratings", "searches"])
async def test_a_flood_of_public_posts_is_limited_and_a_reader_is_served(
        server: ServerThread, anna: Operator, witness: Witness, request_: Any, stored: Any,
        accepted_status: int) -> None:
    async with flooder(server) as client:
        statuses, seconds = await witness.during(flood(client, 3000, request_))
    assert set(statuses) == {accepted_status, 429}, statuses
    assert statuses[accepted_status] <= budget(limits.PUBLIC, seconds), (statuses, seconds)
    assert statuses[429] >= 3000 - budget(limits.PUBLIC, seconds)
    # What was refused left nothing behind: the rows are the accepted ones, no more.
    assert await stored(anna) == statuses[accepted_status]
    assert witness.sent >= 2 and max(witness.seconds) < SANITY_SECONDS


async def handshake(server: ServerThread, opened: list[ClientConnection]) -> int | None:
    """A reader socket from the flooder's address: None when welcomed (kept open in
    `opened`), else its close code."""
    ws = await connect(server.ws + "/ws/reader", local_addr=(FLOODER, 0), open_timeout=60)
    try:
        await ws.send(json.dumps({"type": "hello"}))
        await recv(ws, "welcome", timeout=60)
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else -1
    opened.append(ws)
    return None


async def test_two_thousand_sockets_from_one_address_are_limited(
        server: ServerThread, witness: Witness) -> None:
    opened: list[ClientConnection] = []
    gate = asyncio.Semaphore(200)

    async def one() -> int | None:
        async with gate:
            return await handshake(server, opened)

    async def all_of_them() -> tuple[list[int | None], float]:
        started = time.monotonic()
        codes = await asyncio.gather(*(one() for _ in range(2000)))
        return codes, time.monotonic() - started

    try:
        codes, seconds = await witness.during(all_of_them())
        welcomed = codes.count(None)
        assert 0 < welcomed <= budget(limits.CONNECT, seconds), (welcomed, seconds)
        assert Counter(codes)[Close.RATE_LIMITED] == 2000 - welcomed, Counter(codes)
        # The welcomed ones are served too, the flood notwithstanding.
        await send(opened[0], "ping")
        assert (await recv(opened[0], "pong"))["type"] == "pong"
    finally:
        await asyncio.gather(*(ws.close() for ws in opened), return_exceptions=True)
    assert max(witness.seconds) < SANITY_SECONDS


async def login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/api/operator/login", json={"email": email, "password": password})


async def test_a_burst_of_logins_is_limited_and_anna_still_logs_in(
        server: ServerThread, witness: Witness) -> None:
    async with flooder(server) as client:
        started = time.monotonic()
        # Sprayed over many accounts, so that no one account's back-off is what bites.
        answers = await witness.during(asyncio.gather(*(
            login(client, f"user{n}@example.com", "wrong") for n in range(150))))
        seconds = time.monotonic() - started
        # Anna's right password from the flooding address is refused as well: the budget is
        # the address's.
        hers = await login(client, "anna@example.com", PASSWORD)
    statuses = Counter(answer.status_code for answer in answers)
    assert set(statuses) == {401, 429}, statuses
    assert statuses[401] <= budget(limits.LOGIN_ADDRESS, seconds), statuses
    refused = next(answer for answer in answers if answer.status_code == 429)
    assert refused.json() == {"error": "too_many_attempts"}
    assert int(refused.headers["Retry-After"]) >= 1
    assert hers.status_code == 429
    async with httpx.AsyncClient(base_url=server.http) as elsewhere:  # 127.0.0.1
        assert (await login(elsewhere, "anna@example.com", PASSWORD)).status_code == 200


async def test_wrong_passwords_for_one_account_back_off(server: ServerThread) -> None:
    async with flooder(server) as client:
        answers = [await login(client, "anna@example.com", "wrong") for _ in range(10)]
    statuses = [answer.status_code for answer in answers]
    assert statuses[0] == 401 and 429 in statuses, statuses
    # The back-off is this address's, for this account: from another address she logs in.
    async with httpx.AsyncClient(base_url=server.http) as elsewhere:
        assert (await login(elsewhere, "anna@example.com", PASSWORD)).status_code == 200

