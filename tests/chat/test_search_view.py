"""views/search.mjs in headless chromium, on the real operator page (its CSP, its session):
the lead engineer mounts SearchView in the page; here it is mounted beside the app, with the
page's own api.mjs, and used as an operator would: words, filters, pages, opening a hit, the
CSV export, and a reader's hostile name staying text."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, async_playwright, expect
from support.chat import (
    PASSWORD,
    ServerThread,
    add_operator_sync,
    make_settings,
    open_reader,
    recv,
    send,
)
from support.env import CHROMIUM_FLAGS, chromium_executable, require

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]

MOUNT = """async (operators) => {
  const { h, render } = await import("preact");
  const { makeApi } = await import("/operator/static/api.mjs");
  const { SearchView } = await import("/operator/static/views/search.mjs");
  document.getElementById("root").style.display = "none";
  const holder = document.createElement("div");
  holder.id = "search-holder";
  document.body.appendChild(holder);
  window.opened = [];
  render(h(SearchView, { api: makeApi(() => ""), lang: "ru", tags: ["vip"], operators: operators,
    groups: [{ name: "support", title: { "*": "Поддержка" } }],
    onOpen: (id) => window.opened.push(id) }), holder);
}"""


@pytest.fixture
async def page(tmp_path: Path) -> AsyncIterator[tuple[ServerThread, Page]]:
    executable = chromium_executable()
    require(executable is not None, "Debian's chromium is not installed")
    settings = make_settings(tmp_path, languages=("ru",))
    anna = add_operator_sync(settings, "anna@example.com", "Анна", ("support",))
    server = await asyncio.to_thread(ServerThread(settings).start)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, headless=True,
                                                   args=CHROMIUM_FLAGS)
        try:
            context = await browser.new_context(locale="ru-RU", accept_downloads=True)
            opened = await context.new_page()
            errors: list[str] = []
            opened.on("pageerror", lambda e: errors.append(str(e)))
            await opened.goto(server.http + "/operator/")
            await opened.fill("#login-email", "anna@example.com")
            await opened.fill("#login-password", PASSWORD)
            await opened.click("#login-form button[type=submit]")
            await expect(opened.locator("#connection")).to_have_text("На связи", timeout=10_000)
            opened.errors = errors  # type: ignore[attr-defined]
            opened.anna = anna  # type: ignore[attr-defined]
            yield server, opened
        finally:
            await browser.close()
            await asyncio.to_thread(server.stop)


async def reader_asks(server: ServerThread, body: str, name: str = "") -> int:
    ws, _ = await open_reader(server.ws, name=name)
    await send(ws, "message", client_id="q", body=body)
    conversation_id = int((await recv(ws, "ack"))["conversation"]["id"])
    await ws.close()
    return conversation_id


async def mount(page: Page) -> Any:
    anna: dict[str, Any] = page.anna  # type: ignore[attr-defined]
    await page.evaluate(MOUNT, {str(anna["id"]): {"id": anna["id"], "name": anna["name"]}})
    return page.locator("#search-holder")


async def test_words_filters_opening_and_the_csv(page: tuple[ServerThread, Page]) -> None:
    server, tab = page
    paid = await reader_asks(server, "Я оплатил заказ, а доступа всё нет", name="Олег")
    await reader_asks(server, "Как сменить пароль?", name="<img src=x onerror=window.pwned=1>")
    view = await mount(tab)
    total = view.locator(".search-total")
    await expect(total).to_have_text("1–2 из 2")
    await expect(view.locator(".search-who").nth(0)).to_have_text(
        "<img src=x onerror=window.pwned=1>")  # the newest first, and as text
    await view.locator("input[name=q]").fill("оплата")
    await view.locator("input[name=q]").press("Enter")
    await expect(total).to_have_text("1–1 из 1")
    hit = view.locator(".search-hit")
    await expect(hit.locator(".search-who")).to_have_text("Олег")
    await expect(hit.locator("mark")).to_have_text("оплатил")
    await view.locator("select[name=state]").select_option("closed")
    await expect(total).to_have_text("Таких разговоров нет.")
    await view.locator("select[name=state]").select_option("open")
    await expect(total).to_have_text("1–1 из 1")
    csv_link = view.locator("a.search-csv")
    assert "q=%D0%BE%D0%BF%D0%BB%D0%B0%D1%82%D0%B0" in (await csv_link.get_attribute("href"))
    async with tab.expect_download() as waiting:
        await csv_link.click()
    saved = Path(await (await waiting.value).path())
    content = saved.read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    lines = content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Разговор,Клиент") and len(lines) == 2 and "Олег" in lines[1]
    await hit.locator("button").click()
    assert await tab.evaluate("window.opened") == [paid]
    assert await tab.evaluate("window.pwned") is None
    # Both languages have every word the view asks for (a missing one would show English).
    tables = await tab.evaluate("""async () => {
      const m = await import("/operator/static/views/search_strings.mjs");
      return [Object.keys(m.SEARCH_STRINGS.en).sort(), Object.keys(m.SEARCH_STRINGS.ru).sort()];
    }""")
    assert tables[0] == tables[1]
    source = (ROOT / "chat_server/static/operator/views/search.mjs").read_text(encoding="utf-8")
    used = set(re.findall(r'sayS\(lang, "(\w+)"[,)]', source))  # not "state_" + state
    assert used and used <= set(tables[0])
    assert tab.errors == []  # type: ignore[attr-defined]


async def test_pages_of_twenty(page: tuple[ServerThread, Page]) -> None:
    server, tab = page
    for n in range(23):
        await reader_asks(server, f"Вопрос про счёт номер {n}")
    view = await mount(tab)
    total = view.locator(".search-total")
    await view.locator("input[name=q]").fill("счета")
    await view.locator("button[type=submit]").click()
    await expect(total).to_have_text("1–20 из 23")
    await expect(view.locator(".search-hit")).to_have_count(20)
    await expect(view.locator(".search-prev")).to_be_disabled()
    await view.locator(".search-next").click()
    await expect(total).to_have_text("21–23 из 23")
    await expect(view.locator(".search-hit")).to_have_count(3)
    await expect(view.locator(".search-next")).to_be_disabled()
    await view.locator(".search-prev").click()
    await expect(total).to_have_text("1–20 из 23")
