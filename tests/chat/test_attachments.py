"""Attachments over a real server: told by their content, seen only by the participants."""

from __future__ import annotations

import asyncio
import gzip
import io
import time
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import async_playwright
from support.chat import (
    Operator,
    ServerThread,
    add_operator_sync,
    free_port,
    make_settings,
    make_site,
    open_reader,
    recv,
    send,
    write_config,
)
from support.env import CHROMIUM_FLAGS, chromium_executable, require

from builder.config.loader import load_config
from builder.errors import ConfigError
from chat_server.attachments import MAX_BYTES, clean_name, sniff
from chat_server.file_kinds import KINDS as KINDS_OFFERED
from chat_server.file_kinds import Detected, detect
from chat_server.settings import ChatSettings
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


# --- kinds beyond images and PDF ------------------------------------------------------------
def office_zip(folder: str, main: str) -> bytes:
    """A minimal Office Open XML file laid out as Office writes one: [Content_Types].xml
    first, the package relationships, then the part in its folder (word/, xl/, ppt/)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml",
                         '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                         'package/2006/content-types"/>')
        archive.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships/>')
        archive.writestr(f"{folder}/{main}", '<?xml version="1.0"?><root/>')
    return buffer.getvalue()


def open_document(mimetype: str) -> bytes:
    """OpenDocument: a stored `mimetype` entry first, then content.xml."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), mimetype)
        archive.writestr("content.xml", '<?xml version="1.0"?><office:document-content/>')
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes/readme.txt", "hello")
    return buffer.getvalue()


def ole(stream: str) -> bytes:
    """The start of an OLE container whose directory names its main stream."""
    return (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
            + stream.encode("utf-16-le") + b"\x00" * 64)


GIF = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff"
       b"!\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00;")
