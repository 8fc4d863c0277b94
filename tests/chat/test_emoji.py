"""The emoji picker in headless chromium: a reader finds ❤️ by a Russian word, picks it into
the message at the caret and the operator gets it; the keyboard alone works it; at 390 px it
fits the screen; and its script and data load only when it is first opened."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import async_playwright, expect
from support.chat import (
    PASSWORD,
    Operator,
    ServerThread,
    add_operator_sync,
    free_port,
    make_settings,
    make_site,
    open_reader,
    recv,
    send,
)
from support.env import CHROMIUM_FLAGS, chromium_executable, require

pytestmark = pytest.mark.browser


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[ServerThread]:
    port = free_port()
    site = await asyncio.to_thread(make_site, tmp_path / "project", port)
    settings = make_settings(tmp_path, url=f"http://127.0.0.1:{port}", site_dir=site,
                             languages=("ru",))
    add_operator_sync(settings, "anna@example.com", "Анна")
    server = await asyncio.to_thread(ServerThread(settings, port=port).start)
    yield server
    await asyncio.to_thread(server.stop)


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    executable = chromium_executable()
    require(executable is not None, "Debian's chromium is not installed")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable, headless=True,
                                                    args=CHROMIUM_FLAGS)
        yield launched
        await launched.close()


async def open_widget(browser: Any, server: ServerThread, width: int = 1280) -> tuple[Any,
                                                                                       list[str]]:
    context = await browser.new_context(locale="ru-RU",
                                        viewport={"width": width, "height": 800})
    page = await context.new_page()
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url))
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    await page.goto(f"{server.http}/ru/nds/deklaraciya/")
    await page.click(".hc-chat-launcher")
    await page.wait_for_selector(".hc-chat-compose textarea")
    assert not any("emoji" in url for url in fetched), "loaded before anyone asked"
    return page, errors


async def test_a_reader_finds_a_heart_in_russian_and_the_operator_gets_it(
        served: ServerThread, browser: Any) -> None:
    anna = await Operator.login(served, "anna@example.com")
    anna_ws = await anna.socket()
    await recv(anna_ws, "welcome")
    page, errors = await open_widget(browser, served)
    box = page.locator(".hc-chat-compose textarea")
    await box.fill("Спасибо  за помощь")
    await box.evaluate("b => b.setSelectionRange(8, 8)")  # the caret between the spaces
    await page.click(".hc-chat-emoji-button")
    search = page.locator(".hc-emoji-search")
    await expect(search).to_be_focused()
    await search.fill("сердце")
    heart = page.locator(".hc-emoji-item[aria-label='алое сердце']")
    await heart.click()
    await expect(page.locator(".hc-emoji")).to_have_count(0)
    await expect(box).to_have_value("Спасибо ❤️ за помощь")
    await page.click(".hc-chat-send")
    seen = await recv(anna_ws, "message")
    assert seen["message"]["body"] == "Спасибо ❤️ за помощь"
    assert not [e for e in errors if "Content Security Policy" in e], errors
    await anna_ws.close()
    await anna.close()


async def test_the_keyboard_alone_searches_moves_picks_and_escapes(
        served: ServerThread, browser: Any) -> None:
    page, _errors = await open_widget(browser, served)
    box = page.locator(".hc-chat-compose textarea")
    await page.focus(".hc-chat-emoji-button")
    await page.keyboard.press("Enter")
    await expect(page.locator(".hc-emoji-search")).to_be_focused()
    await page.keyboard.type("heart")  # not a Russian word: nothing, and it says so
    await expect(page.locator(".hc-emoji-empty")).to_have_text("Таких эмодзи нет")
    await page.fill(".hc-emoji-search", "кот")
    first = page.locator(".hc-emoji-item").first
    await page.keyboard.press("ArrowDown")
    await expect(first).to_be_focused()
    await page.keyboard.press("ArrowRight")
    second = page.locator(".hc-emoji-item").nth(1)
    await expect(second).to_be_focused()
    picked = await second.inner_text()
    await page.keyboard.press("Enter")
    await expect(box).to_have_value(picked)
    await page.click(".hc-chat-emoji-button")
    await expect(page.locator(".hc-emoji")).to_have_count(1)
    await page.keyboard.press("Escape")  # closes the picker, not the chat
    await expect(page.locator(".hc-emoji")).to_have_count(0)
    await expect(page.locator(".hc-chat-panel")).to_be_visible()
    await expect(page.locator(".hc-chat-emoji-button")).to_be_focused()


async def test_at_390_px_the_picker_fits_the_screen(served: ServerThread, browser: Any,
                                                    artifacts_dir: Path) -> None:
    page, _errors = await open_widget(browser, served, width=390)
    await page.click(".hc-chat-emoji-button")
    await page.wait_for_selector(".hc-emoji-item")
    box = await page.locator(".hc-emoji").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    panel = await page.locator(".hc-chat-panel").bounding_box()
    send = await page.locator(".hc-chat-send").bounding_box()
    assert panel is not None and send is not None
    assert send["y"] + send["height"] <= panel["y"] + panel["height"], "send pushed out"
    widest = await page.evaluate("document.documentElement.scrollWidth")
    assert widest <= 390, "the page scrolls sideways"
    await page.screenshot(path=str(artifacts_dir / "emoji-picker-390.png"))


async def test_an_operator_picks_an_emoji_into_the_reply_at_the_caret(
        served: ServerThread, browser: Any) -> None:
    reader, _hello = await open_reader(served.ws)
    await send(reader, "message", client_id="q1", body="Всё получилось!")
    conversation_id = (await recv(reader, "ack"))["conversation"]["id"]
    page = await (await browser.new_context(locale="ru-RU")).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text
            else None)  # the picker's script and data pass the page's strict CSP
    await page.goto(served.http + "/operator/")
    await page.fill("#login-email", "anna@example.com")
    await page.fill("#login-password", PASSWORD)
    await page.click("#login-form button[type=submit]")
    await page.locator(f".conversation-item[data-id='{conversation_id}'] button").click()
    box = page.locator("#composer-text")
    await box.fill("Рады помочь")
    await box.evaluate("b => b.setSelectionRange(4, 4)")  # after "Рады"
    await page.click(".emoji-button")
    await page.fill(".hc-emoji-search", "улыб")
    await page.keyboard.press("Enter")  # the first found
    await expect(page.locator(".hc-emoji")).to_have_count(0)
    value = await box.input_value()
    assert value.startswith("Рады") and value.endswith(" помочь") and len(value) > 11
    picked = value[4:-7]
    await page.click("#send")
    got = await recv(reader, "message")
    assert got["message"]["body"] == "Рады" + picked + " помочь"
    assert not errors, errors
    await reader.close()
