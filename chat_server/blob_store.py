"""Where attachment bodies live, chosen by CHAT_ATTACHMENTS_URL: every sidecar process must
reach the same bodies, or a file uploaded through one process is a 404 on the next.

- `folder` (the default with SQLite): `<data_dir>/attachments/`, one machine only;
- `file:///shared/path`: a folder every process mounts (NFS, a shared volume);
- `db` (the default with PostgreSQL): in the store's own database, table
  chat_attachment_bodies, in chunks so that reads stream (migration 12);
- `s3://bucket/prefix?endpoint=http://host:9000&region=…`: any S3-compatible store, through
  aiobotocore; credentials come the usual AWS way (AWS_ACCESS_KEY_ID, …), never the URL.

Every backend takes the bytes only after attachments.py checked size and type, and hands
them back as chunks, so a download never holds a whole 10 MiB file in memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy import func, select

from chat_server.store import Store
from chat_server.store import schema as t
from chat_server.store.queries import Queries

if TYPE_CHECKING:
    from chat_server.settings import ChatSettings

CHUNK = 256 * 1024  # bytes per read, and per row in the database
_KEY = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # attachment ids: random url-safe tokens


class BlobMissing(LookupError):
    """No body under this key."""


class BlobUnavailable(RuntimeError):
    """The backend could not be reached (S3 down, shared folder unmounted)."""


class BlobStore(Protocol):
    name: str  # what the health check and logs call it

    async def put(self, key: str, data: bytes) -> None: ...
    def chunks(self, key: str) -> AsyncIterator[bytes]: ...
    async def delete(self, key: str) -> None: ...


def checked_key(key: str) -> str:
    """Keys become file names and object names: never a path, never a surprise."""
    if not _KEY.match(key):
        raise ValueError(f"not an attachment key: {key!r}")
    return key


class Folder:
    """Bodies as files in a folder, written whole under a temporary name and renamed, so a
    process reading through a shared mount never sees half a file."""

    def __init__(self, path: Path, name: str = "folder") -> None:
        self.path = path
        self.name = name

    async def put(self, key: str, data: bytes) -> None:
        await asyncio.to_thread(self._write, checked_key(key), data)

    def _write(self, key: str, data: bytes) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        partial = self.path / f".{key}.{secrets.token_hex(4)}.part"
        try:
            partial.write_bytes(data)
            os.replace(partial, self.path / key)
        finally:
            partial.unlink(missing_ok=True)

    async def chunks(self, key: str) -> AsyncIterator[bytes]:
        try:
            handle = await asyncio.to_thread((self.path / checked_key(key)).open, "rb")
        except FileNotFoundError as exc:
            raise BlobMissing(key) from exc
        try:
            while block := await asyncio.to_thread(handle.read, CHUNK):
                yield block
        finally:
            handle.close()

    async def delete(self, key: str) -> None:
        await asyncio.to_thread((self.path / checked_key(key)).unlink, missing_ok=True)


class Database:
    """Bodies in the store's database, CHUNK bytes a row: one query per chunk read, so a
    download streams instead of loading the file into the process."""

    name = "db"

    def __init__(self, store: Store) -> None:
        if not isinstance(store, Queries):
            raise TypeError("CHAT_ATTACHMENTS_URL=db needs the SQL store (SQLite or PostgreSQL)")
        self.store = store

    async def put(self, key: str, data: bytes) -> None:
        rows = [{"attachment_id": checked_key(key), "chunk": n, "data": data[at:at + CHUNK]}
                for n, at in enumerate(range(0, max(len(data), 1), CHUNK))]
        bodies = t.attachment_bodies

        def write(conn: Any) -> None:
            conn.execute(bodies.delete().where(bodies.c.attachment_id == key))
            conn.execute(bodies.insert(), rows)

        await self.store._transaction(write)

    async def chunks(self, key: str) -> AsyncIterator[bytes]:
        bodies = t.attachment_bodies
        where = bodies.c.attachment_id == checked_key(key)
        async with self.store.engine.connect() as conn:
            count = (await conn.execute(
                select(func.count()).select_from(bodies).where(where))).scalar_one()
        if not count:
            raise BlobMissing(key)
        for n in range(count):
            async with self.store.engine.connect() as conn:
                block = (await conn.execute(select(bodies.c.data).where(
                    where, bodies.c.chunk == n))).scalar_one_or_none()
            if block is None:  # deleted while it was being read
                return
            yield bytes(block)

    async def delete(self, key: str) -> None:
        bodies = t.attachment_bodies
        where = bodies.c.attachment_id == checked_key(key)
        await self.store._transaction(lambda conn: conn.execute(bodies.delete().where(where)))


class Fallback:
    """Reads from `first`, then from `older` for bodies kept before the store changed (a
    PostgreSQL deployment that kept files in the data folder before `db` was its default);
    writes and deletes go to `first` (deletes to both)."""

    def __init__(self, first: BlobStore, older: BlobStore) -> None:
        self.first = first
        self.older = older
        self.name = first.name

    async def put(self, key: str, data: bytes) -> None:
        await self.first.put(key, data)

    async def chunks(self, key: str) -> AsyncIterator[bytes]:
        source = self.first.chunks(key)
        try:
            head = await anext(source)
        except BlobMissing:
            source = self.older.chunks(key)
            head = await anext(source)
        except StopAsyncIteration:
            return
        yield head
        async for block in source:
            yield block

    async def delete(self, key: str) -> None:
        await self.first.delete(key)
        await self.older.delete(key)


class S3:
    """Bodies as objects `<prefix><key>` in an S3-compatible bucket (AWS, MinIO, Ceph, R2)."""

    name = "s3"

    def __init__(self, bucket: str, prefix: str, endpoint: str | None, region: str | None
                 ) -> None:
        try:
            from aiobotocore.session import get_session  # loaded only when chosen
        except ImportError as exc:
            raise ValueError("CHAT_ATTACHMENTS_URL=s3://… needs aiobotocore: "
                             "pip install '.[s3]'") from exc

        self.bucket = bucket
        self.prefix = prefix
        self._session = get_session()
        self._options = {"endpoint_url": endpoint, "region_name": region or "us-east-1"}

    def _client(self) -> Any:
        return self._session.create_client("s3", **self._options)

    async def put(self, key: str, data: bytes) -> None:
        async with self._reached():
            async with self._client() as client:
                await client.put_object(Bucket=self.bucket, Key=self.prefix + checked_key(key),
                                        Body=data)

    async def chunks(self, key: str) -> AsyncIterator[bytes]:
        from botocore.exceptions import ClientError

        async with self._reached(), self._client() as client:
            try:
                found = await client.get_object(Bucket=self.bucket,
                                                Key=self.prefix + checked_key(key))
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                    raise BlobMissing(key) from exc
                raise
            async with found["Body"] as body:
                while block := await body.read(CHUNK):
                    yield block

    async def delete(self, key: str) -> None:
        async with self._reached(), self._client() as client:
            await client.delete_object(Bucket=self.bucket, Key=self.prefix + checked_key(key))

    @contextlib.asynccontextmanager
    async def _reached(self) -> AsyncIterator[None]:
        """A network failure becomes BlobUnavailable (503), an S3 refusal stays itself."""
        from botocore.exceptions import BotoCoreError, EndpointConnectionError

        try:
            yield
        except (EndpointConnectionError, BotoCoreError, OSError) as exc:
            raise BlobUnavailable(str(exc)) from exc


def blob_store_for(settings: ChatSettings, store: Store) -> BlobStore:
    """The sidecar's, the retention command's and the backup's one way to the bodies."""
    return open_blob_store(settings.attachments_url, settings.data_dir, store,
                           settings.database)


def open_blob_store(url: str, data_dir: Path, store: Store, database_url: str) -> BlobStore:
    """The backend CHAT_ATTACHMENTS_URL names; empty: `db` on PostgreSQL (several processes
    are the reason to run it, and they all reach the database), else the data folder."""
    local = Folder(data_dir / "attachments")
    if not url:
        if database_url.startswith(("postgresql", "postgres")):
            return Fallback(Database(store), local)
        return local
    if url in ("db", "database"):
        return Database(store)
    if url == "folder":
        return local
    parts = urlsplit(url)
    if parts.scheme == "file" and parts.path:
        return Folder(Path(unquote(parts.path)), name="file")
    if parts.scheme == "s3" and parts.netloc:
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        prefix = parts.path.lstrip("/")
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        return S3(parts.netloc, prefix, query.get("endpoint"), query.get("region"))
    raise ValueError("CHAT_ATTACHMENTS_URL is folder, db, file:///shared/path or "
                     f"s3://bucket/prefix?endpoint=…, not {url!r}")
