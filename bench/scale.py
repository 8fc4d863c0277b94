"""Scale-out benchmark: one sidecar on SQLite, one on PostgreSQL + Redis, two on PostgreSQL +
Redis, and a bare `websockets` server as this machine's ceiling, under the same load.

    python bench/scale.py                       # 10,000 readers, 500 of them active
    python bench/scale.py --readers 2000 --step-seconds 3 --only sqlite_one   # a quick look
    python bench/scale.py --json     # {"sqlite_one": {...}, "pg_one": ..., "pg_two": ...}

The load runs in separate client processes on loopback (`--loaders`, each holding its share
of the reader sockets, spread over the setup's sidecars in turn) and one operator process
connected to the last sidecar, so with two sidecars half the messages cross Redis. A reader
puts `time.monotonic_ns()` in each message; CLOCK_MONOTONIC is one clock for every process
of the machine, so the operator process reads the delivery latency off the body it gets.

For each setup: memory per open reader connection (the sidecars' RSS before and after, from
/proc), then offered rates stepping up by --factor from --start-rate, each for --step-seconds,
until the p99 delivery latency reaches --p99-ms or the readers fall behind the offered rate;
`msgs_per_s` is the highest achieved rate whose p99 stayed under it. Every active reader keeps
one message in flight (send, wait for its ack), as a person typing would.

`--sidecar-cpu 0.3` gives each sidecar (and the bare server) a cgroup of its own with 0.3 of
a core (bench/cpu_budget.py): the sidecars, not the shared machine, are then what runs out
first, as on a deployment where each has cores of its own — the way to measure "two
processes vs one" on a machine with few cores. Needs a writable /sys/fs/cgroup (root).

PostgreSQL and Redis are this machine's (CHAT_BENCH_POSTGRES_URL, CHAT_BENCH_REDIS_URL); each
run uses a new schema and channel prefix and drops the schema after. Not a timed test: the
figures go to bench/README.md and the issue note.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from chat import (  # noqa: E402
    PASSWORD,
    cpu_seconds,
    free_port,
    percentile,
    raise_fd_limit,
    report_long_collections,
    rss_kib,
    run_bare,
)
from cpu_budget import CpuBudget, Unavailable  # noqa: E402

from chat_server.runtime import tune_gc  # noqa: E402

PG_URL = os.environ.get("CHAT_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("CHAT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
SETUPS = ("sqlite_one", "pg_one", "pg_two", "bare")
SPAWN = multiprocessing.get_context("spawn")


@dataclass
class Backend:
    """Where a setup's sidecars keep their data and meet each other."""

    database: str
    schema: str = ""
    broker: str = "memory://"
    prefix: str = "chat:"
    data_dir: str = ""
    processes: int = 1


# --------------------------------------------------------------------- servers (children)
def run_sidecar(port: int, backend: Backend) -> None:
    raise_fd_limit()
    import uvicorn

    from chat_server import limits, sockets
    from chat_server.app import create_app
    from chat_server.broker import open_broker
    from chat_server.runtime import SERVER_OPTIONS, tune_gc
    from chat_server.settings import ChatSettings
    from chat_server.store import open_store

    # Every benchmark reader comes from 127.0.0.1 and sends as fast as asked: lift the
    # per-address and per-socket limits, which would otherwise be what we measure.
    sockets.FRAMES_PER_SECOND = 1e9
    sockets.FRAME_BURST = 10**9
    limits.CONNECT = limits.Rule("connect", rate=1e9, burst=10**9)
    settings = ChatSettings(secret_key="bench", data_dir=Path(backend.data_dir),
                            hours_start="00:00", hours_end="23:59", closed_dates=(),
                            database_url=backend.database, database_schema=backend.schema,
                            broker_url=backend.broker, broker_prefix=backend.prefix)
    store = open_store(settings.database, backend.schema or None)
    app = create_app(settings, store, open_broker(backend.broker, backend.prefix))
    tune_gc()
    report_long_collections(f"the sidecar on port {port}")
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", backlog=8192,
                **SERVER_OPTIONS)


def start_server(target: Any, *args: Any) -> multiprocessing.process.BaseProcess:
    import socket

    process = SPAWN.Process(target=target, args=args, daemon=True)
    process.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", args[0]), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


# --------------------------------------------------------------------- readers (children)
async def _reader(url: str) -> Any:
    from websockets.asyncio.client import connect

    # No pings from this side: the server pings every socket already, and a loader holding
    # 5,000 sockets would ping in bursts of its own.
    ws = await connect(url + "/ws/reader", max_size=1024 * 1024, open_timeout=120,
                       compression=None, ping_interval=None)
    await ws.send(json.dumps({"type": "hello"}))
    while json.loads(await ws.recv())["type"] != "welcome":
        pass
    return ws


