"""Faults, for real: two `python -m chat_server serve` processes on a throwaway PostgreSQL and
a throwaway Redis (tests/support/throwaway.py, never the machine's shared servers). A reader
on A and an operator on B; then A or B is SIGKILLed, PostgreSQL restarts, Redis restarts.
The clients below do over the socket what widget.js and the operator page do (reconnect
with back-off, resume from the last message seen, resend what was not acknowledged), and
every acknowledged message must be there exactly once on both sides afterwards."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.chat import PASSWORD, ROOT, free_port, password_hash, write_config
from support.throwaway import (
    ThrowawayPostgres,
    ThrowawayRedis,
    throwaway_postgres,
    throwaway_redis,
)
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from chat_server.protocol import Close
from chat_server.store import open_store

ARTICLE = {"id": "nds/deklaraciya", "lang": "ru", "title": "Декларация по НДС",
           "url": "/ru/nds/deklaraciya/", "author": "anna", "collection": "nds", "commit": "c1"}


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[ThrowawayPostgres, ThrowawayRedis]]:
    """One throwaway PostgreSQL and Redis for the module; each test has its own schema."""
    with throwaway_postgres() as pg, throwaway_redis() as redis:
        yield pg, redis


class Cluster:
    """Sidecars A and B (subprocesses, so they can be SIGKILLed) on one schema and Redis."""

    def __init__(self, folder: Path, pg: ThrowawayPostgres, redis: ThrowawayRedis,
                 schema: str) -> None:
        self.folder, self.pg, self.redis = folder, pg, redis
        self.ports = {"A": free_port(), "B": free_port()}
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.site = folder / "site"
        (self.site / "_data").mkdir(parents=True)
        (self.site / "_data" / "articles.json").write_text(json.dumps([ARTICLE]), "utf-8")
        self.config = write_config(folder, self.ports["A"])
        self.env = {"CHAT_DATABASE_URL": pg.url, "CHAT_DATABASE_SCHEMA": schema,
                    "CHAT_BROKER_URL": redis.url, "CHAT_BROKER_PREFIX": f"{schema}:",
                    "CHAT_SECRET_KEY": "faults-secret"}

    def http(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def start(self, name: str) -> None:
        port = self.ports[name]
        log = (self.folder / f"sidecar-{name}.log").open("ab")
        with log:
            process = subprocess.Popen(
                [sys.executable, "-m", "chat_server", "--config", str(self.config), "serve",
                 "--port", str(port), "--site", str(self.site)],
                cwd=ROOT, env={**_environ(), **self.env}, stdout=log, stderr=subprocess.STDOUT)
        self.processes[name] = process
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert process.poll() is None, self.log(name)
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.http(name) + "/healthz", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise AssertionError(f"sidecar {name} did not start: {self.log(name)}")

    def kill(self, name: str) -> None:
        process = self.processes.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.kill(name)

    def log(self, name: str) -> str:
        return (self.folder / f"sidecar-{name}.log").read_text("utf-8", errors="replace")


def _environ() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("CHAT_")}


@pytest.fixture
async def cluster(servers: tuple[ThrowawayPostgres, ThrowawayRedis],
                  tmp_path: Path) -> AsyncIterator[Cluster]:
    pg, redis = servers
    schema = f"faults_{uuid.uuid4().hex[:8]}"
    import asyncpg

    conn = await asyncpg.connect(pg.url)
    await conn.execute(f'CREATE SCHEMA "{schema}"')
    await conn.close()
    store = open_store(pg.url, schema=schema)
    await store.migrate()
    await store.add_operator("anna@example.com", "Анна", password_hash())
    await store.close()
    made = Cluster(tmp_path, pg, redis, schema)
    try:
        await asyncio.gather(asyncio.to_thread(made.start, "A"), asyncio.to_thread(made.start, "B"))
        yield made
    finally:
        await asyncio.to_thread(made.stop_all)


async def until(condition: Callable[[], Any], timeout: float, what: str) -> float:
    """Wait for `condition()` to hold; the seconds it took."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"not within {timeout} s: {what}")
        await asyncio.sleep(0.05)
    return time.monotonic() - started


