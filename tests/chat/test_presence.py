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
    PASSWORD,
    Operator,
    ServerThread,
    free_port,
    open_reader,
    recv,
    send,
    start_subprocess,
    stop_subprocess,
    write_config,
)
from websockets.asyncio.client import connect

from chat_server.presence import ONLINE_TIMEOUT_MS

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
    port_a, port_b = free_port(), free_port()
    config = write_config(tmp_path, port_a)
    a = await asyncio.to_thread(start_subprocess, config, port_a, shared)
    b = await asyncio.to_thread(start_subprocess, config, port_b, shared)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port_a}") as client:
            login = await client.post("/api/operator/login",
                                      json={"email": "anna@example.com", "password": PASSWORD})
            cookie = f"chat_session={login.cookies['chat_session']}"
        operator = await connect(f"ws://127.0.0.1:{port_a}/ws/operator",
                                 additional_headers={"Cookie": cookie})
        await recv(operator, "welcome")
        reader = await connect(f"ws://127.0.0.1:{port_b}/ws/reader")
        await send(reader, "hello")
        if not (await recv(reader, "welcome"))["availability"]["live"]:
            await live_becomes(reader, True, timeout=10)
        a.send_signal(signal.SIGKILL)
        started = time.monotonic()
        await live_becomes(reader, False, timeout=ONLINE_TIMEOUT_MS / 1000 + 8)
        assert time.monotonic() - started < ONLINE_TIMEOUT_MS / 1000 + 5
        await reader.close()
    finally:
        for process in (a, b):
            await asyncio.to_thread(stop_subprocess, process)