async def _send_and_ack(ws: Any, conversation: int | None, body: str) -> int:
    await ws.send(json.dumps({"type": "message", "client_id": body, "body": body,
                              "conversation_id": conversation}))
    while True:
        frame = json.loads(await ws.recv())
        if frame["type"] == "ack" and frame["client_id"] == body:
            return int(frame["conversation"]["id"])


def stamped(tag: str, n: int, count: int) -> str:
    return f"{tag}|{time.monotonic_ns()}|{n}-{count}"


async def _loader(control: Connection, urls: list[str], readers: int, active: int,
                  index: int) -> None:
    loop = asyncio.get_running_loop()
    sockets: list[Any] = []
    for first in range(0, readers, 200):
        batch = range(first, min(readers, first + 200))
        sockets += await asyncio.gather(*(_reader(urls[(index + n) % len(urls)]) for n in batch))
    talking = sockets[:active]
    conversations = await asyncio.gather(*(
        _send_and_ack(ws, None, stamped("first", n, 0)) for n, ws in enumerate(talking)))
    # As the sidecar does (chat_server/runtime.py): with thousands of sockets open, Python's
    # full collections would stop this loader for a good part of a second, and the messages
    # it stamped meanwhile would look late.
    tune_gc()
    report_long_collections(f"loader {index}")
    control.send(("opened", len(sockets)))
    while True:
        command = await loop.run_in_executor(None, control.recv)
        if command[0] == "close":
            break
        _, tag, rate, seconds = command
        sent = await _paced(talking, conversations, tag, rate, seconds)
        control.send(("done", sent))
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    control.send(("closed",))


async def _paced(talking: list[Any], conversations: list[int], tag: str, rate: float,
                 seconds: float) -> int:
    """Each reader sends at rate/len(talking) a second, one message in flight."""
    interval = len(talking) / rate
    stop_at = time.perf_counter() + seconds

    async def one(n: int, ws: Any, conversation: int) -> int:
        count = 0
        next_at = time.perf_counter() + interval * n / len(talking)
        while next_at < stop_at:
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
            await _send_and_ack(ws, conversation, stamped(tag, n, count))
            count += 1
            next_at = max(next_at + interval, time.perf_counter() - interval)
        return count

    return sum(await asyncio.gather(*(one(n, ws, c) for n, (ws, c) in
                                      enumerate(zip(talking, conversations, strict=True)))))


def run_loader(control: Connection, urls: list[str], readers: int, active: int,
               index: int) -> None:
    raise_fd_limit()
    asyncio.run(_loader(control, urls, readers, active, index))


# --------------------------------------------------------------------- the operator (child)
async def _operator(control: Connection, url: str, cookie: str | None, trace_path: str
                    ) -> None:
    from websockets.asyncio.client import connect

    # --trace: every delivery as "step arrival-time latency-ms", to see when the late ones came
    trace = open(trace_path, "w", encoding="utf-8") if trace_path else None  # noqa: SIM115

    headers = {"Cookie": cookie} if cookie else None
    ws = await connect(url + "/ws/operator", additional_headers=headers,
                       max_size=64 * 1024 * 1024, compression=None)
    while json.loads(await ws.recv())["type"] != "welcome":
        pass
    tune_gc()
    report_long_collections("the operator process")
    latencies: dict[str, list[float]] = {}

    async def watch() -> None:
        async for raw in ws:
            frame = json.loads(raw)
            if frame.get("type") != "message":
                continue
            tag, _, rest = str(frame["message"].get("body", "")).partition("|")
            stamp = rest.partition("|")[0]
            if stamp.isdigit():
                ms = (time.monotonic_ns() - int(stamp)) / 1e6
                latencies.setdefault(tag, []).append(ms)
                if trace is not None:
                    trace.write(f"{tag} {time.monotonic():.4f} {ms:.2f}\n")

    watcher = asyncio.create_task(watch())
    control.send(("ready",))
    loop = asyncio.get_running_loop()
    while True:
        command = await loop.run_in_executor(None, control.recv)
        if command[0] == "close":
            break
        await asyncio.sleep(0.5)  # the last messages of the step are still on their way
        control.send(("latencies", latencies.pop(command[1], [])))
    watcher.cancel()
    await ws.close()
    if trace is not None:
        trace.close()


