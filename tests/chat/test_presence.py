"""Presence follows the operator page's socket: logging in is online, a closed tab or a logout
is offline at once, a killed process's operators fade within seconds, and every reader's
widget and every colleague hears of it without asking."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from support.chat import (
    Operator,
    ServerThread,
    frames_within,
    login_cookie,
    open_reader,
    recv,
    send,
    two_sidecars,
)
from websockets.asyncio.client import connect

from chat_server.presence import LEASE_MS

StartServer = Callable[..., Awaitable[ServerThread]]


async def test_logging_in_is_online_and_closing_the_tab_is_offline(
        start_server: StartServer) -> None:
    server = await start_server(("anna@example.com", "Анна"), ("boris@example.com", "Борис"))
    reader, welcome = await open_reader(server.ws)
    assert welcome["availability"]["live"] is False
    boris = await Operator.login(server, "boris@example.com")
    boris_ws = await boris.socket()
    await recv(boris_ws, "welcome")
    await send(boris_ws, "presence", status="away")  # Boris watches, he does not answer
    await presence_becomes(boris_ws, boris.me["id"], "away")
    anna = await Operator.login(server, "anna@example.com")
    assert anna.me["status"] == "online", "logging in is coming to work"
    anna_ws = await anna.socket()
    await recv(anna_ws, "welcome")
    # Nobody pressed anything: the open page is enough.
    await live_becomes(reader, True)
    await presence_becomes(boris_ws, anna.me["id"], "online")
    started = time.monotonic()
    await anna_ws.close()  # the tab closes
    left = await live_becomes(reader, False)
    assert left["operators_online"] == 0
    assert time.monotonic() - started < 3, "offline at once, not after a timeout"
    await presence_becomes(boris_ws, anna.me["id"], "offline")
    public = (await boris.client.get("/api/availability")).json()
    assert public["live"] is False
    for ws in (reader, boris_ws):
        await ws.close()
    await anna.close()
    await boris.close()


async def live_becomes(ws: object, live: bool, timeout: float = 5.0) -> dict[str, object]:
    """The reader's widget hears that chat is (not) live, within `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        frame = await recv(ws, "availability", max(0.01, deadline - time.monotonic()))  # type: ignore[arg-type]
        if frame["live"] is live:
            return frame


async def presence_becomes(ws: object, operator_id: int, state: str) -> None:
    """The colleague's page hears the operator become `state` (within recv's 5 s)."""
    while True:
        frame = await recv(ws, "presence")  # type: ignore[arg-type]
        if frame["operator_id"] == operator_id and frame["status"] == state:
            return


async def test_away_and_logout_are_heard_at_once(server: ServerThread) -> None:
    reader, _ = await open_reader(server.ws)
    anna = await Operator.login(server, "anna@example.com")
    anna_ws = await anna.socket()
    await recv(anna_ws, "welcome")
    await live_becomes(reader, True)
    await send(anna_ws, "presence", status="away")
    await live_becomes(reader, False)
    await send(anna_ws, "presence", status="online")
    await live_becomes(reader, True)
    # A second tab keeps her online when the first closes.
    second = await anna.socket()
    await recv(second, "welcome")
    await anna_ws.close()
    await asyncio.sleep(0.5)
    assert (await anna.client.get("/api/availability")).json()["live"] is True
    await anna.post("/api/operator/logout")
    await live_becomes(reader, False, timeout=2)
    await reader.close()
    await anna.close()


async def test_a_killed_process_operators_fade(tmp_path: Path, shared: dict[str, str]) -> None:
    """Anna's page is on process A; a reader's widget on B. A dies without a word: B notices
    from the store within the timeout and tells the reader."""
    async with two_sidecars(tmp_path, shared) as [(a, port_a), (_, port_b)]:
        operator = await connect(f"ws://127.0.0.1:{port_a}/ws/operator",
                                 additional_headers=await login_cookie(port_a))
        await recv(operator, "welcome")
        reader = await connect(f"ws://127.0.0.1:{port_b}/ws/reader")
        await send(reader, "hello")
        if not (await recv(reader, "welcome"))["availability"]["live"]:
            await live_becomes(reader, True, timeout=10)
        a.send_signal(signal.SIGKILL)
        started = time.monotonic()
        await live_becomes(reader, False, timeout=LEASE_MS / 1000 + 8)
        assert time.monotonic() - started < LEASE_MS / 1000 + 5
        await reader.close()


async def test_opening_the_page_is_online_and_away_holds_while_a_page_is_open(
        server: ServerThread) -> None:
    reader, _ = await open_reader(server.ws)
    anna = await Operator.login(server, "anna@example.com")
    first = await anna.socket()
    welcome = await recv(first, "welcome")
    # The welcome already counts the page that receives it.
    assert own_presence(welcome, anna.me["id"]) == "online"
    assert welcome["availability"]["live"] is True
    await live_becomes(reader, True)
    await send(first, "presence", status="away")
    await live_becomes(reader, False)
    # A second tab keeps what she chose while the first is open.
    second = await anna.socket()
    assert own_presence(await recv(second, "welcome"), anna.me["id"]) == "away"
    assert (await anna.client.get("/api/availability")).json()["live"] is False
    await first.close()
    await second.close()
    await asyncio.sleep(0.5)
    # Coming back to the page later (the same login) is coming to work again.
    again = await anna.socket()
    assert own_presence(await recv(again, "welcome"), anna.me["id"]) == "online"
    await live_becomes(reader, True)
    assert (await anna.client.get("/api/availability")).json()["operators_online"] == 1
    await again.close()
    await live_becomes(reader, False)
    await reader.close()
    await anna.close()


def own_presence(welcome: dict[str, object], operator_id: int) -> object:
    operators = welcome["operators"]
    assert isinstance(operators, list)
    return next(o["presence"] for o in operators if o["id"] == operator_id)


async def test_a_tab_closing_in_one_process_leaves_her_online_in_another(
        tmp_path: Path, shared: dict[str, str]) -> None:
    """Anna has the page open on process A and on process B; closing A's tab must not tell
    B's readers that nobody is there, not even for a moment."""
    async with two_sidecars(tmp_path, shared) as [(_, port_a), (_, port_b)]:
        cookie = await login_cookie(port_a)
        on_a = await connect(f"ws://127.0.0.1:{port_a}/ws/operator", additional_headers=cookie)
        await recv(on_a, "welcome")
        on_b = await connect(f"ws://127.0.0.1:{port_b}/ws/operator", additional_headers=cookie)
        await recv(on_b, "welcome")
        reader = await connect(f"ws://127.0.0.1:{port_b}/ws/reader")
        await send(reader, "hello")
        assert (await recv(reader, "welcome"))["availability"]["live"] is True
        await on_a.close()
        heard = await frames_within(reader, 5, "availability")
        assert all(frame["live"] for frame in heard), heard
        for port in (port_a, port_b):
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                assert (await client.get("/api/availability")).json()["live"] is True
        started = time.monotonic()
        await on_b.close()
        await live_becomes(reader, False, timeout=LEASE_MS / 1000)
        assert time.monotonic() - started < 3, "her last tab closing is offline at once"
        await reader.close()