class Client:
    """A socket kept open the way the widget and the page keep theirs: any close but a
    refusal reconnects after a doubling wait, to the first of `ports` that answers (a load
    balancer in front of the processes)."""

    path = ""

    def __init__(self, ports: list[int]) -> None:
        self.ports = ports
        self.ws: ClientConnection | None = None
        self.closes: list[int] = []  # the close codes this client was given
        self.welcomes = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.ws is not None:
            await self.ws.close()

    async def headers(self, port: int) -> dict[str, str]:
        return {}

    async def _run(self) -> None:
        wait, index = 0.1, 0
        while True:
            port = self.ports[index % len(self.ports)]
            try:
                async with connect(f"ws://127.0.0.1:{port}{self.path}",
                                   additional_headers=await self.headers(port),
                                   open_timeout=3) as ws:
                    self.ws = ws
                    await self.opened(ws)
                    async for raw in ws:
                        wait = 0.1
                        await self.received(ws, json.loads(raw))
                self.closes.append(ws.close_code or 0)
            except (OSError, WebSocketException, TimeoutError, httpx.HTTPError) as exc:
                if isinstance(exc, ConnectionClosed) and exc.rcvd is not None:
                    self.closes.append(exc.rcvd.code)
                index += 1  # that process is gone: the balancer sends us elsewhere
            self.ws = None
            if self.closes and self.closes[-1] in (Close.UNAUTHORIZED, Close.FORBIDDEN_ORIGIN):
                return
            await asyncio.sleep(wait)
            wait = min(wait * 2, 2.0)

    async def send(self, **frame: Any) -> bool:
        if self.ws is None:
            return False
        try:
            await self.ws.send(json.dumps(frame))
        except ConnectionClosed:
            return False
        return True

    async def opened(self, ws: ClientConnection) -> None: ...

    async def received(self, ws: ClientConnection, frame: dict[str, Any]) -> None: ...


class Reader(Client):
    """widget.js: hello with its token; on welcome, resume the conversation and send the
    outbox again; every message shown once (by id)."""

    path = "/ws/reader"

    def __init__(self, ports: list[int]) -> None:
        super().__init__(ports)
        self.token: str | None = None
        self.conversation: int | None = None
        self.messages: dict[int, dict[str, Any]] = {}
        self.outbox: dict[str, str] = {}  # client_id -> body, until acknowledged
        self.acked: dict[str, int] = {}
        self.live: bool | None = None
        self.typing: bool = False
        self.typing_changes: list[tuple[float, bool]] = []
        self.ready = False

    async def opened(self, ws: ClientConnection) -> None:
        self.ready = False
        hello = {"type": "hello", **({"token": self.token} if self.token else {})}
        await ws.send(json.dumps(hello))

    async def received(self, ws: ClientConnection, frame: dict[str, Any]) -> None:
        kind = frame["type"]
        if kind == "welcome":
            self.token, self.ready, self.live = frame["token"], True, frame["availability"]["live"]
            self.welcomes += 1
            # From the start, as widget.js does: with several processes the highest id seen
            # is no safe mark (a reply stored just before the reader's own message may
            # still have been on its way when the process died or Redis went away).
            if self.conversation is not None:
                await self.send(type="resume", conversation_id=self.conversation, after_id=0)
            for client_id in list(self.outbox):
                await self._post(client_id)
        elif kind == "ack":
            self.conversation = frame["conversation"]["id"]
            self.outbox.pop(frame["client_id"], None)
            self.acked[frame["client_id"]] = frame["message"]["id"]
            self.messages[frame["message"]["id"]] = frame["message"]
        elif kind == "message":
            self.messages[frame["message"]["id"]] = frame["message"]
        elif kind == "history":
            self.messages.update({m["id"]: m for m in frame["messages"]})
        elif kind == "availability":
            self.live = frame["live"]
        elif kind == "typing":
            self.typing = frame["typing"]
            self.typing_changes.append((time.monotonic(), frame["typing"]))

    async def say(self, client_id: str, body: str) -> None:
        self.outbox[client_id] = body
        if self.ready:
            await self._post(client_id)

    async def _post(self, client_id: str) -> None:
        await self.send(type="message", client_id=client_id, body=self.outbox[client_id],
                        conversation_id=self.conversation)

    def bodies(self, author_kind: str) -> list[str]:
        return [m["body"] for m in self.messages.values() if m["author_kind"] == author_kind]


