"""Attachment bodies where every process reaches them (CHAT_ATTACHMENTS_URL): the data folder,
a shared folder, the database and an S3-compatible server (moto's, on a local port). A file
uploaded through one sidecar downloads whole through another; a refused type stays refused."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from support.chat import PG_URL, free_port, login_cookie, recv, send, two_sidecars
from support.throwaway import S3_CREDENTIALS, ThrowawayS3, throwaway_s3
from websockets.asyncio.client import connect

from chat_server import retention
from chat_server.blob_store import (
    CHUNK,
    BlobMissing,
    BlobStore,
    Fallback,
    Folder,
    open_blob_store,
)
from chat_server.store import Store, open_store
from chat_server.store import schema as t
from chat_server.store.queries import Queries
from chat_server.store.schema import attachment_bodies as bodies

# A PNG by its first bytes, then random bytes: larger than two chunks, so reads must stream.
PNG = b"\x89PNG\r\n\x1a\n" + os.urandom(2 * CHUNK + 1234)
SCRIPT = b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"
BUCKET = "help-attachments"
BACKENDS = ["folder", "file", "db", "s3"]


@pytest.fixture(scope="module")
def s3_server() -> Iterator[ThrowawayS3]:
    with throwaway_s3() as server:
        server.make_bucket(BUCKET)
        yield server


def backend_url(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if kind == "file":
        return (tmp_path / "shared volume").as_uri()  # a space: the URL is %-decoded
    if kind == "s3":
        server: ThrowawayS3 = request.getfixturevalue("s3_server")
        prefix = f"t-{uuid.uuid4().hex[:8]}"
        return f"s3://{BUCKET}/{prefix}?endpoint={server.endpoint}&region=us-east-1"
    return kind


@pytest.fixture(params=BACKENDS)
async def blobs(request: pytest.FixtureRequest, store: Store, tmp_path: Path,
                monkeypatch: pytest.MonkeyPatch) -> BlobStore:
    for name, value in S3_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    url = backend_url(request.param, tmp_path, request)
    return open_blob_store(url, tmp_path, store, "")


async def read_all(blobs: BlobStore, key: str) -> list[bytes]:
    return [block async for block in blobs.chunks(key)]


async def test_a_body_comes_back_whole_and_in_pieces(blobs: BlobStore) -> None:
    await blobs.put("a_first", PNG)
    await blobs.put("a_small", b"%PDF-1.7\n")
    pieces = await read_all(blobs, "a_first")
    assert b"".join(pieces) == PNG
    assert len(pieces) >= 3 and max(map(len, pieces)) <= CHUNK, "read in chunks, not at once"
    assert b"".join(await read_all(blobs, "a_small")) == b"%PDF-1.7\n"


async def test_a_missing_or_deleted_body_is_missing(blobs: BlobStore) -> None:
    with pytest.raises(BlobMissing):
        await read_all(blobs, "a_never")
    await blobs.put("a_gone", PNG)
    await blobs.delete("a_gone")
    with pytest.raises(BlobMissing):
        await read_all(blobs, "a_gone")


async def test_a_key_is_never_a_path(blobs: BlobStore) -> None:
    for key in ("../secret_key", "a/b", "", "x" * 65):
        with pytest.raises(ValueError):
            await blobs.put(key, PNG)


async def test_files_kept_in_the_data_folder_stay_readable_after_moving_to_db(
        store: Store, tmp_path: Path) -> None:
    older = Folder(tmp_path / "attachments")
    await older.put("a_before", PNG)
    moved = open_blob_store("", tmp_path, store, "postgresql://db/help")
    assert isinstance(moved, Fallback) and moved.name == "db"
    assert b"".join(await read_all(moved, "a_before")) == PNG
    await moved.put("a_after", b"%PDF-1.7\n")
    assert not (tmp_path / "attachments" / "a_after").exists(), "new bodies go to the db"
    assert b"".join(await read_all(moved, "a_after")) == b"%PDF-1.7\n"


def test_an_unknown_store_is_named_in_the_error(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'chat.db'}")
    for url in ("ftp://host/x", "s3://", "file://", "dbx"):
        with pytest.raises(ValueError, match="CHAT_ATTACHMENTS_URL"):
            open_blob_store(url, tmp_path, store, "")


# --- two sidecar processes over one PostgreSQL + Redis ------------------------------------


async def reader_conversation(port: int) -> tuple[str, int]:
    """A reader's token and their conversation, opened through the sidecar on `port`."""
    async with connect(f"ws://127.0.0.1:{port}/ws/reader") as reader:
        await send(reader, "hello")
        token = (await recv(reader, "welcome"))["token"]
        await send(reader, "message", client_id="q", body="Скриншот ошибки ниже")
        return token, (await recv(reader, "ack"))["conversation"]["id"]


async def upload(port: int, token: str, conversation_id: int, name: str, data: bytes
                 ) -> httpx.Response:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        return await client.post("/api/attachments", data={
            "token": token, "conversation_id": str(conversation_id), "client_id": name},
            files={"file": (name, data, "image/png")})