def run_operator(control: Connection, url: str, cookie: str | None, trace_path: str) -> None:
    asyncio.run(_operator(control, url, cookie, trace_path))


# --------------------------------------------------------------------- one setup
@dataclass
class Step:
    offered: float
    achieved: float
    p99_ms: float
    median_ms: float
    delivered: int
    # Where the time went: the sidecars' CPU per message sent, and how busy the whole
    # machine was (all cores): on a small machine the clients and databases share them.
    sidecar_cpu_ms: float = 0.0
    clients_cpu_ms: float = 0.0  # the loaders and the operator process
    databases_cpu_ms: float = 0.0  # PostgreSQL's and Redis' processes on this machine
    machine_busy: float = 0.0


@dataclass
class Outcome:
    connections: int = 0
    kib_per_connection: float = 0.0
    steps: list[Step] = field(default_factory=list)

    def best(self, p99_ms: float) -> Step | None:
        passing = [s for s in self.steps if s.p99_ms < p99_ms and s.delivered]
        return max(passing, key=lambda s: s.achieved) if passing else None


def child(target: Any, *args: Any) -> tuple[Connection, multiprocessing.process.BaseProcess]:
    ours, theirs = SPAWN.Pipe()
    process = SPAWN.Process(target=target, args=(theirs, *args), daemon=True)
    process.start()
    return ours, process


def expect(control: Connection, kind: str, timeout: float = 600) -> Any:
    if not control.poll(timeout):
        raise RuntimeError(f"no {kind!r} from a client process within {timeout:.0f} s")
    message = control.recv()
    if message[0] != kind:
        raise RuntimeError(f"expected {kind!r}, got {message!r}")
    return message


def drive(urls: list[str], pids: list[int], cookie: str | None,
          args: argparse.Namespace) -> Outcome:
    outcome = Outcome()
    operator, operator_process = child(run_operator, urls[-1], cookie, args.trace)
    expect(operator, "ready", 60)
    before = sum(rss_kib(pid) for pid in pids)
    share, talk = args.readers // args.loaders, args.active // args.loaders
    loaders = [child(run_loader, urls, share, talk, n) for n in range(args.loaders)]
    outcome.connections = sum(expect(control, "opened")[1] for control, _ in loaders)
    outcome.kib_per_connection = round(
        (sum(rss_kib(pid) for pid in pids) - before) / max(1, outcome.connections), 1)
    # Untimed: the first messages of a run pay for what a running sidecar has already
    # (database connections, prepared statements, warm caches), and the garbage collector
    # of every process is still moving the objects of 10,000 new sockets to its old
    # generation (collections of up to ~150 ms, a bare websockets server's too).
    watched = Watched(pids, [p.pid or 0 for p in [operator_process, *(p for _, p in loaders)]])
    run_step("warmup", args.start_rate / 2, loaders, operator, args, watched,
             seconds=args.warmup_seconds)
    rate = args.start_rate
    for number in range(args.max_steps):
        step = run_step(f"s{number}", rate, loaders, operator, args, watched)
        outcome.steps.append(step)
        print(f"    {rate:8.0f}/s offered: {step.achieved:8.1f}/s, p99 {step.p99_ms:7.1f} ms; "
              f"CPU ms/msg sidecars {step.sidecar_cpu_ms:.2f}, clients {step.clients_cpu_ms:.2f}"
              f", databases {step.databases_cpu_ms:.2f}; machine {step.machine_busy:.0%} busy",
              file=sys.stderr)
        if step.p99_ms >= args.p99_ms or step.achieved < 0.9 * rate:
            break
        rate *= args.factor
    for control, _process in [*loaders, (operator, operator_process)]:
        control.send(("close",))
    for control, process in loaders:
        expect(control, "closed")
        process.join(30)
    operator_process.join(30)
    return outcome


def busy_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine so far, from /proc/stat."""
    fields = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def database_pids() -> list[int]:
    """This machine's PostgreSQL and Redis processes (their names, from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/comm"):
        try:
            if stat.read_text().strip() in ("postgres", "redis-server"):
                found.append(int(stat.parent.name))
        except OSError:  # gone meanwhile
            continue
    return found


def cpu_of(pids: list[int]) -> dict[int, float]:
    """CPU seconds so far of each of `pids` still running."""
    seconds = {}
    for pid in pids:
        try:
            seconds[pid] = cpu_seconds(pid)
        except OSError:  # a database backend that ended
            continue
    return seconds


