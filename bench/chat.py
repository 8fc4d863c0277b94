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
- CPU: the server's, and the load's (all its processes), in cores while flat out, to show
  which side ran out first.
The readers are spread over --load-processes processes (default 2): one Python process could
not offer the bare server enough load on its own. The operators, and the latency watch, stay
in this process; a message carries its send time, so latency is measured across processes
(time.time(): one clock on one machine). The load shares the machine with the server, for
both servers alike. Not a timed test; figures go to the README and the issue note.
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
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PASSWORD = "bench password"
SPAWN = multiprocessing.get_context("spawn")


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
    """User + system CPU time of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# --------------------------------------------------------------------- the servers (children)
def run_sidecar(port: int, data_dir: str, synchronous: str) -> None:
    raise_fd_limit()
    import uvicorn

    from chat_server import sockets
    from chat_server.__main__ import SERVER_OPTIONS
    from chat_server.app import create_app
    from chat_server.broker import open_broker
    from chat_server.limits import RateLimiter
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
    app.state.connect_limiter = RateLimiter(1e9, 10**9)
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
            await asyncio.Future()

    asyncio.run(main())


def start(target: Any, *args: Any) -> multiprocessing.Process:
    process = SPAWN.Process(target=target, args=args, daemon=True)
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


# --------------------------------------------------------------------- one load process
async def open_reader(base: str) -> Any:
    from websockets.asyncio.client import connect

    ws = await connect(base + "/ws/visitor", max_size=1024 * 1024, open_timeout=60)
    await ws.send(json.dumps({"type": "hello"}))
    while json.loads(await ws.recv())["type"] != "welcome":
        pass
    return ws


async def send_and_ack(ws: Any, conversation: int | None, client_id: str, phase: str) -> int:
    """One message, timed by its body (`<phase> <client id> <send time>`), until its ack."""
    body = f"{phase} {client_id} {time.time():.6f}"
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


def load_process(pipe: Connection, base: str, name: str, index: int, plan: dict[str, Any]
                 ) -> None:
    raise_fd_limit()
    asyncio.run(_load(pipe, base, name, index, plan))


async def _load(pipe: Connection, base: str, name: str, index: int, plan: dict[str, Any]
                ) -> None:
    """Open this process's share of readers, then run each phase when told to."""
    loop = asyncio.get_running_loop()
    processes, active_total = plan["processes"], plan["active"]
    # Global reader numbers, so that paced sends of all processes interleave evenly.
    numbers = list(range(index, active_total, processes))
    idle = await open_many(lambda: open_reader(base),
                           len(range(index, plan["readers"] - active_total, processes)))
    active = await open_many(lambda: open_reader(base), len(numbers))
    conversations = await asyncio.gather(*(
        send_and_ack(ws, None, f"{name}-first-{n}", "first") for n, ws in zip(numbers, active,
                                                                               strict=True)))
    pipe.send("ready")
    while True:
        command, start_at = await loop.run_in_executor(None, pipe.recv)
        if command == "close":
            await asyncio.gather(*(ws.close() for ws in [*idle, *active]),
                                 return_exceptions=True)
            pipe.send("closed")
            return
        run = paced if command == "paced" else flat_out
        counts = await asyncio.gather(*(
            run(ws, c, f"{name}-{command[0]}-{n}", n, start_at, plan)
            for n, ws, c in zip(numbers, active, conversations, strict=True)))
        pipe.send((sum(counts), time.time() - start_at))


async def paced(ws: Any, conversation: int, prefix: str, n: int, start_at: float,
                plan: dict[str, Any]) -> int:
    """Fixed offered rate: each active reader sends every active/rate seconds, staggered."""
    interval = plan["active"] / plan["rate"]
    stop_at = start_at + plan["duration"]
    next_at = start_at + interval * n / plan["active"]
    count = 0
    while next_at < stop_at:
        await asyncio.sleep(max(0.0, next_at - time.time()))
        await send_and_ack(ws, conversation, f"{prefix}-{count}", "p")
        count += 1
        next_at += interval
    return count


async def flat_out(ws: Any, conversation: int, prefix: str, n: int, start_at: float,
                   plan: dict[str, Any]) -> int:
    """Closed loop: one message in flight per active reader, as fast as acks come back."""
    await asyncio.sleep(max(0.0, start_at - time.time()))
    stop_at = start_at + plan["duration"]
    count = 0
    while time.time() < stop_at:
        await send_and_ack(ws, conversation, f"{prefix}-{count}", "f")
        count += 1
    return count


