"""Attachments over a real server: images and PDFs only, seen only by the participants."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.chat import (
    Operator,
    ServerThread,
    add_operator_sync,
    make_settings,
    open_reader,
    recv,
    send,
)

from chat_server.attachments import MAX_BYTES, clean_name, sniff
from chat_server.store import Store

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"


@pytest.fixture
async def server(start_server: Any) -> ServerThread:
    return await start_server(("anna@example.com", "Анна"))


def test_only_images_and_pdf_by_content() -> None:
    assert sniff(PNG) == "image/png" and sniff(PDF) == "application/pdf"
    assert sniff(b"\xff\xd8\xff\xe0") == "image/jpeg"
    assert sniff(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert sniff(b"<svg onload=alert(1)>") is None and sniff(b"<html>") is None
    assert clean_name("../../etc/passwd") == "passwd"
    assert clean_name("a\x00b\nc.png") == "abc.png"


async def test_upload_deliver_download(server: ServerThread) -> None:
    anna = await Operator.login(server, "anna@example.com")
    anna_ws = await anna.socket()
    await recv(anna_ws, "welcome")
    reader, hello = await open_reader(server.ws)
    await send(reader, "message", client_id="a", body="screenshot follows")
    conversation_id = (await recv(reader, "ack"))["conversation"]["id"]
    await recv(anna_ws, "message")
    async with httpx.AsyncClient(base_url=server.http) as client:
        form = {"token": hello["token"], "conversation_id": str(conversation_id),
                "client_id": "up1"}
        uploaded = await client.post("/api/attachments", data=form,
                                     files={"file": ("экран.png", PNG, "text/html")})
        assert uploaded.status_code == 201, uploaded.text
        message = uploaded.json()["message"]
        assert message["body"] == "экран.png"
        assert message["attachment"]["content_type"] == "image/png"  # sniffed, not claimed
        reader_url = message["attachment"]["url"]
        seen = await recv(anna_ws, "message")
        operator_url = f"/api/attachments/{message['attachment']['id']}"
        assert seen["message"]["attachment"]["url"] == operator_url
        as_reader = await client.get(reader_url)
        assert as_reader.status_code == 200 and as_reader.content == PNG
        assert as_reader.headers["content-type"] == "image/png"
        assert "sandbox" in as_reader.headers["content-security-policy"]
        assert (await client.get(reader_url[:-4] + "0000")).status_code == 403
        assert (await client.get(seen["message"]["attachment"]["url"])).status_code == 403
        as_operator = await anna.client.get(seen["message"]["attachment"]["url"])
        assert as_operator.content == PNG
        # Not images or PDFs, too big, or someone else's conversation: refused.
        html = await client.post("/api/attachments", data=form,
                                 files={"file": ("x.png", b"<script>alert(1)</script>")})
        assert html.status_code == 415
        big = await client.post("/api/attachments", data=form,
                                files={"file": ("big.pdf", PDF + b"0" * MAX_BYTES)})
        assert big.status_code == 413
        _other, other_hello = await open_reader(server.ws)
        stranger = await client.post("/api/attachments", data={**form,
                                     "token": other_hello["token"]},
                                     files={"file": ("x.pdf", PDF)})
        assert stranger.status_code == 404
    await send(reader, "resume", conversation_id=conversation_id, after_id=0)
    history = await recv(reader, "history")
    assert history["messages"][-1]["attachment"]["url"] == reader_url
    operator_upload = await anna.client.post(
        f"/api/operator/conversations/{conversation_id}/attachments",
        data={"client_id": "op1"}, files={"file": ("act.pdf", PDF)},
        headers={"X-CSRF-Token": anna.csrf})
    assert operator_upload.status_code == 201
    delivered = await recv(reader, "message")
    assert delivered["message"]["attachment"]["name"] == "act.pdf"
    assert delivered["message"]["attachment"]["url"].startswith("/api/attachments/a_")
    await reader.close()
    await anna_ws.close()
    await anna.close()


# --- quotas ---------------------------------------------------------------------------------
KIB = 1024
FILE = PNG + b"\x00" * (600 * KIB)  # 600 KiB: two of them are over 1 MiB


class Reader:
    """A reader with a conversation, uploading from one client address (a loopback one)."""

    def __init__(self, server: ServerThread, source: str = "127.0.0.1") -> None:
        self.server, self.source = server, source

    async def __aenter__(self) -> Reader:
        self.ws, hello = await open_reader(self.server.ws)
        await send(self.ws, "message", client_id="first", body="a file follows")
        self.conversation_id = (await recv(self.ws, "ack"))["conversation"]["id"]
        self.token = hello["token"]
        transport = httpx.AsyncHTTPTransport(local_address=self.source)
        self.http = httpx.AsyncClient(base_url=self.server.http, transport=transport)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.http.aclose()
        await self.ws.close()

    async def upload(self, content: bytes = FILE, n: int = 0) -> httpx.Response:
        form = {"token": self.token, "conversation_id": str(self.conversation_id),
                "client_id": f"up{n}"}
        return await self.http.post("/api/attachments", data=form,
                                    files={"file": (f"{n}.png", content)})


@pytest.fixture
async def quota_server(tmp_path: Path) -> AsyncIterator[Any]:
    servers: list[ServerThread] = []

    async def start(**changes: Any) -> ServerThread:
        settings = make_settings(tmp_path, **changes)
        if not servers:
            add_operator_sync(settings, "anna@example.com", "Анна")
        running = await asyncio.to_thread(ServerThread(settings).start)
        servers.append(running)
        return running

    yield start
    for running in servers:
        await asyncio.to_thread(running.stop)


async def test_a_reader_has_a_daily_quota_that_outlives_a_restart(quota_server: Any) -> None:
    server = await quota_server(attachments_reader_mib_per_day=1)
    async with Reader(server) as reader:
        assert (await reader.upload(n=1)).status_code == 201
        over = await reader.upload(n=2)
        assert over.status_code == 429 and over.json() == {"error": "daily_quota"}
        assert (await reader.upload(PNG, n=3)).status_code == 201, "a small one still fits"
        token, conversation_id = reader.token, reader.conversation_id
    async with Reader(server) as other:  # the next reader has a quota of their own
        assert (await other.upload(n=4)).status_code == 201
    await asyncio.to_thread(server.stop)
    # Counted in the store: a restarted (or another) process knows what was uploaded.
    again = await quota_server(attachments_reader_mib_per_day=1)
    async with Reader(again) as reader:
        reader.token, reader.conversation_id = token, conversation_id
        assert (await reader.upload(n=5)).status_code == 429


async def test_one_address_has_a_daily_quota_for_all_its_readers(quota_server: Any) -> None:
    server = await quota_server(attachments_address_mib_per_day=1)
    async with Reader(server, "127.0.0.2") as first, Reader(server, "127.0.0.2") as second:
        assert (await first.upload(n=1)).status_code == 201
        over = await second.upload(n=2)
        assert over.status_code == 429 and over.json() == {"error": "daily_quota"}
    async with Reader(server, "127.0.0.3") as elsewhere:
        assert (await elsewhere.upload(n=3)).status_code == 201


async def test_all_attachments_together_have_a_size_limit(quota_server: Any) -> None:
    server = await quota_server(attachments_total_mib=1)
    anna = await Operator.login(server, "anna@example.com")
    async with Reader(server) as reader:
        assert (await reader.upload(n=1)).status_code == 201
        full = await reader.upload(n=2)
        assert full.status_code == 507 and full.json() == {"error": "storage_full"}
        by_operator = await anna.client.post(
            f"/api/operator/conversations/{reader.conversation_id}/attachments",
            data={"client_id": "op"}, files={"file": ("act.png", FILE)},
            headers={"X-CSRF-Token": anna.csrf})
        assert by_operator.status_code == 507
    await anna.close()


async def test_a_signature_that_is_not_ascii_is_forbidden(server: ServerThread) -> None:
    async with Reader(server) as reader:
        uploaded = (await reader.upload(PNG)).json()["message"]["attachment"]
        for signature in ("ü", "подпись", "%FF"):
            answer = await reader.http.get(f"/api/attachments/{uploaded['id']}",
                                           params={"v": signature})
            assert answer.status_code == 403 and answer.json() == {"error": "forbidden"}


async def test_usage_counts_the_last_day_of_a_reader_and_of_an_address(store: Store) -> None:
    await store.ensure_reader("v1")
    conversation, _message, _ = await store.start_conversation("v1", "c", "hi")

    async def add(name: str, uploader: str, address: str, size: int, kind: str = "reader"
                  ) -> None:
        await store.add_attachment({
            "id": name, "conversation_id": conversation["id"], "uploader_kind": kind,
            "uploader_id": uploader, "name": name, "content_type": "image/png", "size": size,
            "uploader_address": address})

    await add("a1", "v1", "addr-1", 100)
    await add("a2", "v2", "addr-1", 20)
    await add("a3", "v1", "addr-2", 3)
    await add("a4", "1", "", 4000, kind="operator")
    assert await store.attachment_usage(0, "v1", "addr-1") == {
        "total": 4123, "reader": 103, "address": 120}
    assert await store.attachment_usage(0, "1", "") == {
        "total": 4123, "reader": 0, "address": 0}, "operators have no daily quota"
    later = int(time.time() * 1000) + 60_000
    assert await store.attachment_usage(later, "v1", "addr-1") == {
        "total": 4123, "reader": 0, "address": 0}