async def bodies_held(kind: str, url: str, env: dict[str, str], s3: ThrowawayS3 | None
                      ) -> list[bytes]:
    """What the chosen backend really holds, read behind the sidecars' backs."""
    if kind == "file":
        folder = Path(url.removeprefix("file://").replace("%20", " "))
        return [p.read_bytes() for p in sorted(folder.iterdir())]
    if kind == "s3":
        assert s3 is not None
        prefix = url.split("/", 3)[3].split("?")[0] + "/"
        return [body for key, body in s3.objects(BUCKET).items() if key.startswith(prefix)]
    store = open_store(PG_URL, schema=env["CHAT_DATABASE_SCHEMA"])
    try:
        found = open_blob_store("db", Path("/nonexistent"), store, "")
        assert isinstance(store, Queries)
        async with store.engine.connect() as conn:
            ids = sorted(set((await conn.execute(select(bodies.c.attachment_id))).scalars()))
        return [b"".join(await read_all(found, key)) for key in ids]
    finally:
        await store.close()


@pytest.mark.parametrize("kind", ["db", "file", "s3", ""])
async def test_uploaded_on_one_process_downloaded_on_the_other(
        kind: str, tmp_path: Path, shared: dict[str, str], request: pytest.FixtureRequest
        ) -> None:
    """"" is the default with PostgreSQL: the database."""
    url = backend_url(kind, tmp_path, request) if kind else ""
    s3 = request.getfixturevalue("s3_server") if kind == "s3" else None
    env = {**shared, **S3_CREDENTIALS, "CHAT_ATTACHMENTS_URL": url}
    async with two_sidecars(tmp_path, env) as [(_, port_a), (_, port_b)]:
        token, conversation_id = await reader_conversation(port_a)
        uploaded = await upload(port_a, token, conversation_id, "экран.png", PNG)
        assert uploaded.status_code == 201, uploaded.text
        attachment = uploaded.json()["message"]["attachment"]
        refused = await upload(port_a, token, conversation_id, "pretty.png", SCRIPT)
        assert refused.status_code == 415 and refused.json()["error"] == "type_not_allowed"
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port_b}") as client:
            as_reader = await client.get(attachment["url"])
            assert as_reader.status_code == 200 and as_reader.content == PNG
            assert as_reader.headers["content-type"] == "image/png"
            assert as_reader.headers["content-length"] == str(len(PNG))
            tampered = await client.get(attachment["url"][:-3] + "AAA")
            assert tampered.status_code == 403
            as_operator = await client.get(f"/api/attachments/{attachment['id']}",
                                           headers=await login_cookie(port_b))
            assert as_operator.status_code == 200 and as_operator.content == PNG
    held = await bodies_held(kind or "db", url, shared, s3)
    assert held == [PNG], "the accepted file is in the chosen store, the refused one is not"
    assert not (tmp_path / "data" / "attachments").exists(), "nothing on the local disk"


# --- a store that is away -----------------------------------------------------------------


@pytest.fixture
async def unreachable_s3(start_server: Any, monkeypatch: pytest.MonkeyPatch
                         ) -> AsyncIterator[Any]:
    for name, value in S3_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # fail at once, not after botocore's retries
    dead = f"http://127.0.0.1:{free_port()}"
    yield await start_server(("anna@example.com", "Анна"),
                             attachments_url=f"s3://{BUCKET}/x?endpoint={dead}")


async def test_an_unreachable_store_refuses_the_upload_and_keeps_no_message(
        unreachable_s3: Any) -> None:
    port = unreachable_s3.port
    token, conversation_id = await reader_conversation(port)
    refused = await upload(port, token, conversation_id, "экран.png", PNG)
    assert refused.status_code == 503 and refused.json()["error"] == "storage_unavailable"
    async with connect(f"ws://127.0.0.1:{port}/ws/reader") as again:
        await send(again, "hello", token=token)
        await recv(again, "welcome")
        await send(again, "resume", conversation_id=conversation_id, after_id=0)
        history = (await recv(again, "history"))["messages"]
    assert [m["body"] for m in history] == ["Скриншот ошибки ниже"], "no attachment message"


# --- retention removes bodies wherever they are -------------------------------------------


async def attach(store: Store, blobs: BlobStore, reader_id: str, attachment_id: str) -> int:
    await store.ensure_reader(reader_id)
    conversation, _, _ = await store.start_conversation(reader_id, "c0", "Скан паспорта")
    await blobs.put(attachment_id, PNG)
    await store.add_attachment({"id": attachment_id, "conversation_id": conversation["id"],
                                "uploader_kind": "reader", "uploader_id": reader_id,
                                "name": "паспорт.png", "content_type": "image/png",
                                "size": len(PNG), "uploader_address": ""})
    return int(conversation["id"])


async def test_retention_removes_old_bodies_from_the_chosen_store(
        blobs: BlobStore, store: Store, tmp_path: Path) -> None:
    old = await attach(store, blobs, "old-reader-00000000000000000000000001", "a_old")
    await attach(store, blobs, "new-reader-00000000000000000000000001", "a_new")
    long_ago = int(time.time() * 1000) - 400 * retention.DAY_MS
    conversations = t.conversations

    def age(conn: Any) -> None:
        conn.execute(update(conversations).where(conversations.c.id == old)
                     .values(created_at=long_ago, updated_at=long_ago))

    await store._transaction(age)  # type: ignore[attr-defined]
    done = await retention.apply(store, retention.Policy(30, "delete"), tmp_path,
                                 int(time.time() * 1000), blobs=blobs)
    assert done.attachments == 1
    with pytest.raises(BlobMissing):
        await read_all(blobs, "a_old")
    assert b"".join(await read_all(blobs, "a_new")) == PNG, "a recent body stays"
