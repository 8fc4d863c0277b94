"""Benchmark of the chat sidecar on one process (SQLite persistence), with a bare `websockets`
broadcast server measured by the same load as the ceiling of this machine.

    python bench/chat.py                      # 5,000 readers, 500 msg/s, 3 operators
    python bench/chat.py --readers 500 --rate 100 --duration 5   # a quick look

What it measures, for the sidecar and then for the bare server:
- memory per open reader connection (server RSS before and after opening them, /proc);
- delivery latency: a reader's message from send to arrival at an operator's socket
  (median and p99) at a fixed offered rate (--rate messages/s spread over --active readers);
- throughput: --active readers each keep one message in flight (send, wait for the ack,
  send again) for --duration seconds; messages/s acknowledged;
- CPU while flat out, in cores: the server's and the load's, to show which ran out first.
Both servers run without per-message deflate (the sidecar as `python -m chat_server` serves).
The load generator is one Python process on the same machine: on a small machine it is
part of what is measured, for both servers alike. Spreading it over several processes was
tried: on 2 cores that lowered the bare server's figure (about 10.8k -> 5k msg/s: more
processes waking each other on the same cores), so it stays in one, the stricter ceiling.
Not a timed test; figures go to the README and the issue note.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chat_server.runtime import tune_gc  # noqa: E402

PASSWORD = "bench password"
GC_REPORT_MS = 20.0  # a collection that stops a process this long is worth a line


def report_long_collections(role: str) -> None:
    """Print every garbage collection that stops this process over GC_REPORT_MS: with
    thousands of sockets a full one takes long enough to show up as late messages."""
    import gc

    started: list[float] = []

    def watch(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started[:] = [time.perf_counter()]
        elif started:
            ms = (time.perf_counter() - started[0]) * 1000
            if ms > GC_REPORT_MS:
                print(f"    gc: generation {info['generation']} stopped {role} {ms:.0f} ms",
                      file=sys.stderr, flush=True)

    gc.callbacks.append(watch)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# --------------------------------------------------------------------- the servers (children)
def run_sidecar(port: int, data_dir: str, synchronous: str) -> None:
    raise_fd_limit()
    import uvicorn

    from chat_server import limits, sockets
    from chat_server.app import create_app
    from chat_server.broker import open_broker
    from chat_server.runtime import SERVER_OPTIONS, tune_gc
    from chat_server.settings import ChatSettings
    from chat_server.store import open_store

    # Every reader of the benchmark comes from 127.0.0.1 and sends as fast as asked:
    # lift the per-address and per-socket limits, which would otherwise be what we measure.
    sockets.FRAMES_PER_SECOND = 1e9
    sockets.FRAME_BURST = 10**9
    database = f"sqlite:///{Path(data_dir) / 'chat.db'}?synchronous={synchronous}"
    settings = ChatSettings(secret_key="bench", data_dir=Path(data_dir), hours_start="00:00",
                            hours_end="23:59", closed_dates=(), database_url=database)
    app = create_app(settings, open_store(settings.database), open_broker("memory://"))
    limits.CONNECT = limits.Rule("connect", rate=1e9, burst=10**9)  # read when a socket opens
    tune_gc()  # as `python -m chat_server serve` does
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", backlog=8192,
                **SERVER_OPTIONS)


def run_bare(port: int) -> None:
    """The ceiling: parse the frame, answer an ack, fan out to operators. No database."""
    raise_fd_limit()
    from websockets.asyncio.server import broadcast, serve

    operators: set[Any] = set()

    async def handler(ws: Any) -> None:
        if ws.request.path == "/ws/operator":
            operators.add(ws)
            await ws.send(json.dumps({"type": "welcome"}))
            try:
                await ws.wait_closed()
            finally:
                operators.discard(ws)
            return
        seq = 0
        async for raw in ws:
            frame = json.loads(raw)
            if frame["type"] == "hello":
                await ws.send(json.dumps({"type": "welcome", "token": "t"}))
            elif frame["type"] == "message":
                seq += 1
                message = {"id": seq, "body": frame["body"], "conversation_id": 1}
                await ws.send(json.dumps({"type": "ack", "client_id": frame["client_id"],
                                          "message": message, "conversation": {"id": 1}}))
                broadcast(operators, json.dumps({"type": "message", "message": message}))

    async def main() -> None:
        # Without per-message deflate, as the sidecar serves (chat_server.__main__).
        async with serve(handler, "127.0.0.1", port, max_size=1024 * 1024, backlog=8192,
                         compression=None):
            # The sidecar's garbage-collector settings (chat_server/runtime.py), so that the
            # ceiling is the websocket machinery, not Python's default collector.
            tune_gc()
            report_long_collections("the bare server")
            await asyncio.Future()

    asyncio.run(main())


def start(target: Any, *args: Any) -> multiprocessing.Process:
    process = multiprocessing.get_context("spawn").Process(target=target, args=args, daemon=True)
    process.start()
    port = args[0]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


# --------------------------------------------------------------------- the load (this process)
class Load:
    def __init__(self, base: str, cookie: str | None) -> None:
        self.base = base
        self.cookie = cookie
        self.latencies: list[float] = []
        self.sent_at: dict[str, float] = {}

    async def reader(self) -> Any:
        from websockets.asyncio.client import connect

        ws = await connect(self.base + "/ws/reader", max_size=1024 * 1024, open_timeout=60)
        await ws.send(json.dumps({"type": "hello"}))
        while json.loads(await ws.recv())["type"] != "welcome":
            pass
        return ws

    async def operator(self) -> Any:
        from websockets.asyncio.client import connect

        headers = {"Cookie": self.cookie} if self.cookie else None
        ws = await connect(self.base + "/ws/operator", additional_headers=headers,
                           max_size=16 * 1024 * 1024)
        while json.loads(await ws.recv())["type"] != "welcome":
            pass
        return ws

    async def watch(self, ws: Any) -> None:
        """The first operator times every reader message it is told about."""
        async for raw in ws:
            frame = json.loads(raw)
            if frame["type"] == "message":
                sent = self.sent_at.pop(frame["message"]["body"], None)
                if sent is not None:
                    self.latencies.append(time.perf_counter() - sent)

    async def drain(self, ws: Any) -> None:
        async for _raw in ws:
            pass


async def send_and_ack(ws: Any, conversation: int | None, body: str, load: Load) -> int:
    client_id = body
    load.sent_at[body] = time.perf_counter()
    await ws.send(json.dumps({"type": "message", "client_id": client_id, "body": body,
                              "conversation_id": conversation}))
    while True:
        frame = json.loads(await ws.recv())
        if frame["type"] == "ack" and frame["client_id"] == client_id:
            return int(frame["conversation"]["id"])


async def open_many(factory: Any, count: int, batch: int = 200) -> list[Any]:
    sockets: list[Any] = []
    for start_at in range(0, count, batch):
        sockets += await asyncio.gather(*(factory() for _ in range(min(batch, count - start_at))))
    return sockets


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] if ordered else 0.0


async def measure(name: str, base: str, pid: int, args: argparse.Namespace,
                  cookie: str | None) -> dict[str, Any]:
    load = Load(base, cookie)
    operators = [await load.operator() for _ in range(args.operators)]
    watchers = [asyncio.create_task(load.watch(operators[0]))]
    watchers += [asyncio.create_task(load.drain(ws)) for ws in operators[1:]]
    before = rss_kib(pid)
    idle = await open_many(load.reader, args.readers - args.active)
    active = await open_many(load.reader, args.active)
    per_connection = (rss_kib(pid) - before) / max(1, args.readers)
    conversations = await asyncio.gather(*(
        send_and_ack(ws, None, f"{name}-first-{n}", load) for n, ws in enumerate(active)))
    # Only the paced messages are timed: the operators may still be reading the burst of
    # first messages (one per active reader at once), which is not the offered rate.
    load.latencies.clear()
    load.sent_at.clear()

    # Fixed offered rate: latency.
    interval = args.active / args.rate
    stop_at = time.perf_counter() + args.duration

    async def paced(n: int, ws: Any, conversation: int) -> int:
        count = 0
        next_at = time.perf_counter() + interval * n / args.active
        while next_at < stop_at:
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
            await send_and_ack(ws, conversation, f"{name}-p-{n}-{count}", load)
            count += 1
            next_at += interval
        return count

    started = time.perf_counter()
    sent = sum(await asyncio.gather(*(paced(n, ws, c) for n, (ws, c) in
                                      enumerate(zip(active, conversations, strict=True)))))
    paced_rate = sent / (time.perf_counter() - started)
    await asyncio.sleep(0.5)
    latencies = list(load.latencies)

    # Closed loop: throughput.
    stop_at = time.perf_counter() + args.duration

    async def flat_out(n: int, ws: Any, conversation: int) -> int:
        count = 0
        while time.perf_counter() < stop_at:
            await send_and_ack(ws, conversation, f"{name}-f-{n}-{count}", load)
            count += 1
        return count

    started = time.perf_counter()
    server_cpu, load_cpu = cpu_seconds(pid), sum(os.times()[:2])
    done = sum(await asyncio.gather(*(flat_out(n, ws, c) for n, (ws, c) in
                                      enumerate(zip(active, conversations, strict=True)))))
    elapsed = time.perf_counter() - started
    server_cores = (cpu_seconds(pid) - server_cpu) / elapsed
    load_cores = (sum(os.times()[:2]) - load_cpu) / elapsed
    throughput = done / elapsed
    for task in watchers:
        task.cancel()
    await asyncio.gather(*(ws.close() for ws in [*idle, *active, *operators]),
                         return_exceptions=True)
    return {
        "server": name, "readers": args.readers, "active": args.active,
        "kib_per_connection": round(per_connection, 1),
        "offered_rate": args.rate, "achieved_rate": round(paced_rate, 1),
        "latency_median_ms": round(statistics.median(latencies) * 1000, 2) if latencies else None,
        "latency_p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "delivered": len(latencies), "throughput_msgs_per_s": round(throughput, 1),
        "server_cores_flat_out": round(server_cores, 2),
        "load_cores_flat_out": round(load_cores, 2),
    }


async def sidecar_cookie(base_http: str, data_dir: str) -> str:
    import httpx

    async with httpx.AsyncClient(base_url=base_http) as client:
        response = await client.post("/api/operator/login",
                                     json={"email": "op0@example.com", "password": PASSWORD})
        response.raise_for_status()
        return f"chat_session={client.cookies['chat_session']}"


async def add_operators(data_dir: str, count: int) -> None:
    from chat_server.auth import hash_password
    from chat_server.store import open_store

    store = open_store(f"sqlite:///{Path(data_dir) / 'chat.db'}")
    await store.migrate()
    hashed = hash_password(PASSWORD)
    for n in range(count):
        await store.add_operator(f"op{n}@example.com", f"Operator {n}", hashed)
    await store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--readers", type=int, default=5000, help="open reader connections")
    parser.add_argument("--active", type=int, default=250, help="of which send messages")
    parser.add_argument("--rate", type=float, default=500, help="offered messages per second")
    parser.add_argument("--operators", type=int, default=3)
    parser.add_argument("--duration", type=float, default=15, help="seconds per phase")
    parser.add_argument("--synchronous", choices=("full", "normal"), default="full",
                        help="SQLite synchronous mode of the sidecar (default full)")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args()
    raise_fd_limit()
    results = []
    with tempfile.TemporaryDirectory(prefix="chat-bench-") as data_dir:
        asyncio.run(add_operators(data_dir, args.operators))
        port = free_port()
        child = start(run_sidecar, port, data_dir, args.synchronous)
        try:
            cookie = asyncio.run(sidecar_cookie(f"http://127.0.0.1:{port}", data_dir))
            results.append(asyncio.run(measure("sidecar", f"ws://127.0.0.1:{port}",
                                               child.pid or 0, args, cookie)))
        finally:
            child.terminate()
            child.join()
    port = free_port()
    child = start(run_bare, port)
    try:
        results.append(asyncio.run(measure("bare-websockets", f"ws://127.0.0.1:{port}",
                                           child.pid or 0, args, None)))
    finally:
        child.terminate()
        child.join()
    sidecar, bare = results
    summary = {"results": results, "throughput_vs_bare": round(
        sidecar["throughput_msgs_per_s"] / max(bare["throughput_msgs_per_s"], 1e-9), 3),
        "cpus": os.cpu_count()}
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    for row in results:
        print(f"{row['server']:>16}: {row['readers']} readers ({row['active']} active), "
              f"{row['kib_per_connection']} KiB/connection; at {row['achieved_rate']}/s "
              f"latency median {row['latency_median_ms']} ms, p99 {row['latency_p99_ms']} ms "
              f"({row['delivered']} delivered); flat out {row['throughput_msgs_per_s']} msg/s "
              f"(server {row['server_cores_flat_out']} cores, load "
              f"{row['load_cores_flat_out']} cores)")
    print(f"sidecar throughput / bare websockets: {summary['throughput_vs_bare']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