class Desk(Client):
    """The operator page: logged in by cookie; after a reconnect it fetches again (here: it
    opens the conversation it shows, from the start)."""

    path = "/ws/operator"

    def __init__(self, ports: list[int]) -> None:
        super().__init__(ports)
        self.cookies: dict[int, str] = {}
        self.conversation: int | None = None
        self.messages: dict[int, dict[str, Any]] = {}
        self.acked: dict[str, int] = {}
        self.presence: dict[int, str] = {}
        self.reader_typing = False

    async def headers(self, port: int) -> dict[str, str]:
        if port not in self.cookies:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                login = await client.post("/api/operator/login", json={
                    "email": "anna@example.com", "password": PASSWORD})
                login.raise_for_status()
                self.cookies[port] = login.cookies["chat_session"]
        return {"Cookie": f"chat_session={self.cookies[port]}"}

    async def received(self, ws: ClientConnection, frame: dict[str, Any]) -> None:
        kind = frame["type"]
        if kind == "welcome":
            self.welcomes += 1
            if self.conversation is not None:
                await self.send(type="open", conversation_id=self.conversation, after_id=0)
        elif kind == "message":
            message = frame["message"]
            self.messages[message["id"]] = message
            self.conversation = self.conversation or message["conversation_id"]
        elif kind == "ack":
            self.acked[frame["client_id"]] = frame["message"]["id"]
            self.messages[frame["message"]["id"]] = frame["message"]
        elif kind == "history":
            self.messages.update({m["id"]: m for m in frame["messages"]})
        elif kind == "typing" and frame["side"] == "reader":
            self.reader_typing = frame["typing"]

    def bodies(self, author_kind: str) -> list[str]:
        return [m["body"] for m in self.messages.values() if m["author_kind"] == author_kind]


@contextlib.asynccontextmanager
async def clients(reader_ports: list[int], desk_ports: list[int]
                  ) -> AsyncIterator[tuple[Reader, Desk]]:
    desk, reader = Desk(desk_ports), Reader(reader_ports)
    desk.start()
    await until(lambda: desk.welcomes, 15, "the operator page connects")
    reader.start()
    await until(lambda: reader.ready, 15, "the widget connects")
    try:
        yield reader, desk
    finally:
        await reader.stop()
        await desk.stop()


async def stored_once(cluster: Cluster, port: int, reader: Reader, desk: Desk) -> None:
    """Read the conversation afresh from process `port` on both sides: every message each
    side was told is saved is there, exactly once."""
    assert reader.conversation is not None
    async with connect(f"ws://127.0.0.1:{port}/ws/reader") as ws:
        await ws.send(json.dumps({"type": "hello", "token": reader.token}))
        await _frame(ws, "welcome")
        await ws.send(json.dumps({"type": "resume", "conversation_id": reader.conversation,
                                  "after_id": 0}))
        seen_by_reader = (await _frame(ws, "history"))["messages"]
    async with connect(f"ws://127.0.0.1:{port}/ws/operator",
                       additional_headers=await desk.headers(port)) as ws:
        await _frame(ws, "welcome")
        await ws.send(json.dumps({"type": "open", "conversation_id": reader.conversation}))
        seen_by_desk = (await _frame(ws, "history"))["messages"]
    acked = {**reader.acked, **desk.acked}
    for side, messages in (("reader", seen_by_reader), ("operator", seen_by_desk)):
        counts = Counter(m["client_id"] for m in messages if m["client_id"])
        twice = [client_id for client_id, n in counts.items() if n > 1]
        assert not twice, f"stored twice, as the {side} sees it: {twice}"
        ids = {m["id"] for m in messages}
        lost = [c for c, message_id in acked.items() if message_id not in ids]
        assert not lost, f"acknowledged but missing for the {side}: {lost}"


