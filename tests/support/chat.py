"""A real sidecar for tests: uvicorn on a free port (in a thread, or a subprocess to kill)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from websockets.asyncio.client import ClientConnection, connect

from builder.pipeline import build
from chat_server import auth
from chat_server.app import create_app
from chat_server.broker import open_broker
from chat_server.mail.mailer import Mailer
from chat_server.runtime import SERVER_OPTIONS
from chat_server.settings import ChatSettings
from chat_server.store import open_store

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_settings(data_dir: Path, **changes: Any) -> ChatSettings:
    settings = ChatSettings(
        secret_key="test-secret-key", languages=("ru", "en"), data_dir=data_dir,
        # Always within hours, so tests of live chat do not depend on the clock.
        hours_start="00:00", hours_end="23:59", closed_dates=(),
        identity_secret="identity-secret", site_base_url="https://help.example.com/",
        authors={"anna": "anna@example.com"},
    )
    return replace(settings, **changes)


class ServerThread:
    """uvicorn serving create_app(...) in a thread with its own event loop."""

    def __init__(self, settings: ChatSettings, mailer: Mailer | None = None,
                 port: int | None = None) -> None:
        self.settings = settings
        self.port = port or free_port()
        app = create_app(settings, open_store(settings.database),
                         open_broker(settings.broker_url), mailer)
        self.app = app
        # The options `python -m chat_server serve` runs uvicorn with (no proxy headers).
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                lifespan="on", **SERVER_OPTIONS)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


@functools.cache
def password_hash() -> str:
    """argon2 is slow by design: hash the shared test password once per session."""
    return auth.hash_password(PASSWORD)


def add_operator_sync(settings: ChatSettings, email: str, name: str,
                      groups: tuple[str, ...] = (), role: str = "agent") -> dict[str, Any]:
    """Create an operator straight in the store (before or beside a running server)."""

    async def run() -> dict[str, Any]:
        store = open_store(settings.database)
        await store.migrate()
        try:
            return await store.add_operator(email, name, password_hash(), groups, role=role)
        finally:
            await store.close()

    return asyncio.run(run()) if not _in_loop() else _thread_run(run)


def _in_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _thread_run(factory: Callable[[], Any]) -> Any:
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(asyncio.run(factory())))
    thread.start()
    thread.join()
    return result[0]


async def recv(ws: ClientConnection, want: str | None = None, timeout: float = 5.0
               ) -> dict[str, Any]:
    """The next frame (of type `want`, skipping others such as availability)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        left = deadline - asyncio.get_running_loop().time()
        frame = json.loads(await asyncio.wait_for(ws.recv(), max(left, 0.01)))
        if want is None or frame["type"] == want:
            return frame


async def open_reader(server_ws: str, **hello: Any) -> tuple[ClientConnection, dict[str, Any]]:
    ws = await connect(server_ws + "/ws/reader")
    await ws.send(json.dumps({"type": "hello", **hello}))
    return ws, await recv(ws, "welcome")


async def frames_within(ws: ClientConnection, seconds: float, want: str | None = None
                        ) -> list[dict[str, Any]]:
    """Every frame (of type `want`) the socket gets in the next `seconds`."""
    got = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            got.append(await recv(ws, want, left))
        except TimeoutError:
            break
    return got


async def send(ws: ClientConnection, type_: str, **fields: Any) -> None:
    await ws.send(json.dumps({"type": type_, **fields}))


def write_config(folder: Path, port: int, extra: str = "") -> Path:
    path = folder / "config.yml"
    path.write_text(
        "site:\n  title: Test help\n  base_url: https://help.example.com/\n"
        "languages: [ru, en]\n"
        "authors:\n  anna:\n    name: Anna\n    email: anna@example.com\n"
        f"chat:\n  url: http://127.0.0.1:{port}\n  data_dir: data\n"
        '  hours_start: "00:00"\n  hours_end: "23:59"\n  closed_dates: []\n' + extra,
        encoding="utf-8")
    return path


def start_subprocess(config: Path, port: int, env: dict[str, str] | None = None
                     ) -> subprocess.Popen[bytes]:
    full_env = {**os.environ, "CHAT_SECRET_KEY": "subprocess-secret", **(env or {})}
    # A file, not a pipe: nobody reads a pipe, and a full one would stall the server.
    log = config.parent / f"sidecar-{port}.log"
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "chat_server", "--config", str(config), "serve",
             "--port", str(port)],
            cwd=ROOT, env=full_env, stdout=output, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(log.read_text(encoding="utf-8", errors="replace"))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("the sidecar did not start")


