"""Throwaway PostgreSQL, Redis and S3-compatible servers for tests that stop, kill or restart
them.

Never the machine's shared services: each context manager starts its own server on a free
port in a temporary folder and removes it afterwards. Both can be stopped and started again
in the test (same port, same data), which is what fault tests need. Missing binaries skip
with a reason (and fail in CI, via support.env.require).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from support.chat import free_port
from support.env import require

START_TIMEOUT = 20.0


def postgres_bin() -> Path | None:
    """The newest PostgreSQL server binaries installed (Debian keeps them out of PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("pg_ctl")
    return Path(on_path).parent if on_path else None


def _as_postgres_user() -> list[str]:
    """PostgreSQL refuses to run as root: as root, run its binaries as `postgres`."""
    if os.geteuid() != 0:
        return []
    require(_user_exists("postgres"), "running as root and there is no postgres user")
    return ["runuser", "-u", "postgres", "--"]


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


class ThrowawayPostgres:
    """A PostgreSQL cluster in a temp folder, trust auth, superuser `postgres`, on `port`."""

    def __init__(self, folder: Path, bin_dir: Path) -> None:
        self.folder = folder
        self.data = folder / "data"
        self.bin = bin_dir
        self.port = free_port()
        self.prefix = _as_postgres_user()

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        subprocess.run([*self.prefix, *args], check=True, capture_output=True, timeout=60)

    def init(self) -> None:
        # No fsync: a test's data need not survive a power cut, and initdb is 3x faster.
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                  "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync")

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options,
                  "-l", str(self.folder / "postgres.log"), "-w", "-t", str(int(START_TIMEOUT)),
                  "start")

    def stop(self, mode: str = "fast") -> None:
        """`fast` ends every connection (what clients see of a restart); `immediate` is a crash."""
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w",
                      "stop")

    def restart(self, down_seconds: float = 0.0) -> None:
        self.stop()
        time.sleep(down_seconds)
        self.start()


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[ThrowawayPostgres]:
    """A fresh PostgreSQL (started), removed afterwards; `.url` connects as `postgres`."""
    bin_dir = postgres_bin()
    require(bin_dir is not None, "PostgreSQL server binaries (pg_ctl, initdb) are not installed")
    assert bin_dir is not None
    folder = Path(tempfile.mkdtemp(prefix="throwaway-pg-"))
    server = ThrowawayPostgres(folder, bin_dir)
    if server.prefix:
        shutil.chown(folder, "postgres", "postgres")
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)


class LocalServer:
    """A server process on a free port logging into `folder`: started until `answers()`,
    stopped with SIGKILL, as when it crashes (every client's connection drops at once)."""

    name = "server"

    def __init__(self, folder: Path, binary: str) -> None:
        self.folder = folder
        self.binary = binary
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def environment(self) -> dict[str, str] | None:
        return None

    def answers(self, sock: socket.socket) -> bool:
        return True  # accepting connections is enough

    def start(self) -> None:
        log_path = self.folder / f"{self.name}.log"
        with log_path.open("ab") as log:
            self.process = subprocess.Popen(self.command(), stdout=log,
                                            stderr=subprocess.STDOUT, env=self.environment())
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(log_path.read_text(errors="replace"))
            with contextlib.suppress(OSError), socket.create_connection(
                    ("127.0.0.1", self.port), timeout=0.5) as sock:
                if self.answers(sock):
                    return
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


class ThrowawayRedis(LocalServer):
    """`redis-server` on `port` that keeps nothing on disk."""

    name = "redis"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def command(self) -> list[str]:
        return [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", str(self.folder)]

    def answers(self, sock: socket.socket) -> bool:
        sock.sendall(b"PING\r\n")
        return sock.recv(16).startswith(b"+PONG")

    def restart(self, down_seconds: float = 0.0) -> None:
        self.stop()
        time.sleep(down_seconds)
        self.start()


@contextlib.contextmanager
def throwaway_redis() -> Iterator[ThrowawayRedis]:
    """A fresh Redis (started), killed afterwards; `.url` is its redis:// URL."""
    binary = shutil.which("redis-server")
    require(binary is not None, "redis-server is not installed")
    assert binary is not None
    folder = Path(tempfile.mkdtemp(prefix="throwaway-redis-"))
    server = ThrowawayRedis(folder, binary)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


S3_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "throwaway", "AWS_SECRET_ACCESS_KEY": "throwaway",
                  "AWS_DEFAULT_REGION": "us-east-1"}


class ThrowawayS3(LocalServer):
    """moto's standalone S3-compatible HTTP server on `port` (everything in memory). The
    sidecars reach it with S3_CREDENTIALS in their environment, as a real deployment would."""

    name = "moto"

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [self.binary, "-H", "127.0.0.1", "-p", str(self.port)]

    def environment(self) -> dict[str, str] | None:
        return {**os.environ, **S3_CREDENTIALS}

    def make_bucket(self, name: str) -> None:
        import boto3

        client = boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                              aws_access_key_id="throwaway", aws_secret_access_key="throwaway")
        client.create_bucket(Bucket=name)

    def objects(self, bucket: str) -> dict[str, bytes]:
        """Every object in `bucket`, by key: what the store really holds."""
        import boto3

        client = boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                              aws_access_key_id="throwaway", aws_secret_access_key="throwaway")
        listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
        return {item["Key"]: client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                for item in listed}


@contextlib.contextmanager
def throwaway_s3() -> Iterator[ThrowawayS3]:
    """A fresh S3-compatible server (moto[server], a test dependency), killed afterwards."""
    binary = shutil.which("moto_server") or str(Path(sys.executable).parent / "moto_server")
    require(Path(binary).is_file(), "moto_server is not installed (pip install 'moto[server]')")
    folder = Path(tempfile.mkdtemp(prefix="throwaway-s3-"))
    server = ThrowawayS3(folder, binary)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