def spent(after: dict[int, float], before: dict[int, float]) -> float:
    """CPU seconds between two `cpu_of` readings: a process that ended meanwhile is left out
    (its time would count negative), one that started counts from zero."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


@dataclass
class Watched:
    """The processes whose CPU a step reports: the sidecars, the client processes."""

    sidecars: list[int]
    clients: list[int]

    def cpu(self) -> tuple[dict[int, float], ...]:
        return cpu_of(self.sidecars), cpu_of(self.clients), cpu_of(database_pids())


def run_step(tag: str, rate: float, loaders: list[tuple[Connection, Any]],
             operator: Connection, args: argparse.Namespace, watched: Watched,
             seconds: float | None = None) -> Step:
    seconds = args.step_seconds if seconds is None else seconds
    cpu_before, ticks_before = watched.cpu(), busy_ticks()
    started = time.perf_counter()
    for control, _ in loaders:
        control.send(("phase", tag, rate / len(loaders), seconds))
    sent = sum(expect(control, "done", seconds + 120)[1] for control, _ in loaders)
    elapsed = time.perf_counter() - started
    cpu = [spent(after, before) for after, before in zip(watched.cpu(), cpu_before, strict=True)]
    ticks = busy_ticks()
    busy = (ticks[0] - ticks_before[0]) / max(1, ticks[1] - ticks_before[1])
    operator.send(("report", tag))
    latencies = expect(operator, "latencies")[1]
    # A message the operator never got is as late as it gets.
    missing = max(0, sent - len(latencies))
    latencies = latencies + [float("inf")] * missing
    return Step(offered=rate, achieved=round(sent / elapsed, 1),
                p99_ms=round(percentile(latencies, 0.99), 1),
                median_ms=round(statistics.median(latencies), 2) if latencies else 0.0,
                delivered=len(latencies) - missing,
                sidecar_cpu_ms=per_message(cpu[0], sent), clients_cpu_ms=per_message(cpu[1], sent),
                databases_cpu_ms=per_message(cpu[2], sent), machine_busy=round(busy, 2))


def per_message(cpu_seconds: float, sent: int) -> float:
    return round(cpu_seconds * 1000 / max(1, sent), 2)


# --------------------------------------------------------------------- setting up
async def prepare(backend: Backend, operators: int) -> None:
    from chat_server.auth import hash_password
    from chat_server.store import open_store

    if backend.schema:
        await pg_schema("create", backend.schema)
    store = open_store(backend.database, backend.schema or None)
    await store.migrate()
    hashed = hash_password(PASSWORD)
    for n in range(operators):
        await store.add_operator(f"op{n}@example.com", f"Operator {n}", hashed)
    await store.close()


async def pg_schema(action: str, schema: str) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    parsed = make_url(PG_URL)
    conn = await asyncpg.connect(host=parsed.host, port=parsed.port or 5432,
                                 user=parsed.username, password=parsed.password,
                                 database=parsed.database)
    try:
        verb = "CREATE SCHEMA" if action == "create" else "DROP SCHEMA IF EXISTS"
        await conn.execute(f'{verb} "{schema}"' + (" CASCADE" if action == "drop" else ""))
    finally:
        await conn.close()


async def login(base_http: str) -> str:
    import httpx

    async with httpx.AsyncClient(base_url=base_http) as client:
        response = await client.post("/api/operator/login",
                                     json={"email": "op0@example.com", "password": PASSWORD})
        response.raise_for_status()
        return f"chat_session={client.cookies['chat_session']}"


def backend_for(setup: str, data_dir: str) -> Backend:
    if setup == "sqlite_one":
        return Backend(database=f"sqlite:///{Path(data_dir) / 'chat.db'}", data_dir=data_dir)
    run = uuid.uuid4().hex[:10]
    return Backend(database=PG_URL, schema=f"bench_scale_{run}", broker=REDIS_URL,
                   prefix=f"bench-scale-{run}:", data_dir=data_dir,
                   processes=2 if setup == "pg_two" else 1)


def budget(pid: int, cores: float) -> CpuBudget | None:
    """--sidecar-cpu: each sidecar in a cgroup of its own with that many cores' worth."""
    if not cores:
        return None
    group = CpuBudget(cores)
    group.add(pid)
    return group


