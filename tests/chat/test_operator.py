"""Operator accounts over HTTP: login, cookie, CSRF, rate limit, REST actions, Origin."""

from __future__ import annotations

import httpx
import pytest
from support.chat import (
    PASSWORD,
    Operator,
    ServerThread,
    open_reader,
    recv,
    send,
)
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from chat_server.app import OPERATOR_CSP
from chat_server.protocol import Close


async def test_login_sets_a_strict_httponly_cookie(server: ServerThread) -> None:
    async with httpx.AsyncClient(base_url=server.http) as client:
        wrong = await client.post("/api/operator/login",
                                  json={"email": "anna@example.com", "password": "nope"})
        assert wrong.status_code == 401 and "set-cookie" not in wrong.headers
        assert (await client.get("/api/operator/me")).status_code == 401
        ok = await client.post("/api/operator/login",
                               json={"email": "ANNA@example.com", "password": PASSWORD})
        assert ok.status_code == 200
        cookie = ok.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
        me = (await client.get("/api/operator/me")).json()
        assert me["operator"]["email"] == "anna@example.com" and me["csrf"]
        assert "password_hash" not in me["operator"]


async def test_state_changes_need_the_csrf_token_and_same_origin(server: ServerThread) -> None:
    anna = await Operator.login(server, "anna@example.com")
    no_token = await anna.client.post("/api/operator/presence", json={"status": "online"})
    assert no_token.status_code == 403
    forged = await anna.client.post("/api/operator/presence", json={"status": "online"},
                                    headers={"X-CSRF-Token": "0" * 64})
    assert forged.status_code == 403
    other_site = await anna.client.post(
        "/api/operator/presence", json={"status": "online"},
        headers={"X-CSRF-Token": anna.csrf, "Origin": "https://evil.example"})
    assert other_site.status_code == 403
    ok = await anna.post("/api/operator/presence", status="online")
    assert ok.status_code == 200
    operators = (await anna.client.get("/api/operator/operators")).json()["operators"]
    # Her choice is kept; she counts as online only while a page of hers is open.
    assert operators[0]["status"] == "online" and operators[0]["online"] is False
    page = await anna.socket()
    await recv(page, "welcome")
    operators = (await anna.client.get("/api/operator/operators")).json()["operators"]
    assert operators[0]["online"] is True
    await page.close()
    await anna.post("/api/operator/logout")
    assert (await anna.client.get("/api/operator/me")).status_code == 401
    await anna.close()


async def test_login_is_rate_limited(server: ServerThread) -> None:
    async with httpx.AsyncClient(base_url=server.http) as client:
        codes = [
            (await client.post("/api/operator/login",
                               json={"email": "anna@example.com", "password": f"guess{n}"}
                               )).status_code
            for n in range(7)
        ]
        assert codes[:5] == [401] * 5 and codes[5:] == [429, 429]
        # Even the right password waits once the budget is spent.
        right = await client.post("/api/operator/login",
                                  json={"email": "anna@example.com", "password": PASSWORD})
        assert right.status_code == 429


async def test_operator_socket_needs_session_and_own_origin(server: ServerThread) -> None:
    async with connect(server.ws + "/ws/operator") as ws:
        with pytest.raises(ConnectionClosed) as info:
            await recv(ws)
        assert info.value.rcvd is not None and info.value.rcvd.code == Close.UNAUTHORIZED
    anna = await Operator.login(server, "anna@example.com")
    cookie = "; ".join(f"{k}={v}" for k, v in anna.client.cookies.items())
    async with connect(server.ws + "/ws/operator", origin="https://evil.example",
                       additional_headers={"Cookie": cookie}) as ws:
        with pytest.raises(ConnectionClosed) as info:
            await recv(ws)
        assert info.value.rcvd is not None and info.value.rcvd.code == Close.FORBIDDEN_ORIGIN
    async with connect(server.ws + "/ws/operator", origin=server.http,
                       additional_headers={"Cookie": cookie}) as ws:
        assert (await recv(ws, "welcome"))["operator"]["email"] == "anna@example.com"
    await anna.close()


async def test_reader_socket_origin_is_restricted(server: ServerThread) -> None:
    async with connect(server.ws + "/ws/reader", origin="https://evil.example") as ws:
        with pytest.raises(ConnectionClosed) as info:
            await recv(ws)
        assert info.value.rcvd is not None and info.value.rcvd.code == Close.FORBIDDEN_ORIGIN
    async with connect(server.ws + "/ws/reader", origin="https://help.example.com") as ws:
        await send(ws, "hello")
        assert (await recv(ws, "welcome"))["token"]


async def test_rest_inbox_assign_close_reopen(server: ServerThread) -> None:
    anna = await Operator.login(server, "anna@example.com")
    reader, _ = await open_reader(server.ws, name="<img src=x onerror=alert(1)>")
    await send(reader, "message", client_id="a", body="question")
    conversation_id = (await recv(reader, "ack"))["conversation"]["id"]
    inbox = (await anna.client.get("/api/operator/inbox?view=unassigned")).json()
    assert inbox["counts"]["unassigned"] == 1
    assert inbox["conversations"][0]["reader_name"] == "<img src=x onerror=alert(1)>"
    path = f"/api/operator/conversations/{conversation_id}"
    assigned = (await anna.post(path + "/assign")).json()["conversation"]
    assert assigned["assignee_id"] == anna.me["id"]
    assert (await anna.post(path + "/close")).json()["conversation"]["status"] == "closed"
    assert (await anna.post(path + "/reopen")).json()["conversation"]["status"] == "open"
    assert (await anna.post("/api/operator/conversations/999999/close")).status_code == 404
    assert (await anna.client.get("/api/operator/inbox?view=bogus")).status_code == 400
    huge = await anna.post(path + "/reply", body="x" * 40_000, client_id="big")
    assert huge.status_code == 413
    await reader.close()
    await anna.close()


async def test_operator_page_has_a_strict_csp(server: ServerThread) -> None:
    async with httpx.AsyncClient(base_url=server.http) as client:
        page = await client.get("/operator/")
        assert page.status_code == 200
        assert page.headers["content-security-policy"] == OPERATOR_CSP
        assert "'unsafe-inline'" not in OPERATOR_CSP and "script-src 'self'" in OPERATOR_CSP
        assert page.headers["x-frame-options"] == "DENY"
