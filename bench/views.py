"""Benchmark of article views: how many `POST /api/views` one sidecar process counts a second,
and what `GET /api/popular` costs once the table holds a month of views.

    python bench/views.py                       # SQLite, 64 clients, 10 s
    python bench/views.py --database postgresql://postgres@127.0.0.1:5432/test

One `python -m chat_server serve` process (as deployed) on a site manifest of 500 articles;
the load is one Python process keeping --clients requests in flight for --duration seconds,
each view from its own made-up client address (X-Forwarded-For from a trusted proxy, so the
per-address limit sees readers, not one benchmark). Then 30 days × 500 articles of rows are
added and the popular list is asked with its one-minute cache emptied (a new process) and warm.
Not a timed test; figures go to bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ARTICLES = 500


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_project(folder: Path, port: int) -> Path:
    (folder / "site" / "_data").mkdir(parents=True)
    entries = [{"id": f"c{n % 20}/a{n}", "lang": "ru", "title": f"Статья {n}",
                "url": f"/ru/c{n % 20}/a{n}/", "author": None, "collection": f"c{n % 20}",
                "commit": None} for n in range(ARTICLES)]
    (folder / "site" / "_data" / "articles.json").write_text(json.dumps(entries))
    config = folder / "config.yml"
    config.write_text(f"site: {{title: Bench}}\nlanguages: [ru]\n"
                      f"chat: {{url: 'http://127.0.0.1:{port}', data_dir: data}}\n")
    return config


def start(config: Path, port: int, database: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CHAT_SECRET_KEY": "bench", "CHAT_TRUSTED_PROXIES": "127.0.0.1",
           "PYTHONPATH": str(ROOT)}
    if database:
        env["CHAT_DATABASE_URL"] = database
        env["CHAT_DATABASE_SCHEMA"] = f"bench_views_{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "chat_server", "--config", str(config), "serve", "--port",
         str(port), "--site", str(config.parent / "site")], env=env, cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.1):
                return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("the sidecar did not start")


async def load(base: str, clients: int, duration: float, path: str = "/api/views"
               ) -> tuple[int, list[float]]:
    latencies: list[float] = []
    counted = 0
    stop = time.monotonic() + duration

    async def client(n: int, http: httpx.AsyncClient) -> None:
        nonlocal counted
        while time.monotonic() < stop:
            article = random.randrange(ARTICLES)
            address = f"10.{n}.{random.randrange(256)}.{random.randrange(1, 255)}"
            began = time.perf_counter()
            headers = {"Content-Type": "text/plain", "X-Forwarded-For": address}
            if path == "/api/views":
                answer = await http.post(path, headers=headers, content=json.dumps(
                    {"article_id": f"c{article % 20}/a{article}", "lang": "ru"}))
            else:
                answer = await http.get(path, headers=headers)
            latencies.append(time.perf_counter() - began)
            counted += answer.status_code in (200, 202)

    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as http:
        await asyncio.gather(*(client(n, http) for n in range(clients)))
    return counted, latencies


async def fill_month(database: str, data_dir: Path, schema: str | None) -> None:
    from chat_server.store import open_store
    from chat_server.store.article_views import day_of

    store = open_store(database or f"sqlite:///{data_dir / 'chat.db'}", schema=schema)
    today = day_of(int(time.time() * 1000))
    for day in range(today - 30, today):
        await asyncio.gather(*(store.count_view(f"c{n % 20}/a{n}", "ru", day)
                               for n in range(ARTICLES)))
    await store.close()


async def popular_ms(base: str, times: int) -> list[float]:
    async with httpx.AsyncClient(base_url=base) as http:
        took: list[float] = []
        for _ in range(times):
            began = time.perf_counter()
            (await http.get("/api/popular?lang=ru", headers={
                "X-Forwarded-For": f"10.9.9.{len(took) + 1}"})).raise_for_status()
            took.append((time.perf_counter() - began) * 1000)
        return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--database", default="", help="a PostgreSQL URL; SQLite by default")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        port = free_port()
        config = make_project(Path(folder), port)
        schema = f"bench_views_{port}" if args.database else None
        if schema:
            subprocess.run(["psql", args.database, "-qc", f"CREATE SCHEMA {schema}"], check=True)
        base = f"http://127.0.0.1:{port}"
        server = start(config, port, args.database)
        try:
            # The ceiling of this machine and process: an endpoint that touches nothing.
            for name, path in (("healthz (ceiling)", "/healthz"), ("views", "/api/views")):
                done, latencies = asyncio.run(load(base, args.clients, args.duration, path))
                cuts = statistics.quantiles(latencies, n=100)
                print(f"{name}: {done / args.duration:,.0f}/s answered "
                      f"({len(latencies) - done} refused), median {cuts[49] * 1000:.1f} ms, "
                      f"p99 {cuts[98] * 1000:.1f} ms")
            server.terminate()
            server.wait(10)
            asyncio.run(fill_month(args.database, Path(folder) / "data", schema))
            server = start(config, port, args.database)
            cold, *warm = asyncio.run(popular_ms(base, 50))
            print(f"popular over {30 * ARTICLES:,} rows: first {cold:.1f} ms, "
                  f"cached median {statistics.median(warm):.2f} ms")
        finally:
            server.terminate()
            server.wait(10)
            if schema:
                subprocess.run(["psql", args.database, "-qc", f"DROP SCHEMA {schema} CASCADE"],
                               check=False)


if __name__ == "__main__":
    main()