@contextlib.asynccontextmanager
async def two_sidecars(folder: Path, env: dict[str, str]
                       ) -> AsyncIterator[list[tuple[subprocess.Popen[bytes], int]]]:
    """Two `python -m chat_server serve` processes on one config and `env` (the shared
    PostgreSQL + Redis), as (process, port); both stopped afterwards."""
    ports = [free_port(), free_port()]
    config = write_config(folder, ports[0])
    started: list[tuple[subprocess.Popen[bytes], int]] = []
    try:
        for port in ports:
            started.append((await asyncio.to_thread(start_subprocess, config, port, env), port))
        yield started
    finally:
        for process, _ in started:
            await asyncio.to_thread(stop_subprocess, process)


async def login_cookie(port: int, email: str = "anna@example.com") -> dict[str, str]:
    """The Cookie header of a fresh operator login on the sidecar at `port`."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        login = await client.post("/api/operator/login",
                                  json={"email": email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        return {"Cookie": f"chat_session={login.cookies['chat_session']}"}


class Operator:
    """A logged-in operator: an httpx client with the session cookie and the CSRF token."""

    def __init__(self, server: ServerThread, client: httpx.AsyncClient, me: dict[str, Any]):
        self.server = server
        self.client = client
        self.me = me["operator"]
        self.csrf = me["csrf"]

    @classmethod
    async def login(cls, server: ServerThread, email: str) -> Operator:
        client = httpx.AsyncClient(base_url=server.http)
        response = await client.post("/api/operator/login",
                                     json={"email": email, "password": PASSWORD})
        response.raise_for_status()
        return cls(server, client, response.json())

    async def post(self, path: str, **body: Any) -> httpx.Response:
        return await self.client.post(path, json=body, headers={"X-CSRF-Token": self.csrf})

    async def send(self, method: str, path: str, body: Any = None) -> httpx.Response:
        return await self.client.request(method, path, json=body,
                                         headers={"X-CSRF-Token": self.csrf})

    async def socket(self) -> ClientConnection:
        cookie = "; ".join(f"{k}={v}" for k, v in self.client.cookies.items())
        ws = await connect(self.server.ws + "/ws/operator", additional_headers={"Cookie": cookie})
        return ws

    async def close(self) -> None:
        await self.client.aclose()


PG_URL = os.environ.get("CHAT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("CHAT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def reachable(url: str, default_port: int) -> bool:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    try:
        with socket.create_connection((parsed.host or "127.0.0.1", parsed.port or default_port),
                                      timeout=1):
            return True
    except OSError:
        return False


async def pg_schema(action: str, schema: str) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    parsed = make_url(PG_URL)
    conn = await asyncpg.connect(host=parsed.host, port=parsed.port or 5432,
                                 user=parsed.username, password=parsed.password,
                                 database=parsed.database)
    try:
        if action == "create":
            await conn.execute(f'CREATE SCHEMA "{schema}"')
        else:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()


class Inbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append((envelope.rcpt_tos, message_from_bytes(
            envelope.content, policy=policy.default)))
        return "250 OK"


def make_site(root: Path, port: int, chat_extra: str = "") -> Path:
    """A one-article site whose pages carry the widget of a sidecar on `port`; `chat_extra`
    is more of config.yml's chat section (indented by two spaces)."""
    (root / "content" / "ru" / "nds").mkdir(parents=True)
    (root / "config.yml").write_text(
        "site:\n  title: Справка\nlanguages: [ru]\n"
        "authors:\n  anna:\n    name: Анна\n    email: anna@example.com\n"
        f"chat:\n  url: http://127.0.0.1:{port}\n" + chat_extra, encoding="utf-8")
    (root / "content" / "ru" / "nds" / "_index.md").write_text(
        "---\ntitle: НДС\n---\n", encoding="utf-8")
    (root / "content" / "ru" / "nds" / "deklaraciya.md").write_text(
        "---\ntitle: Как подать декларацию\nauthor: anna\n---\n\nПодайте её до 25 числа.\n",
        encoding="utf-8")
    build(root / "config.yml", root / "site", force=True)
    return root / "site"


def stop_subprocess(process: subprocess.Popen[bytes]) -> None:
    """Kill a sidecar started by start_subprocess (SIGKILL: nothing gets to flush)."""
    if process.poll() is None:
        process.kill()
    process.wait(timeout=10)


def manifest_site(folder: Path, articles: list[dict[str, Any]]) -> Path:
    """A built site in `folder/site` reduced to what the sidecar reads: the articles'
    manifest (_data/articles.json) and a home page."""
    site = folder / "site"
    (site / "_data").mkdir(parents=True)
    (site / "_data" / "articles.json").write_text(json.dumps(articles), encoding="utf-8")
    (site / "index.html").write_text("<h1>home</h1>", encoding="utf-8")
    return site
