"""Operator sessions live in the store: logout, disabling an operator and a password change
end them, and the operator's open sockets close with SESSION_ENDED, across processes too."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from support.chat import (
    PASSWORD,
    ROOT,
    Operator,
    ServerThread,
    free_port,
    recv,
    start_subprocess,
    stop_subprocess,
    write_config,
)
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from chat_server.protocol import Close
from chat_server.store import Store

NEW_PASSWORD = "a brand new passphrase"


def cli(settings_dir: Path, database: str, *args: str, stdin: str = "",
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m chat_server` in its own process, on the running server's database."""
    folder = settings_dir / "cli"
    folder.mkdir(exist_ok=True)
    config = write_config(folder, 8000)
    return subprocess.run(
        [sys.executable, "-m", "chat_server", "--config", str(config), *args],
        input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=60,
        env={**os.environ, "CHAT_SECRET_KEY": "test-secret-key", "CHAT_DATABASE_URL": database,
             **(env or {})})


def cookie_header(operator: Operator) -> dict[str, str]:
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in operator.client.cookies.items())}


async def closed_with(ws: ClientConnection) -> int | None:
    """The close code the server ends this socket with (frames before it are skipped)."""
    with pytest.raises(ConnectionClosed) as info:
        while True:
            await recv(ws, timeout=5)
    return info.value.rcvd.code if info.value.rcvd else None


async def replayed(server: ServerThread, stolen: dict[str, str], csrf: str) -> list[int]:
    """What a copy of an old cookie and CSRF token still gets: the page, and a state change."""
    async with httpx.AsyncClient(base_url=server.http, headers=stolen) as thief:
        me = await thief.get("/api/operator/me")
        change = await thief.post("/api/operator/presence", json={"status": "online"},
                                  headers={"X-CSRF-Token": csrf})
        return [me.status_code, change.status_code]


async def test_logout_ends_the_session_and_closes_its_socket(server: ServerThread) -> None:
    anna = await Operator.login(server, "anna@example.com")
    other_browser = await Operator.login(server, "anna@example.com")
    stolen = cookie_header(anna)
    ws = await connect(server.ws + "/ws/operator", additional_headers=stolen)
    other_ws = await other_browser.socket()
    await recv(ws, "welcome")
    await recv(other_ws, "welcome")
    assert (await anna.post("/api/operator/logout")).status_code == 200
    assert await replayed(server, stolen, anna.csrf) == [401, 401]
    assert await closed_with(ws) == Close.SESSION_ENDED
    # Logging out in one browser leaves the operator's other sessions alone.
    assert (await other_browser.client.get("/api/operator/me")).status_code == 200
    await other_ws.send('{"type": "ping"}')
    assert (await recv(other_ws, "pong"))["type"] == "pong"
    await other_ws.close()
    await anna.close()
    await other_browser.close()


async def test_the_csrf_token_belongs_to_its_session(server: ServerThread) -> None:
    first = await Operator.login(server, "anna@example.com")
    second = await Operator.login(server, "anna@example.com")
    assert first.csrf != second.csrf
    crossed = await first.client.post("/api/operator/presence", json={"status": "online"},
                                      headers={"X-CSRF-Token": second.csrf})
    assert crossed.status_code == 403
    await first.close()
    await second.close()


async def test_disabling_an_operator_ends_their_sessions(server: ServerThread,
                                                         tmp_path: Path) -> None:
    anna = await Operator.login(server, "anna@example.com")
    stolen = cookie_header(anna)
    ws = await anna.socket()
    await recv(ws, "welcome")
    done = await asyncio.to_thread(cli, tmp_path, server.settings.database,
                                   "disable-operator", "--email", "anna@example.com")
    assert done.returncode == 0, done.stderr
    assert await closed_with(ws) == Close.SESSION_ENDED
    assert await replayed(server, stolen, anna.csrf) == [401, 401]
    # Enabling the account again does not bring the old sessions back.
    again = await asyncio.to_thread(cli, tmp_path, server.settings.database,
                                    "enable-operator", "--email", "anna@example.com")
    assert again.returncode == 0, again.stderr
    assert await replayed(server, stolen, anna.csrf) == [401, 401]
    await anna.close()


