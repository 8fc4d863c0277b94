"""A reader's ping while operators log in: does argon2 stall the sidecar's event loop?

    python bench/login_ping.py                    # 60 concurrent logins
    python bench/login_ping.py --root /tmp/old    # the same against another checkout

One sidecar process (`python -m chat_server serve`, SQLite) with --logins operators. Twenty
reader sockets (in their own process, so the load below does not delay their loop) send the
reader protocol's `ping`, 80 a second in all, and time each `pong`. First a quiet phase, then
--logins concurrent logins, each from its own loopback address (127.0.0.N: the per-address
budgets are not what is measured). Prints the ping's p50/p99/max in both phases and how long
the logins took. Not a timed test; the figures go to the issue note.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench password"
PING_EVERY = 0.25  # per reader socket
READERS = 20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(folder: Path, port: int) -> Path:
    path = folder / "config.yml"
    path.write_text(
        "site:\n  title: Bench\nlanguages: [en]\n"
        f"chat:\n  url: http://127.0.0.1:{port}\n  data_dir: data\n"
        '  hours_start: "00:00"\n  hours_end: "23:59"\n  closed_dates: []\n', encoding="utf-8")
    return path


def add_operators(root: Path, database: str, count: int) -> None:
    """In a child Python of `root`, so the store (and its migrations) are that checkout's."""
    code = (
        "import asyncio, sys\n"
        "from chat_server.auth import hash_password\n"
        "from chat_server.store import open_store\n"
        "async def main():\n"
        f"    store = open_store({database!r})\n"
        "    await store.migrate()\n"
        f"    hashed = hash_password({PASSWORD!r})\n"
        f"    for n in range({count}):\n"
        "        await store.add_operator(f'op{n}@example.com', f'Operator {n}', hashed)\n"
        "    await store.close()\n"
        "asyncio.run(main())\n")
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True)


def start_sidecar(root: Path, config: Path, port: int, database: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CHAT_SECRET_KEY": "bench", "CHAT_DATABASE_URL": database}
    log = config.parent / "sidecar.log"
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "chat_server", "--config", str(config), "serve",
             "--port", str(port)], cwd=root, env=env, stdout=output, stderr=subprocess.STDOUT)
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


# ------------------------------------------------------------------ the reader (a child)
def pinger(port: int, stop: Any, results: Any) -> None:
    """Ping until `stop` is set; then put the (sent at, round trip in ms) pairs on `results`.

    A socket may send 5 frames a second (sockets.FRAMES_PER_SECOND): READERS sockets ping
    4 times a second each, spread out, for a sample every 1/(4 * READERS) s."""
    from websockets.asyncio.client import connect

    async def reader(offset: float, samples: list[tuple[float, float]]) -> None:
        async with connect(f"ws://127.0.0.1:{port}/ws/reader") as ws:
            await ws.send(json.dumps({"type": "hello"}))
            while json.loads(await ws.recv())["type"] != "welcome":
                pass
            await asyncio.sleep(offset)
            while not stop.is_set():
                sent, start = time.time(), time.perf_counter()
                await ws.send('{"type": "ping"}')
                while json.loads(await ws.recv())["type"] != "pong":
                    pass
                samples.append((sent, (time.perf_counter() - start) * 1000))
                await asyncio.sleep(max(0.0, PING_EVERY - (time.time() - sent)))

    async def run() -> list[tuple[float, float]]:
        samples: list[tuple[float, float]] = []
        await asyncio.gather(*(reader(n * PING_EVERY / READERS, samples)
                               for n in range(READERS)))
        return samples

    results.put(asyncio.run(run()))


# ------------------------------------------------------------------ the logins (this process)
async def logins(port: int, count: int) -> tuple[float, float, list[int]]:
    import httpx

    async def one(n: int) -> int:
        address = f"127.0.0.{10 + n % 240}"  # its own address: no per-address budget shared
        transport = httpx.AsyncHTTPTransport(local_address=address)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", transport=transport,
                                     timeout=120) as client:
            answer = await client.post("/api/operator/login", json={
                "email": f"op{n}@example.com", "password": PASSWORD})
            return answer.status_code

    start = time.time()
    codes = await asyncio.gather(*(one(n) for n in range(count)))
    return start, time.time(), list(codes)


def summary(values: list[float]) -> str:
    if len(values) < 2:
        return f"{len(values)} pings"
    cuts = statistics.quantiles(values, n=100)
    return (f"p50 {statistics.median(values):.1f} ms, p99 {cuts[98]:.1f} ms, "
            f"max {max(values):.1f} ms ({len(values)} pings)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--logins", type=int, default=60)
    parser.add_argument("--quiet", type=float, default=2.0, help="seconds of pings first")
    parser.add_argument("--root", type=Path, default=ROOT,
                        help="the checkout whose sidecar runs (default: this one)")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="login-ping-") as folder:
        port = free_port()
        database = f"sqlite:///{Path(folder) / 'chat.db'}"
        config = write_config(Path(folder), port)
        add_operators(args.root.resolve(), database, args.logins)
        sidecar = start_sidecar(args.root.resolve(), config, port, database)
        try:
            spawn = multiprocessing.get_context("spawn")
            results, stop = spawn.Queue(), spawn.Event()
            reader = spawn.Process(target=pinger, args=(port, stop, results), daemon=True)
            reader.start()
            time.sleep(args.quiet + 1)  # the reader's start-up, then the quiet phase
            start, end, codes = asyncio.run(logins(port, args.logins))
            time.sleep(0.2)
            stop.set()
            samples = results.get(timeout=60)
            reader.join(timeout=10)
        finally:
            sidecar.terminate()
            sidecar.wait(timeout=10)
    quiet = [ms for at, ms in samples if at < start]
    busy = [ms for at, ms in samples if start <= at <= end]
    report = {"root": str(args.root), "logins": args.logins,
              "logins_seconds": round(end - start, 2),
              "statuses": {str(c): codes.count(c) for c in sorted(set(codes))},
              "quiet": summary(quiet), "during_logins": summary(busy)}
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"sidecar from {args.root}")
    print(f"{args.logins} concurrent logins took {end - start:.2f} s; answers {report['statuses']}")
    print(f"reader's ping, quiet:          {summary(quiet)}")
    print(f"reader's ping, during logins:  {summary(busy)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