KINDS = [
    ("shot.png", PNG, "image", "image/png"),
    ("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32, "image", "image/jpeg"),
    ("loop.gif", GIF, "image", "image/gif"),  # with the NETSCAPE loop block: animated
    ("a.webp", b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32, "image", "image/webp"),
    ("act.pdf", PDF, "pdf", "application/pdf"),
    ("letter.docx", office_zip("word", "document.xml"), "office",
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("sums.xlsx", office_zip("xl", "workbook.xml"), "office",
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("deck.pptx", office_zip("ppt", "presentation.xml"), "office",
     "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    ("text.odt", open_document("application/vnd.oasis.opendocument.text"), "office",
     "application/vnd.oasis.opendocument.text"),
    ("sheet.ods", open_document("application/vnd.oasis.opendocument.spreadsheet"), "office",
     "application/vnd.oasis.opendocument.spreadsheet"),
    ("old.doc", ole("WordDocument"), "office", "application/msword"),
    ("old.xls", ole("Workbook"), "office", "application/vnd.ms-excel"),
    ("orders.csv", "id;сумма\n1;100\n2;250\n".encode(), "csv", "text/csv; charset=utf-8"),
    ("log.txt", "Ошибка 500 в 12:00\n".encode(), "text", "text/plain; charset=utf-8"),
    ("wide.txt", "привет".encode("utf-16"), "text", "text/plain; charset=utf-16"),
    ("files.zip", plain_zip(), "archive", "application/zip"),
    ("files.7z", b"7z\xbc\xaf\x27\x1c\x00\x04" + b"\x00" * 24, "archive",
     "application/x-7z-compressed"),
    ("log.gz", gzip.compress(b"line\n" * 10), "archive", "application/gzip"),
]


@pytest.mark.parametrize(("name", "data", "kind", "content_type"), KINDS,
                         ids=[k[0] for k in KINDS])
def test_each_kind_is_told_by_its_content(name: str, data: bytes, kind: str,
                                          content_type: str) -> None:
    # The name does not decide: the same bytes under a misleading name are the same kind
    # (text and CSV aside, where the .csv ending is what makes a text a table).
    assert detect(data, name) == Detected(kind, content_type)
    if kind not in ("csv", "text"):
        assert detect(data, "renamed.pdf") == Detected(kind, content_type)


@pytest.mark.parametrize("data", [
    b"<!doctype html><script>alert(1)</script>",
    b"  <html><body onload=alert(1)>",
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    b"\x00\x01binary\x00",  # not text, no known magic
    b"\xff\xfe\xfa",  # not text in any encoding we take
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,  # an OLE file that is no document
])
def test_what_could_run_script_or_is_unknown_is_refused(data: bytes) -> None:
    for name in ("x.pdf", "x.txt", "x.csv", "x.docx"):
        assert detect(data, name) is None, name


def test_script_by_name_is_refused_even_as_plain_text() -> None:
    for name in ("app.js", "page.html", "icon.svg", "feed.xml", "m.mjs"):
        assert detect(b"alert(document.cookie)", name) is None, name
    assert detect(b"alert(document.cookie)", "notes.txt") == Detected(
        "text", "text/plain; charset=utf-8")


def test_a_zip_calling_itself_docx_is_a_zip() -> None:
    assert detect(plain_zip(), "report.docx") == Detected("archive", "application/zip")
    # Content types without an Office folder are no document either.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("evil/x.bin", "x")
    assert detect(buffer.getvalue(), "x.docx") == Detected("archive", "application/zip")
    assert detect(b"PK\x03\x04broken", "x.zip") is None


def test_a_csv_the_csv_module_cannot_read_is_text() -> None:
    assert detect(b"just one line without separators\n", "x.csv") == Detected(
        "text", "text/plain; charset=utf-8")


async def upload_as_reader(server: ServerThread, name: str, data: bytes
                           ) -> tuple[httpx.Response, httpx.AsyncClient]:
    reader, hello = await open_reader(server.ws)
    await send(reader, "message", client_id="a", body="a file follows")
    conversation_id = (await recv(reader, "ack"))["conversation"]["id"]
    await reader.close()
    client = httpx.AsyncClient(base_url=server.http)
    answer = await client.post("/api/attachments", files={"file": (name, data, "image/png")},
                               data={"token": hello["token"],
                                     "conversation_id": str(conversation_id)})
    return answer, client


async def test_documents_and_text_download_never_render(server: ServerThread) -> None:
    for name, data, expected in [
            ("sums.xlsx", office_zip("xl", "workbook.xml"),
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            ("log.txt", "строка\n".encode(), "text/plain; charset=utf-8")]:
        answer, client = await upload_as_reader(server, name, data)
        assert answer.status_code == 201, answer.text
        shown = answer.json()["message"]["attachment"]
        assert shown["content_type"] == expected and shown["size"] == len(data)
        got = await client.get(shown["url"])
        await client.aclose()
        assert got.content == data and got.headers["content-type"] == expected
        assert got.headers["content-disposition"].startswith("attachment;")
        assert got.headers["x-content-type-options"] == "nosniff"


async def test_a_refused_type_names_what_is_allowed(start_server: Any) -> None:
    server = await start_server(("anna@example.com", "Анна"),
                                attachments_kinds=("image", "archive"))
    pdf, client = await upload_as_reader(server, "act.pdf", PDF)
    await client.aclose()
    assert pdf.status_code == 415
    assert pdf.json() == {"error": "type_not_allowed", "allowed": ["image", "archive"]}
    # A zip named .docx is a zip: it passes here because archives are allowed.
    disguised, client = await upload_as_reader(server, "report.docx", plain_zip())
    await client.aclose()
    assert disguised.status_code == 201
    assert disguised.json()["message"]["attachment"]["content_type"] == "application/zip"
    svg, client = await upload_as_reader(server, "a.png", b'<svg onload="alert(1)"/>')
    await client.aclose()
    assert svg.status_code == 415


async def test_the_welcome_offers_the_configured_kinds(start_server: Any) -> None:
    server = await start_server(("anna@example.com", "Анна"), attachments_kinds=("pdf",))
    reader, hello = await open_reader(server.ws)
    await reader.close()
    assert hello["attachments"] == {"kinds": ["pdf"], "accept": "application/pdf,.pdf"}


def test_the_kinds_come_from_config_yml_and_a_wrong_one_names_its_line(tmp_path: Path) -> None:
    good = write_config(tmp_path, 8000, "  attachments_kinds: [pdf, text, pdf]\n")
    settings = ChatSettings.from_config(load_config(good), env={"CHAT_SECRET_KEY": "k"})
    assert settings.attachments_kinds == ("pdf", "text")
    assert ChatSettings(secret_key="k").attachments_kinds == KINDS_OFFERED  # all by default
    bad = write_config(tmp_path, 8000, "  attachments_kinds: [pdf, html]\n")
    with pytest.raises(ConfigError) as caught:
        load_config(bad)
    [problem] = [str(p) for p in caught.value.problems]
    assert problem.startswith("config.yml:15: chat.attachments_kinds: expected some of image, ")
    assert problem.endswith("got 'html'")


@pytest.mark.browser
async def test_the_widget_offers_the_kinds_and_says_why_a_file_is_refused(
        tmp_path: Path, artifacts_dir: Path) -> None:
    executable = chromium_executable()
    require(executable is not None, "Debian's chromium is not installed")
    port = free_port()
    site = await asyncio.to_thread(make_site, tmp_path / "project", port)
    settings = make_settings(tmp_path, url=f"http://127.0.0.1:{port}", site_dir=site,
                             languages=("ru",), attachments_kinds=("image", "pdf", "text"))
    server = await asyncio.to_thread(ServerThread(settings, port=port).start)
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=executable,
                                                       headless=True, args=CHROMIUM_FLAGS)
            page = await (await browser.new_context(locale="ru-RU")).new_page()
            await page.goto(f"{server.http}/ru/nds/deklaraciya/")
            await page.click(".hc-chat-launcher")
            await page.fill(".hc-chat-compose textarea", "Прикладываю выгрузку")
            await page.click(".hc-chat-send")
            await page.wait_for_selector(".hc-chat-mine .hc-chat-mark:text('✓')")
            file_input = ".hc-chat-attach input"
            assert await page.get_attribute(file_input, "accept") == (
                "image/png,image/jpeg,image/gif,image/webp,application/pdf,.pdf,"
                "text/plain,.txt,.log,.md")
            # A zip named like a spreadsheet: the server reads a zip and says what it takes.
            await page.set_input_files(file_input, files=[{
                "name": "выгрузка.xlsx", "mimeType": "application/vnd.ms-excel",
                "buffer": plain_zip()}])
            await page.wait_for_selector(".hc-chat-notice:has-text('Такой файл отправить "
                                         "нельзя. Можно: картинки (PNG, JPEG, GIF, WebP), "
                                         "PDF, текстовые файлы.')")
            await page.set_input_files(file_input, files=[{
                "name": "журнал.txt", "mimeType": "text/plain",
                "buffer": "ошибка 500\n".encode() * 200}])
            shown = page.locator(".hc-chat-mine .hc-file")
            await shown.wait_for()
            assert await shown.locator(".hc-file-name").inner_text() == "журнал.txt"
            assert await shown.locator(".hc-file-size").inner_text() == "3 KB"
            assert await shown.get_attribute("download") == "журнал.txt"
            assert await page.is_hidden(".hc-chat-notice")  # refusal gone
            await page.screenshot(path=str(artifacts_dir / "attachment-kinds.png"))
            await browser.close()
    finally:
        await asyncio.to_thread(server.stop)