async def test_a_password_change_ends_every_session(server: ServerThread,
                                                    tmp_path: Path) -> None:
    anna = await Operator.login(server, "anna@example.com")
    stolen = cookie_header(anna)
    ws = await anna.socket()
    await recv(ws, "welcome")
    done = await asyncio.to_thread(cli, tmp_path, server.settings.database, "set-password",
                                   "--email", "anna@example.com", "--password-stdin",
                                   stdin=NEW_PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    assert await closed_with(ws) == Close.SESSION_ENDED
    assert await replayed(server, stolen, anna.csrf) == [401, 401]
    async with httpx.AsyncClient(base_url=server.http) as client:
        old = await client.post("/api/operator/login",
                                json={"email": "anna@example.com", "password": PASSWORD})
        new = await client.post("/api/operator/login",
                                json={"email": "anna@example.com", "password": NEW_PASSWORD})
        assert (old.status_code, new.status_code) == (401, 200)
    await anna.close()


async def test_sessions_end_across_processes(tmp_path: Path,
                                             shared: dict[str, str]) -> None:  # noqa: F811
    """Log in on B, keep a socket open on A; logging out on B closes it on A (Redis), and so
    does a password change made by the command line on a third process."""
    port_a, port_b = free_port(), free_port()
    config = write_config(tmp_path, port_a)
    a = await asyncio.to_thread(start_subprocess, config, port_a, shared)
    b = await asyncio.to_thread(start_subprocess, config, port_b, shared)
    try:
        async def login() -> tuple[httpx.AsyncClient, str, ClientConnection]:
            client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port_b}")
            answer = await client.post("/api/operator/login",
                                       json={"email": "anna@example.com", "password": PASSWORD})
            assert answer.status_code == 200
            ws = await connect(f"ws://127.0.0.1:{port_a}/ws/operator", additional_headers={
                "Cookie": f"chat_session={client.cookies['chat_session']}"})
            await recv(ws, "welcome")
            return client, answer.json()["csrf"], ws

        client, csrf, ws = await login()
        out = await client.post("/api/operator/logout", headers={"X-CSRF-Token": csrf})
        assert out.status_code == 200
        assert await closed_with(ws) == Close.SESSION_ENDED
        await client.aclose()

        client, csrf, ws = await login()
        changed = await asyncio.to_thread(
            cli, tmp_path, shared["CHAT_DATABASE_URL"], "set-password", "--email",
            "anna@example.com", "--password-stdin", stdin=NEW_PASSWORD + "\n", env=shared)
        assert changed.returncode == 0, changed.stderr
        assert await closed_with(ws) == Close.SESSION_ENDED
        assert (await client.get("/api/operator/me")).status_code == 401
        await client.aclose()
    finally:
        for process in (a, b):
            await asyncio.to_thread(stop_subprocess, process)


# --- the store's sessions, on SQLite and PostgreSQL -----------------------------------------

async def test_store_sessions(store: Store) -> None:
    anna = await store.add_operator("anna@example.com", "Анна", "hash-1")
    boris = await store.add_operator("boris@example.com", "Борис", "hash-1")
    far = 2_000_000_000_000
    await store.add_session("a1", anna["id"], expires_at=far)
    await store.add_session("a2", anna["id"], expires_at=far)
    await store.add_session("b1", boris["id"], expires_at=far)
    await store.add_session("old", boris["id"], expires_at=1)
    found = await store.get_session("a1")
    assert found is not None and found["operator_id"] == anna["id"] and found["expires_at"] == far
    assert await store.live_sessions(["a1", "a2", "b1", "old", "nope"], now=1000) == {
        "a1", "a2", "b1"}
    assert await store.end_session("a1") and not await store.end_session("a1")
    await store.update_operator(anna["id"], password_hash="hash-2")
    assert await store.get_session("a2") is None, "a new password ends every session"
    await store.update_operator(boris["id"], status="online", seen_at=5)
    assert await store.get_session("b1") is not None, "presence is not a reason to end"
    await store.update_operator(boris["id"], disabled=True)
    assert await store.live_sessions(["b1"], now=1000) == set()
    await store.add_session("b2", boris["id"], expires_at=far)
    assert await store.end_operator_sessions(boris["id"]) >= 1
    assert await store.get_session("b2") is None


async def test_an_older_database_gains_the_sessions_table(store: Store) -> None:
    from sqlalchemy import inspect, text

    engine = store.engine  # type: ignore[attr-defined]
    async with engine.begin() as conn:
        await conn.execute(text("DROP TABLE chat_operator_sessions"))
        await conn.execute(text("DELETE FROM chat_schema_version WHERE version = 3"))
    assert await store.migrate() == [3]
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    assert "chat_operator_sessions" in tables
