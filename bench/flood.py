"""Benchmark of floods from one address: how long another reader's message takes to reach
the operator while one address sends ratings or failed searches as fast as it can (aiming at
10,000 a second), opens 2,000 reader sockets, or sprays logins.

    python bench/flood.py                  # SQLite, 8 s a flood
    python bench/flood.py --seconds 15
    python bench/flood.py --nginx          # behind deploy/nginx.conf, as deployed

One `python -m chat_server serve` process with its limits as deployed. The flood comes from
--flooders processes on 127.3.0.1 (raw keep-alive HTTP/1.1, 50 connections each, so the
flooder is not the bottleneck); the witness is a reader on 127.0.0.1 whose message round
trip (sent → ack and → on the operator's socket) is timed four times a second. Printed per phase:
requests offered a second, their statuses, and the witness's median and p99. Not a timed
test (tests/chat/test_floods.py checks the limits); figures go to bench/README.md.

With --nginx the flood and the witness's reader go through deploy/nginx.conf (TLS, its
limit_req zones; tests/support/nginx.py runs it here) to the same one sidecar; a 429 that
nginx gave itself is counted as "429 nginx", the sidecar's as "429".
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chat import PASSWORD, add_operators, free_port, percentile, raise_fd_limit
from views import ROOT, make_project, start

sys.path.insert(0, str(ROOT / "tests"))

FLOODER = "127.3.0.1"
WITNESS = "127.0.0.5"  # not nginx's own address, which the sidecar trusts as a proxy
CONNECTIONS = 50


# --------------------------------------------------------------------- the flood (children)
def body_of(kind: str, n: int) -> bytes:
    if kind == "ratings":
        payload: dict[str, Any] = {"article_id": f"c{n % 20}/a{n % 500}", "lang": "ru",
                                   "rating": "sad" if n % 2 else "happy"}
    elif kind == "searches":
        payload = {"lang": "ru", "query": f"вопрос {n}", "page": "/ru/"}
    else:
        payload = {"email": f"user{n}@example.com", "password": "wrong"}
    return json.dumps(payload).encode()


PATHS = {"ratings": "/api/ratings", "searches": "/api/failed-searches",
         "logins": "/api/operator/login"}


@dataclass(frozen=True)
class Target:
    """Where the clients connect: the sidecar itself, or nginx in front of it (TLS)."""

    port: int  # the sidecar's
    front: int = 0  # nginx's https port, when there is one

    def client_tls(self) -> ssl.SSLContext | None:
        if not self.front:
            return None
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        return context

    @property
    def address(self) -> tuple[int, str]:
        return (self.front, "chat.example.com") if self.front else (self.port, "127.0.0.1")


async def one_connection(target: Target, kind: str, until: float,
                         statuses: Counter[str]) -> None:
    """Requests one after another on a keep-alive connection, a new one whenever the
    server closes it (nginx does after keepalive_requests, 1,000)."""
    n = 0
    while time.monotonic() < until:
        try:
            n = await requests_on_one(target, kind, until, statuses, n)
        except (asyncio.IncompleteReadError, ConnectionError):
            continue


async def requests_on_one(target: Target, kind: str, until: float, statuses: Counter[str],
                          n: int) -> int:
    port, host = target.address
    tls = target.client_tls()
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", port, local_addr=(FLOODER, 0), ssl=tls,
        server_hostname=host if tls else None)
    while time.monotonic() < until:
        body = body_of(kind, n)
        n += 1
        # The widget's posts carry the site's Origin; the operator page's login does not.
        origin = "" if kind == "logins" else f"Origin: http://127.0.0.1:{target.port}\r\n"
        writer.write(f"POST {PATHS[kind]} HTTP/1.1\r\nHost: {host}\r\n{origin}"
                     f"Content-Type: application/json\r\n"
                     f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        head = await reader.readuntil(b"\r\n\r\n")
        status = head.split(b" ", 2)[1].decode()
        lower = head.lower()
        if status == "429" and b"application/json" not in lower:
            status = "429 nginx"  # the sidecar's refusals are JSON
        statuses[status] += 1
        length = next(int(line.split(b":")[1]) for line in lower.split(b"\r\n")
                      if line.startswith(b"content-length:"))
        await reader.readexactly(length)
    writer.close()
    return n


def flood_process(target: Target, kind: str, seconds: float, out: Any) -> None:
    raise_fd_limit()

    async def run() -> Counter[str]:
        statuses: Counter[str] = Counter()
        until = time.monotonic() + seconds
        await asyncio.gather(*(one_connection(target, kind, until, statuses)
                               for _ in range(CONNECTIONS)))
        return statuses

    out.put(dict(asyncio.run(run())))


def reader_url(target: Target) -> dict[str, Any]:
    """websockets.connect's arguments for a reader's socket to `target`."""
    if not target.front:
        return {"uri": f"ws://127.0.0.1:{target.port}/ws/reader"}
    return {"uri": "wss://chat.example.com/ws/reader", "host": "127.0.0.1",
            "port": target.front, "ssl": target.client_tls()}


def sockets_process(target: Target, count: int, out: Any) -> None:
    raise_fd_limit()
    from websockets.asyncio.client import connect

    async def one(gate: asyncio.Semaphore, opened: list[Any]) -> str:
        async with gate:
            try:
                ws = await connect(**reader_url(target), local_addr=(FLOODER, 0),
                                   open_timeout=60)
                await ws.send(json.dumps({"type": "hello"}))
                while json.loads(await ws.recv())["type"] != "welcome":
                    pass
                opened.append(ws)
                return "welcomed"
            except Exception as exc:  # noqa: BLE001 - the close code is the answer
                return str(getattr(getattr(exc, "rcvd", None), "code", type(exc).__name__))

    async def run() -> dict[str, int]:
        gate, opened = asyncio.Semaphore(200), []
        codes = Counter(await asyncio.gather(*(one(gate, opened) for _ in range(count))))
        await asyncio.gather(*(ws.close() for ws in opened), return_exceptions=True)
        return dict(codes)

    out.put(asyncio.run(run()))


# --------------------------------------------------------------------- the witness (this process)
async def witness(target: Target, stop: asyncio.Event) -> list[float]:
    import httpx
    from websockets.asyncio.client import connect

    port = target.port  # the operator's page is the instrument: straight to the sidecar

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        login = await client.post("/api/operator/login",
                                  json={"email": "op0@example.com", "password": PASSWORD})
        login.raise_for_status()
        cookie = f"chat_session={client.cookies['chat_session']}"
    page = await connect(f"ws://127.0.0.1:{port}/ws/operator",
                         additional_headers={"Cookie": cookie, "Origin": f"http://127.0.0.1:{port}"})
    reader = await connect(**reader_url(target), local_addr=(WITNESS, 0))
    await reader.send(json.dumps({"type": "hello"}))
    conversation, seconds, n = None, [], 0
    while not stop.is_set():
        n += 1
        body = f"witness {n}"
        started = time.perf_counter()
        await reader.send(json.dumps({"type": "message", "client_id": body, "body": body,
                                      "conversation_id": conversation}))
        while (frame := json.loads(await reader.recv()))["type"] != "ack":
            pass
        conversation = frame["conversation"]["id"]
        while True:
            frame = json.loads(await page.recv())
            if frame["type"] == "message" and frame["message"]["body"] == body:
                break
        seconds.append(time.perf_counter() - started)
        await asyncio.sleep(0.25)  # within the reader's frame budget (sockets.py: 5 a second)
    await reader.close()
    await page.close()
    return seconds


async def phase(name: str, target: Target, children: list[multiprocessing.Process],
                out: Any, seconds: float) -> None:
    stop = asyncio.Event()
    timing = asyncio.create_task(witness(target, stop))
    await asyncio.sleep(0.5)
    started = time.monotonic()
    for child in children:
        child.start()
    if children:
        await asyncio.to_thread(lambda: [child.join() for child in children])
    else:
        await asyncio.sleep(seconds)
    took = time.monotonic() - started
    stop.set()
    latencies = await timing
    results: Counter[str] = Counter()
    for _ in children:
        results.update({str(k): v for k, v in out.get().items()})
    total = sum(results.values())
    print(f"| {name} | {total / took:,.0f}/s | {dict(results) or '-'} | "
          f"{statistics.median(latencies) * 1000:.1f} ms | "
          f"{percentile(latencies, 0.99) * 1000:.1f} ms | {len(latencies)} |", flush=True)


async def main_async(args: argparse.Namespace) -> None:
    spawn = multiprocessing.get_context("spawn")
    out = spawn.Queue()
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        config = make_project(Path(folder), port)
        (Path(folder) / "data").mkdir()
        await add_operators(str(Path(folder) / "data"), 1)
        server = start(config, port, "")
        front = behind_nginx(Path(folder), port) if args.nginx else None
        target = Target(port, front[1] if front else 0)
        try:
            print("| flood | offered | statuses | witness median | witness p99 | samples |")
            print("|---|---|---|---|---|---|")
            await phase("none", target, [], out, args.seconds)
            for kind in ("ratings", "searches", "logins"):
                children = [spawn.Process(target=flood_process,
                                          args=(target, kind, args.seconds, out))
                            for _ in range(args.flooders)]
                await phase(kind, target, children, out, args.seconds)
            await phase("2,000 sockets", target,
                        [spawn.Process(target=sockets_process, args=(target, 2000, out))],
                        out, args.seconds)
        finally:
            if front:
                front[0].terminate()
                front[0].wait(timeout=10)
            server.terminate()
            server.wait(timeout=10)


def behind_nginx(folder: Path, port: int) -> tuple[subprocess.Popen[bytes], int]:
    """deploy/nginx.conf in front of the sidecar on `port`: (nginx, its https port)."""
    from support.nginx import MISSING, NGINX_CONF, find_nginx, for_this_machine, start_nginx

    if find_nginx() is None:
        raise SystemExit(f"--nginx: {MISSING}")

    http, https = free_port(), free_port()
    conf = for_this_machine(NGINX_CONF.read_text(encoding="utf-8"), http, https,
                            folder / "site", [port])
    return start_nginx(folder / "nginx", conf, https), https


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each flood")
    parser.add_argument("--flooders", type=int, default=2, help="flooding processes")
    parser.add_argument("--nginx", action="store_true",
                        help="through deploy/nginx.conf (TLS, its limit_req zones)")
    args = parser.parse_args()
    raise_fd_limit()
    asyncio.run(main_async(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