def measure(setup: str, args: argparse.Namespace) -> Outcome:
    print(f"{setup}:", file=sys.stderr)
    if setup == "bare":
        port = free_port()
        server = start_server(run_bare, port)
        group = budget(server.pid or 0, args.sidecar_cpu)
        try:
            return drive([f"ws://127.0.0.1:{port}"], [server.pid or 0], None, args)
        finally:
            server.terminate()
            server.join()
            if group:
                group.remove()
    with tempfile.TemporaryDirectory(prefix="chat-scale-") as data_dir:
        backend = backend_for(setup, data_dir)
        asyncio.run(prepare(backend, operators=1))
        ports = [free_port() for _ in range(backend.processes)]
        servers = [start_server(run_sidecar, port, backend) for port in ports]
        budgets = [budget(server.pid or 0, args.sidecar_cpu) for server in servers]
        try:
            cookie = asyncio.run(login(f"http://127.0.0.1:{ports[0]}"))
            return drive([f"ws://127.0.0.1:{port}" for port in ports],
                         [s.pid or 0 for s in servers], cookie, args)
        finally:
            for group in filter(None, budgets):
                print(f"    budget {group.cores} core: waited {group.throttled_seconds():.1f} s "
                      "for CPU in all", file=sys.stderr)
            for server in servers:
                server.terminate()
                server.join()
            for group in filter(None, budgets):
                group.remove()
            if backend.schema:
                asyncio.run(pg_schema("drop", backend.schema))


def summary(outcomes: dict[str, Outcome], args: argparse.Namespace) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for setup, outcome in outcomes.items():
        best = outcome.best(args.p99_ms)
        result[setup] = {
            "msgs_per_s": best.achieved if best else 0.0,
            "p99_ms": best.p99_ms if best else None,
            "median_ms": best.median_ms if best else None,
            "connections": outcome.connections,
            "kib_per_connection": outcome.kib_per_connection,
            "steps": [vars(step) for step in outcome.steps],
        }
    rate = {setup: row["msgs_per_s"] for setup, row in result.items()}
    if rate.get("pg_one") and "pg_two" in rate:
        result["pg_two_vs_pg_one"] = round(rate["pg_two"] / rate["pg_one"], 2)
    if rate.get("bare") and "sqlite_one" in rate:
        result["sqlite_one_vs_bare"] = round(rate["sqlite_one"] / rate["bare"], 2)
    result["settings"] = {"readers": args.readers, "active": args.active,
                          "loaders": args.loaders, "p99_ms_limit": args.p99_ms,
                          "step_seconds": args.step_seconds,
                          "warmup_seconds": args.warmup_seconds, "cpus": os.cpu_count(),
                          "sidecar_cpu": args.sidecar_cpu or None}
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--readers", type=int, default=10_000, help="open reader sockets")
    parser.add_argument("--active", type=int, default=500, help="of which send messages")
    parser.add_argument("--loaders", type=int, default=2, help="client processes for readers")
    parser.add_argument("--start-rate", type=float, default=150, help="first offered msg/s")
    parser.add_argument("--factor", type=float, default=1.25, help="next step's rate factor")
    parser.add_argument("--max-steps", type=int, default=16)
    parser.add_argument("--step-seconds", type=float, default=8)
    parser.add_argument("--warmup-seconds", type=float, default=25,
                        help="untimed first step, at half --start-rate")
    parser.add_argument("--p99-ms", type=float, default=50, help="delivery p99 limit")
    parser.add_argument("--only", default=",".join(SETUPS),
                        help=f"comma-separated setups of {', '.join(SETUPS)}")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    parser.add_argument("--trace", default="", help="file for every delivery's latency")
    parser.add_argument("--sidecar-cpu", type=float, default=0.0,
                        help="cores each sidecar may use (a cgroup quota; 0: no limit)")
    args = parser.parse_args()
    if args.sidecar_cpu:
        try:
            CpuBudget(args.sidecar_cpu).remove()
        except Unavailable as exc:
            parser.error(f"--sidecar-cpu: {exc}")
    raise_fd_limit()
    setups = [name for name in args.only.split(",") if name]
    unknown = set(setups) - set(SETUPS)
    if unknown:
        parser.error(f"unknown setups: {', '.join(sorted(unknown))}")
    outcomes = {setup: measure(setup, args) for setup in setups}
    result = summary(outcomes, args)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    for setup in setups:
        row = result[setup]
        print(f"{setup:>10}: {row['connections']} connections, {row['kib_per_connection']} "
              f"KiB each; {row['msgs_per_s']} msg/s at p99 {row['p99_ms']} ms "
              f"(median {row['median_ms']} ms)")
    for ratio in ("pg_two_vs_pg_one", "sqlite_one_vs_bare"):
        if ratio in result:
            print(f"{ratio}: {result[ratio]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