# --------------------------------------------------------------------- the coordinator
class Watch:
    """Operators' sockets: the first times every paced message it is told about."""

    def __init__(self) -> None:
        self.latencies: list[float] = []

    async def operator(self, base: str, cookie: str | None) -> Any:
        from websockets.asyncio.client import connect

        headers = {"Cookie": cookie} if cookie else None
        ws = await connect(base + "/ws/operator", additional_headers=headers,
                           max_size=16 * 1024 * 1024)
        while json.loads(await ws.recv())["type"] != "welcome":
            pass
        return ws

    async def watch(self, ws: Any) -> None:
        async for raw in ws:
            frame = json.loads(raw)
            if frame["type"] == "message":
                phase, _client_id, sent = frame["message"]["body"].split()
                if phase == "p":
                    self.latencies.append(time.time() - float(sent))

    async def drain(self, ws: Any) -> None:
        async for _raw in ws:
            pass


class LoadProcesses:
    def __init__(self, base: str, name: str, args: argparse.Namespace) -> None:
        plan = {"readers": args.readers, "active": args.active, "rate": args.rate,
                "duration": args.duration, "processes": args.load_processes}
        self.pipes: list[Connection] = []
        self.processes: list[multiprocessing.Process] = []
        for index in range(args.load_processes):
            ours, theirs = SPAWN.Pipe()
            process = SPAWN.Process(target=load_process, daemon=True,
                                    args=(theirs, base, name, index, plan))
            process.start()
            self.pipes.append(ours)
            self.processes.append(process)

    async def answers(self) -> list[Any]:
        loop = asyncio.get_running_loop()
        return list(await asyncio.gather(*(loop.run_in_executor(None, pipe.recv)
                                           for pipe in self.pipes)))

    async def phase(self, command: str) -> tuple[int, float]:
        """Run a phase in every load process from one start time: (messages, seconds)."""
        start_at = time.time() + 0.5
        for pipe in self.pipes:
            pipe.send((command, start_at))
        answers = await self.answers()
        return sum(count for count, _ in answers), max(seconds for _, seconds in answers)

    def cpu_seconds(self) -> float:
        return sum(cpu_seconds(p.pid or 0) for p in self.processes) + sum(os.times()[:2])

    async def close(self) -> None:
        for pipe in self.pipes:
            pipe.send(("close", 0.0))
        await self.answers()
        for process in self.processes:
            process.join(timeout=30)


async def measure(name: str, base: str, pid: int, args: argparse.Namespace,
                  cookie: str | None) -> dict[str, Any]:
    watch = Watch()
    operators = [await watch.operator(base, cookie) for _ in range(args.operators)]
    watchers = [asyncio.create_task(watch.watch(operators[0]))]
    watchers += [asyncio.create_task(watch.drain(ws)) for ws in operators[1:]]
    before = rss_kib(pid)
    load = LoadProcesses(base, name, args)
    await load.answers()  # every reader connected, every active one has its conversation
    per_connection = (rss_kib(pid) - before) / max(1, args.readers)

    sent, seconds = await load.phase("paced")
    await asyncio.sleep(0.5)
    latencies = list(watch.latencies)

    server_cpu, load_cpu = cpu_seconds(pid), load.cpu_seconds()
    done, flat_seconds = await load.phase("flat")
    server_cpu, load_cpu = cpu_seconds(pid) - server_cpu, load.cpu_seconds() - load_cpu
    await load.close()
    for task in watchers:
        task.cancel()
    await asyncio.gather(*(ws.close() for ws in operators), return_exceptions=True)
    flat_wall = flat_seconds + 0.5  # the CPU figures include the half second before the start
    return {
        "server": name, "readers": args.readers, "active": args.active,
        "kib_per_connection": round(per_connection, 1),
        "offered_rate": args.rate, "achieved_rate": round(sent / seconds, 1),
        "latency_median_ms": round(statistics.median(latencies) * 1000, 2) if latencies else None,
        "latency_p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "delivered": len(latencies), "throughput_msgs_per_s": round(done / flat_seconds, 1),
        "server_cores_flat_out": round(server_cpu / flat_wall, 2),
        "load_cores_flat_out": round(load_cpu / flat_wall, 2),
    }


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] if ordered else 0.0


async def sidecar_cookie(base_http: str) -> str:
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
    parser.add_argument("--load-processes", type=int, default=2,
                        help="processes the readers are spread over (default 2)")
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
            cookie = asyncio.run(sidecar_cookie(f"http://127.0.0.1:{port}"))
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
