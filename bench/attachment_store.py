"""Attachment bodies per backend (chat_server/blob_store.py): how long a 10 MiB file (the
upload limit) takes to store and to read back in chunks, and the most memory Python held
while reading it (tracemalloc: a download that loaded the file whole would show 10 MiB), for
the data folder, the database (SQLite and PostgreSQL) and S3 (moto's server on a local port;
a real S3 is further away, so only the shape is comparable).

    PYTHONPATH=. .venv/bin/python bench/attachment_store.py [--rounds 5] [--json]

PostgreSQL is CHAT_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test), in
a schema of its own that is dropped afterwards; it is skipped when unreachable.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

from chat_server.attachments import MAX_BYTES
from chat_server.blob_store import BlobStore, open_blob_store
from chat_server.store import Store, open_store

PG_URL = os.environ.get("CHAT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
               "AWS_DEFAULT_REGION": "us-east-1"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    binary = shutil.which("moto_server") or str(Path(sys.executable).parent / "moto_server")
    port = free_port()
    process = subprocess.Popen([binary, "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, **CREDENTIALS})
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port),
                                                                        timeout=0.5):
                break
            time.sleep(0.05)
        import boto3

        boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}",
                     **{k.lower(): v for k, v in CREDENTIALS.items()
                        if k != "AWS_DEFAULT_REGION"},
                     region_name="us-east-1").create_bucket(Bucket="bench")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.kill()
        process.wait()


@contextlib.asynccontextmanager
async def postgres_store() -> AsyncIterator[Store | None]:
    import asyncpg
    from sqlalchemy.engine import make_url

    parsed = make_url(PG_URL)
    try:
        admin = await asyncpg.connect(host=parsed.host, port=parsed.port or 5432,
                                      user=parsed.username, database=parsed.database)
    except OSError:
        yield None
        return
    schema = f"bench_blobs_{uuid.uuid4().hex[:8]}"
    await admin.execute(f'CREATE SCHEMA "{schema}"')
    store = open_store(PG_URL, schema=schema)
    try:
        await store.migrate()
        yield store
    finally:
        await store.close()
        await admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await admin.close()


async def read(blobs: BlobStore, key: str) -> int:
    """Read a body as a download does, chunk by chunk, keeping none."""
    size = 0
    async for block in blobs.chunks(key):
        size += len(block)
    return size


async def measure(blobs: BlobStore, rounds: int) -> dict[str, Any]:
    data = b"\x89PNG\r\n\x1a\n" + os.urandom(MAX_BYTES - 8)
    puts, reads = [], []
    for n in range(rounds):
        key = f"a_bench{n}"
        started = time.perf_counter()
        await blobs.put(key, data)
        puts.append(time.perf_counter() - started)
        started = time.perf_counter()
        assert await read(blobs, key) == len(data)
        reads.append(time.perf_counter() - started)
        if n == rounds - 1:  # traced apart: tracemalloc slows every allocation
            tracemalloc.start()
            await read(blobs, key)
            held = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        await blobs.delete(key)
    mib = len(data) / 2**20
    return {"put_ms": round(statistics.median(puts) * 1000, 1),
            "read_ms": round(statistics.median(reads) * 1000, 1),
            "read_mib_per_s": round(mib / statistics.median(reads), 1),
            "peak_python_memory_while_reading_mib": round(held, 2)}


async def run(rounds: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        sqlite = open_store(f"sqlite:///{tmp / 'chat.db'}")
        await sqlite.migrate()
        results["folder"] = await measure(open_blob_store("folder", tmp, sqlite, ""), rounds)
        results["db_sqlite"] = await measure(open_blob_store("db", tmp, sqlite, ""), rounds)
        async with postgres_store() as pg:
            if pg is not None:
                results["db_postgresql"] = await measure(open_blob_store("db", tmp, pg, ""),
                                                         rounds)
        os.environ.update(CREDENTIALS)
        with moto_server() as endpoint:
            s3 = open_blob_store(f"s3://bench/x?endpoint={endpoint}", tmp, sqlite, "")
            results["s3_moto"] = await measure(s3, rounds)
        await sqlite.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = asyncio.run(run(args.rounds))
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print("| backend | store 10 MiB | read 10 MiB | read MiB/s | peak memory while reading |")
    print("|---|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['put_ms']} ms | {r['read_ms']} ms | {r['read_mib_per_s']} | "
              f"{r['peak_python_memory_while_reading_mib']} MiB |")


if __name__ == "__main__":
    main()
