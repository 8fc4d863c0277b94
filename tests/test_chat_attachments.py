"""Attachments over a real server: images and PDFs only, seen only by the participants."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from chat_helpers import Operator, ServerThread, add_operator_sync, make_settings, recv, send
from chat_helpers import visitor as open_visitor

from chat_server.attachments import MAX_BYTES, clean_name, sniff

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[ServerThread]:
    settings = make_settings(tmp_path)
    add_operator_sync(settings, "anna@example.com", "Анна")
    running = await asyncio.to_thread(ServerThread(settings).start)
    yield running
    await asyncio.to_thread(running.stop)


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
    reader, hello = await open_visitor(server.ws)
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
        _other, other_hello = await open_visitor(server.ws)
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