async def _frame(ws: ClientConnection, want: str) -> dict[str, Any]:
    while True:
        frame: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if frame["type"] == want:
            return frame


async def test_a_reader_on_a_and_an_operator_on_b(cluster: Cluster) -> None:
    """Presence, typing, messages, ratings and failed searches cross the processes, and the
    operators' pages count what readers on either process said."""
    a, b = cluster.ports["A"], cluster.ports["B"]
    async with clients([a], [b]) as (reader, desk):
        await until(lambda: reader.live, 15, "the reader on A hears the operator on B is in")
        await reader.say("q1", "Как подать декларацию?")
        await until(lambda: "Как подать декларацию?" in desk.bodies("reader"), 5,
                    "the operator on B gets the reader's question")
        await reader.send(type="typing", conversation_id=reader.conversation, typing=True)
        await until(lambda: desk.reader_typing, 5, "the operator sees the reader typing")
        await desk.send(type="typing", conversation_id=reader.conversation, typing=True)
        await until(lambda: reader.typing, 5, "the reader sees the operator typing")
        await desk.send(type="reply", conversation_id=reader.conversation, client_id="r1",
                        body="До 25 числа")
        await until(lambda: "До 25 числа" in reader.bodies("operator"), 5,
                    "the reader on A gets the reply from B")
        await desk.send(type="presence", status="away")
        await until(lambda: reader.live is False, 5, "the reader hears the operator left")
        async with httpx.AsyncClient() as http:
            for port, rating in ((a, "happy"), (b, "sad")):
                rated = await http.post(f"http://127.0.0.1:{port}/api/ratings", json={
                    "article_id": ARTICLE["id"], "lang": "ru", "rating": rating})
                assert rated.status_code == 200, rated.text
            for port in (a, b, b):
                missed = await http.post(f"http://127.0.0.1:{port}/api/failed-searches",
                                         json={"lang": "ru", "query": "Патент на такси"})
                assert missed.status_code == 202, missed.text
            for port in (a, b):  # either process tells the same totals
                if port not in desk.cookies:
                    await desk.headers(port)
                cookie = {"Cookie": f"chat_session={desk.cookies[port]}"}
                stats = (await http.get(f"http://127.0.0.1:{port}/api/operator/ratings",
                                        headers=cookie)).json()["ratings"]
                [entry] = [s for s in stats if s["article_id"] == ARTICLE["id"]]
                assert (entry["total"], entry["happy"], entry["sad"]) == (2, 1, 1)
                searches = (await http.get(f"http://127.0.0.1:{port}/api/operator/failed-searches",
                                           headers=cookie)).json()["failed_searches"]
                assert [(s["query"], s["count"]) for s in searches] == [("патент на такси", 3)]


async def test_the_operator_s_process_killed_readers_hear_within_15_s(cluster: Cluster) -> None:
    """B dies without a word while its operator is typing: the reader on A stops seeing
    "typing…" and is told chat is not live, by A alone, well within 15 s."""
    a, b = cluster.ports["A"], cluster.ports["B"]
    async with clients([a], [b]) as (reader, desk):
        await until(lambda: reader.live, 15, "the reader hears the operator is in")
        await reader.say("q1", "Есть кто?")
        await until(lambda: desk.conversation, 5, "the operator gets the question")
        await desk.send(type="typing", conversation_id=desk.conversation, typing=True)
        await until(lambda: reader.typing, 5, "the reader sees the operator typing")
        await asyncio.to_thread(cluster.kill, "B")
        typing_ended = await until(lambda: not reader.typing, 15, "typing… fades")
        offline = await until(lambda: reader.live is False, 15, "chat is not live any more")
        assert typing_ended < 8, typing_ended
        assert offline < 15, offline
        assert reader.welcomes == 1, "the reader's own process never dropped them"


