"""End to end in headless chromium: a reader rates an article 😞 and explains, the author
(an operator in another browser context) gets it and replies, the reader sees the reply, a
failed search lands in the report — and hostile HTML never runs in the operator page."""

from __future__ import annotations

import asyncio
import json
import re
import struct
import zlib
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import async_playwright
from support.chat import (
    PASSWORD,
    Inbox,
    Operator,
    ServerThread,
    add_operator_sync,
    free_port,
    make_settings,
    make_site,
)
from support.env import CHROMIUM_FLAGS, chromium_executable, require
from websockets.sync.client import connect

pytestmark = pytest.mark.browser
HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'


def tiny_png() -> bytes:
    """A real 1×1 PNG, so the browser actually decodes and shows it."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(
        b"IEND", b"")


async def wait_for_mail(inbox: Inbox, count: int) -> Any:
    """The `count`-th mail the SMTP server received (waiting up to 5 s for it)."""
    for _ in range(100):
        if len(inbox.messages) >= count:
            return inbox.messages[count - 1][1]
        await asyncio.sleep(0.05)
    raise AssertionError(f"{len(inbox.messages)} mails, expected {count}")


def hostile_reader(port: int) -> None:
    """A reader who is not a browser: hostile name, email and message, straight on the wire."""
    with connect(f"ws://127.0.0.1:{port}/ws/reader") as ws:
        ws.send(json.dumps({"type": "hello", "name": HOSTILE,
                            "context": {"page": "javascript:alert(1)", "title": HOSTILE}}))
        while json.loads(ws.recv())["type"] != "welcome":
            pass
        ws.send(json.dumps({"type": "message", "client_id": "x", "body": HOSTILE}))
        while json.loads(ws.recv())["type"] != "ack":
            pass


async def test_rate_sad_explain_reply_and_reports(tmp_path: Path, artifacts_dir: Path) -> None:
    # The async API on the test's own loop: the session's sync `browser` fixture would leave
    # a running loop in this thread and break every async test collected after this one.
    executable = chromium_executable()
    require(executable is not None, "Debian's chromium is not installed")
    port = free_port()
    site = await asyncio.to_thread(make_site, tmp_path / "project", port)
    settings = make_settings(tmp_path, url=f"http://127.0.0.1:{port}", site_dir=site,
                             languages=("ru",))
    add_operator_sync(settings, "anna@example.com", "Анна")
    server = await asyncio.to_thread(ServerThread(settings, port=port).start)
    dialogs: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, headless=True,
                                                   args=CHROMIUM_FLAGS)
        try:
            await scenario(browser, server, port, artifacts_dir, dialogs)
        finally:
            await browser.close()
            await asyncio.to_thread(server.stop)


async def scenario(browser: Any, server: ServerThread, port: int, artifacts_dir: Path,
                   dialogs: list[str]) -> None:
    reader_context = await browser.new_context(locale="ru-RU", timezone_id="Asia/Yekaterinburg")
    reader = await reader_context.new_page()
    await reader.goto(f"{server.http}/ru/nds/deklaraciya/")
    await reader.wait_for_selector(".hc-chat-launcher")
    # The site's search inside the panel, before asking.
    await reader.click(".hc-chat-launcher")
    await reader.fill(".hc-chat-search input", "декларацию")
    await reader.wait_for_selector(".hc-chat-results a:has-text('Как подать декларацию')")
    await reader.click(".hc-chat-close")
    await reader.click("button[data-rating='sad']")
    await reader.wait_for_selector(".hc-chat-panel:not([hidden])")
    assert "Мы исправим статью" in await reader.inner_text(".hc-chat-prompt")
    await reader.fill(".hc-chat-compose textarea", "Срок устарел " + HOSTILE)
    await reader.click(".hc-chat-send")
    await reader.wait_for_selector(".hc-chat-mine .hc-chat-mark:text('✓')")
    await reader.set_input_files(".hc-chat-attach input", files=[{
        "name": "screen.png", "mimeType": "image/png", "buffer": tiny_png()}])
    await reader.wait_for_selector(".hc-chat-mine .hc-chat-file img")
    # A search that finds nothing, typed in the site's header: search-ui.js reports it and
    # the widget posts it (debounced) to the sidecar.
    await reader.fill("header input[data-search-input]", "Налог на роскошь <b>x</b> 2026")
    await reader.press("header input[data-search-input]", "Enter")
    await reader.wait_for_url("**/search/**")
    # On the new page the conversation is still there: history survives page loads.
    await reader.wait_for_selector(".hc-chat-launcher")
    await reader.click(".hc-chat-launcher")
    await reader.wait_for_selector(".hc-chat-mine:has-text('Срок устарел')")
    await reader.wait_for_selector(".hc-chat-mine .hc-chat-file img")
    await asyncio.to_thread(hostile_reader, port)

    operator_context = await browser.new_context(locale="ru-RU")
    operator = await operator_context.new_page()
    operator.on("dialog", lambda d: dialogs.append(d.message))
    await operator.goto(f"{server.http}/operator/")
    await operator.fill("#login-email", "anna@example.com")
    await operator.fill("#login-password", PASSWORD)
    await operator.click("#login-form button[type=submit]")
    await operator.wait_for_selector("#app:not([hidden])")
    await operator.wait_for_selector("#connection:text('на связи')")  # the live socket is up
    await operator.click("[data-view='mine']")
    await operator.click(".conversation-link:has-text('nds/deklaraciya')")
    await operator.wait_for_selector("#conversation-title:has-text('deklaraciya')")
    assert HOSTILE in await operator.inner_text(".message.reader .message-body")
    await operator.wait_for_selector(".message.reader .message-file img")
    loaded = "() => document.querySelector('.message-file img').naturalWidth"
    await operator.wait_for_function(f"({loaded})() > 0")  # the image loads under the CSP
    assert "deklaraciya" in await operator.inner_text("#conversation-title")
    await operator.fill("#composer-text", "Спасибо, исправим сегодня")
    await operator.click("#send")
    await reader.wait_for_selector(".hc-chat-theirs:has-text('Спасибо, исправим сегодня')")
    assert "Анна" in await reader.inner_text(".hc-chat-theirs .hc-chat-author")
    await reader.screenshot(path=str(artifacts_dir / "chat-reader.png"))

    await operator.click("[data-view='unassigned']")
    await operator.click(".conversation-link:has-text('onerror')")
    await operator.wait_for_selector("#reader-info dd:has-text('onerror')")
    assert await operator.inner_text("#reader-info dd") == HOSTILE
    await operator.screenshot(path=str(artifacts_dir / "chat-operator.png"))
    await operator.click("[data-tab='searches']")
    await operator.wait_for_selector("#searches-rows td:has-text('налог на роскошь')")
    assert "<b>x</b>" in await operator.inner_text("#searches-rows")
    await operator.click("[data-tab='ratings']")
    await operator.wait_for_selector("#ratings-rows td:has-text('Как подать декларацию')")
    assert await operator.evaluate("() => window.__pwned") is None
    injected = ("() => document.querySelectorAll('.message-body *, #app script, #app svg,"
                " #searches-rows img, #reader-info img, .conversation-link img').length")
    assert await operator.evaluate(injected) == 0
    assert dialogs == []
    await reader_context.close()
    await operator_context.close()


async def test_outside_hours_the_reader_leaves_an_email_and_gets_the_reply(
    tmp_path: Path,
) -> None:
    executable = chromium_executable()
    require(executable is not None, "Debian's chromium is not installed")
    from aiosmtpd.controller import Controller

    inbox, smtp_port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    port = free_port()
    site = await asyncio.to_thread(make_site, tmp_path / "project", port)
    today = datetime.now(ZoneInfo("Europe/Moscow")).date()
    settings = make_settings(
        tmp_path, url=f"http://127.0.0.1:{port}", site_dir=site, languages=("ru",),
        closed_dates=(today.isoformat(),), smtp_url=f"smtp://127.0.0.1:{smtp_port}",
        email_from="help@example.com", title="Справка")
    add_operator_sync(settings, "anna@example.com", "Анна")
    server = await asyncio.to_thread(ServerThread(settings, port=port).start)
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=executable,
                                                       headless=True, args=CHROMIUM_FLAGS)
            context = await browser.new_context(locale="ru-RU")
            page = await context.new_page()
            await page.goto(f"{server.http}/ru/nds/deklaraciya/")
            await page.click(".hc-chat-launcher")
            await page.wait_for_selector(
                ".hc-chat-status:has-text('ответим в течение 15 минут после открытия')")
            await page.fill(".hc-chat-compose textarea", "Нужна помощь ночью")
            await page.click(".hc-chat-send")
            await page.wait_for_selector(".hc-chat-email:not([hidden])")
            await page.fill(".hc-chat-email input", "не почта")
            await page.click(".hc-chat-email button")
            await page.wait_for_selector(".hc-chat-error:not([hidden])")
            await page.fill(".hc-chat-email input", "reader@example.com")
            await page.click(".hc-chat-email button")
            # Replies go to an address only once its owner confirms it from the mail.
            await page.wait_for_selector(".hc-chat-email-pending:not([hidden])")
            assert "reader@example.com" in await page.inner_text(".hc-chat-email-pending")
            confirm = await wait_for_mail(inbox, 1)
            link = re.search(r"\S+/api/email/confirm\?t=[\w.-]+", confirm.get_content())
            assert link is not None
            mail_tab = await context.new_page()
            await mail_tab.goto(link.group(0))
            assert "reader@example.com" in await mail_tab.inner_text("body")
            await page.wait_for_selector(".hc-chat-email-done:not([hidden])")
            await context.close()  # the reader leaves
            await browser.close()
        anna = await Operator.login(server, "anna@example.com")
        inbox_list = (await anna.client.get("/api/operator/inbox?view=open")).json()
        conversation_id = inbox_list["conversations"][0]["id"]
        await asyncio.sleep(0.3)
        reply = await anna.post(f"/api/operator/conversations/{conversation_id}/reply",
                                body="Ответили утром", client_id="morning")
        assert reply.status_code == 201
        message = await wait_for_mail(inbox, 2)
        assert inbox.messages[1][0] == ["reader@example.com"]
        assert "Ответили утром" in message.get_content()
        await anna.close()
    finally:
        await asyncio.to_thread(server.stop)
        controller.stop()
