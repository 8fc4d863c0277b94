"""Behind a proxy: forwarding headers count only from the proxies CHAT_TRUSTED_PROXIES names.

The server listens on 127.0.0.1; a client that binds another loopback address (127.0.0.2,
127.0.0.3, …) plays a proxy or a reader at that address, over real sockets.
"""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.chat import (
    PASSWORD,
    ServerThread,
    add_operator_sync,
    free_port,
    make_settings,
    recv,
    start_subprocess,
    write_config,
)
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from chat_server.client_address import TrustedProxies, forwarded_client
from chat_server.protocol import Close
from chat_server.settings import ChatSettings

PROXY = "127.0.0.2"
SEARCH = {"lang": "ru", "query": "вычет", "page": "/ru/"}
BUDGET = 30  # limits.PUBLIC's burst


def client(source: str, base_url: str) -> httpx.AsyncClient:
    """An HTTP client whose connections come from `source` (a loopback address)."""
    transport = httpx.AsyncHTTPTransport(local_address=source)
    return httpx.AsyncClient(base_url=base_url, transport=transport)


async def statuses(http: httpx.AsyncClient, count: int,
                   forwarded: Callable[[int], str | None]) -> list[int]:
    codes = []
    for n in range(count):
        header = forwarded(n)
        headers = {"X-Forwarded-For": header} if header else {}
        response = await http.post("/api/failed-searches", json=SEARCH, headers=headers)
        codes.append(response.status_code)
    return codes


@pytest.fixture
def start(tmp_path: Path) -> Any:
    started: list[ServerThread] = []

    async def run(**changes: Any) -> ServerThread:
        settings = make_settings(tmp_path, **changes)
        server = await asyncio.to_thread(ServerThread(settings).start)
        started.append(server)
        return server

    yield run
    for server in started:
        server.stop()


async def test_a_spoofed_header_from_loopback_changes_nothing(start: Any) -> None:
    # No proxy configured: not even 127.0.0.1 is trusted (uvicorn would trust it by default).
    server = await start()
    async with httpx.AsyncClient(base_url=server.http) as http:
        codes = await statuses(http, BUDGET + 5, lambda n: f"198.51.100.{n}")
    assert codes[0] == 202 and codes[-1] == 429, "a new X-Forwarded-For is not a new budget"


async def test_a_spoofed_header_from_an_untrusted_peer_changes_nothing(start: Any) -> None:
    server = await start(trusted_proxies=(PROXY,))
    async with client("127.0.0.3", server.http) as http:
        codes = await statuses(http, BUDGET + 5, lambda n: f"198.51.100.{n}")
    assert codes[-1] == 429


async def test_readers_behind_a_trusted_proxy_have_their_own_budgets(start: Any) -> None:
    server = await start(trusted_proxies=(PROXY, "10.0.0.0/8"))
    async with client(PROXY, server.http) as proxy:
        # A reader's own X-Forwarded-For is on the left of what the proxies add: ignored.
        first = await statuses(proxy, BUDGET + 5,
                               lambda n: f"192.0.2.{n}, 203.0.113.5, 10.1.2.3")
        assert first[-1] == 429
        second = await statuses(proxy, 1, lambda n: "203.0.113.6")
        assert second == [202], "another reader behind the same proxy has a budget of their own"
        # Without the header the proxy itself is the client: a budget of its own, too.
        assert await statuses(proxy, 1, lambda n: None) == [202]


async def test_reader_sockets_are_counted_per_forwarded_address(start: Any) -> None:
    server = await start(trusted_proxies=(PROXY,))

    async def handshake(address: str) -> int | None:
        """None when welcomed, else the close code."""
        ws = await connect(server.ws + "/ws/reader", local_addr=(PROXY, 0),
                           additional_headers={"X-Forwarded-For": address})
        try:
            await ws.send(json.dumps({"type": "hello"}))
            await recv(ws, "welcome")
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else -1
        finally:
            await ws.close()
        return None

    codes = [await handshake("203.0.113.7") for _ in range(BUDGET + 2)]
    assert codes[-1] == Close.RATE_LIMITED
    assert await handshake("203.0.113.8") is None


async def test_login_behind_a_tls_proxy_passes_the_origin_check(start: Any,
                                                                 tmp_path: Path) -> None:
    settings = make_settings(tmp_path, url="https://chat.example.com",
                             trusted_proxies=(PROXY,))
    add_operator_sync(settings, "anna@example.com", "Анна")
    server = await start(url="https://chat.example.com", trusted_proxies=(PROXY,))
    browser = {"Host": "chat.example.com", "Origin": "https://chat.example.com",
               "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    login = {"email": "anna@example.com", "password": PASSWORD}
    async with client(PROXY, server.http) as proxy:
        response = await proxy.post("/api/operator/login", json=login, headers=browser)
        assert response.status_code == 200, response.text
    # The same headers from a peer that is not the proxy: the scheme stays http, the https
    # page is another origin.
    async with client("127.0.0.3", server.http) as stranger:
        response = await stranger.post("/api/operator/login", json=login, headers=browser)
        assert response.status_code == 403 and response.json() == {"error": "origin"}


def test_forwarded_client_walks_from_the_right() -> None:
    proxies = TrustedProxies.parse(("10.0.0.0/8", "2001:db8::1"))
    assert forwarded_client("10.0.0.1", "1.1.1.1, 203.0.113.5, 10.9.9.9", proxies) == (
        "203.0.113.5")
    assert forwarded_client("203.0.113.1", "198.51.100.1", proxies) == "203.0.113.1"
    assert forwarded_client("2001:db8::1", "[2001:db8::7]:443", proxies) == "2001:db8::7"
    assert forwarded_client("10.0.0.1", "", proxies) == "10.0.0.1"
    assert forwarded_client("10.0.0.1", "10.0.0.2, 10.0.0.3", proxies) == "10.0.0.2"
    assert forwarded_client("10.0.0.1", "garbage, 203.0.113.5", proxies) == "203.0.113.5"
    assert forwarded_client("10.0.0.1", "unknown", proxies) == "10.0.0.1"


def test_trusted_proxies_come_from_the_environment(tmp_path: Path) -> None:
    from builder.config.loader import load_config
    from builder.errors import ConfigError

    config = load_config(write_config(tmp_path, 8000))
    env = {"CHAT_SECRET_KEY": "k", "CHAT_TRUSTED_PROXIES": " 10.0.0.1, 192.168.0.0/16 "}
    settings = ChatSettings.from_config(config, env=env)
    assert settings.trusted_proxies == ("10.0.0.1", "192.168.0.0/16")
    assert ChatSettings.from_config(config, env={"CHAT_SECRET_KEY": "k"}).trusted_proxies == ()
    with pytest.raises(ConfigError) as info:
        ChatSettings.from_config(config, env={**env, "CHAT_TRUSTED_PROXIES": "10.0.0.1, nope"})
    assert "CHAT_TRUSTED_PROXIES" in str(info.value.problems[0])


@pytest.fixture
async def sidecar(tmp_path: Path) -> AsyncIterator[int]:
    port = free_port()
    process = start_subprocess(write_config(tmp_path, port), port)
    try:
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)


async def test_serve_trusts_no_forwarding_header_by_default(sidecar: int) -> None:
    """`python -m chat_server serve` with no CHAT_TRUSTED_PROXIES: uvicorn's own handling
    (which trusts 127.0.0.1) is off, and so is ours."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{sidecar}") as http:
        codes = await statuses(http, BUDGET + 5, lambda n: f"198.51.100.{n}")
    assert codes[-1] == 429