async def test_sigkill_of_the_reader_s_process_mid_burst(cluster: Cluster) -> None:
    """A dies while its reader sends a burst: the widget reconnects to B, resumes, resends
    what was not acknowledged, and each message is stored and shown exactly once."""
    a, b = cluster.ports["A"], cluster.ports["B"]
    async with clients([a, b], [b]) as (reader, desk):
        await reader.say("first", "Начало")
        await until(lambda: reader.conversation, 5, "the conversation starts")
        burst = [f"m{n}" for n in range(40)]
        for client_id in burst:
            await reader.say(client_id, f"сообщение {client_id}")
        await until(lambda: len(reader.acked) > 8, 10, "some of the burst is acknowledged")
        await asyncio.to_thread(cluster.kill, "A")
        await until(lambda: not reader.outbox, 20, "every message acknowledged after all")
        assert reader.welcomes >= 2, "the widget reconnected to B"
        await until(lambda: set(burst) <= {m["client_id"] for m in desk.messages.values()},
                    10, "the operator on B has the whole burst")
        on_the_page = Counter(m["client_id"] for m in desk.messages.values())
        assert all(on_the_page[c] == 1 for c in burst), "on the operator's page twice"
        shown = Counter(m["client_id"] for m in reader.messages.values())
        assert all(shown[c] == 1 for c in ["first", *burst]), "shown twice in the widget"
        await stored_once(cluster, b, reader, desk)


async def light_load(reader: Reader, desk: Desk, fault: Callable[[], None], tag: str) -> None:
    """A message a reader sends every 0.15 s and a reply every 0.3 s for ~4 s, with `fault`
    in the middle; then everyone's acknowledged messages must reach the other side."""
    await reader.say(f"{tag}-start", "Начинаем")
    await until(lambda: reader.conversation and desk.conversation, 10, "both sides talk")
    fault_task: asyncio.Task[None] | None = None
    for n in range(26):
        await reader.say(f"{tag}-q{n}", f"вопрос {n}")
        if n % 2:
            await desk.send(type="reply", conversation_id=reader.conversation,
                            client_id=f"{tag}-r{n}", body=f"ответ {n}")
        if n == 6:
            fault_task = asyncio.create_task(asyncio.to_thread(fault))
        await asyncio.sleep(0.15)
    assert fault_task is not None
    await fault_task
    await until(lambda: not reader.outbox, 25, "the widget's messages all acknowledged")
    await until(lambda: set(reader.acked.values()) <= set(desk.messages), 20,
                "the operator has every message the reader was told was saved")
    await until(lambda: set(desk.acked.values()) <= set(reader.messages), 20,
                "the reader has every reply the operator was told was saved")


async def test_postgresql_restarts_under_light_load(cluster: Cluster) -> None:
    a, b = cluster.ports["A"], cluster.ports["B"]
    async with clients([a], [b]) as (reader, desk):
        await light_load(reader, desk, lambda: cluster.pg.restart(down_seconds=1.5), "pg")
        await until(lambda: reader.live, 15, "presence comes back: the operator is in")
        await stored_once(cluster, a, reader, desk)


async def test_redis_restarts_under_light_load(cluster: Cluster) -> None:
    """While Redis is away each process serves its own sockets; when it is back both
    processes close their sockets with RESYNC, and the clients catch up from the store."""
    a, b = cluster.ports["A"], cluster.ports["B"]
    async with clients([a], [b]) as (reader, desk):
        await light_load(reader, desk, lambda: cluster.redis.restart(down_seconds=1.5), "redis")
        assert Close.RESYNC in reader.closes and Close.RESYNC in desk.closes
        await until(lambda: reader.live, 15, "presence comes back: the operator is in")
        await desk.send(type="reply", conversation_id=reader.conversation, client_id="after",
                        body="Снова на связи")
        await until(lambda: "Снова на связи" in reader.bodies("operator"), 5,
                    "live again across the processes")
        await stored_once(cluster, b, reader, desk)
