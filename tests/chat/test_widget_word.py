"""The widget keeps its word, in headless chromium on a built help center served by a real
sidecar: outside hours it says when the answer will come, in the reader's time zone; its
search looks like the site's and hands a query that found nothing to the chat; it offers the
matching articles before a first question and tells the operator which were shown and
opened, with the visit's entry page and referrer; it remembers the email a reader gave; a
refused file does not hide whether anyone is there; an operator's fresh answer stops the
"we are away" talk; and a rating survives a reload and can be changed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, Page, async_playwright
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

from chat_server.hours import BusinessHours

pytestmark = pytest.mark.browser
MOSCOW = ZoneInfo("Europe/Moscow")
READER_ZONE = "Asia/Yekaterinburg"  # two hours ahead of the team
REFERRER = "https://www.example.org/search?q=%D0%BD%D0%B4%D1%81"
RU_DAYS = ["в понедельник", "во вторник", "в среду", "в четверг", "в пятницу", "в субботу",
           "в воскресенье"]
SHOTS = Path("/tmp/h2-shots")
PENDING = ".hc-chat-email-pending:not([hidden]):has-text('reader@example.com')"


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    executable = chromium_executable()
    require(executable is not None, "Debian's chromium is not installed")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, headless=True,
                                                   args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            await browser.close()


def expected_when(opening: datetime, zone: str) -> str:
    """What the reader should read: «завтра в 12:00» and the like, in their own zone."""
    local = opening.astimezone(ZoneInfo(zone))
    away = (local.date() - datetime.now(ZoneInfo(zone)).date()).days
    time = local.strftime("%H:%M")
    if away <= 0:
        return f"сегодня в {time}"
    return f"завтра в {time}" if away == 1 else f"{RU_DAYS[local.weekday()]} в {time}"


# A web page named like a picture: the server reads the bytes and refuses it.
DISGUISED_HTML = b"<!doctype html><html><script>alert(1)</script></html>"


async def errors_of(page: Page) -> list[str]:
    found: list[str] = []
    page.on("pageerror", lambda e: found.append(str(e)))
    return found


async def test_closed_hours_a_reader_asks_and_an_operator_answers(tmp_path: Path) -> None:
    from aiosmtpd.controller import Controller

    inbox, smtp_port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    port = free_port()
    site = await asyncio.to_thread(make_site, tmp_path / "project", port)
    today = datetime.now(MOSCOW).date()
    settings = make_settings(
        tmp_path, url=f"http://127.0.0.1:{port}", site_dir=site, languages=("ru",),
        hours_start="10:00", hours_end="20:00", closed_dates=(today.isoformat(),),
        reply_minutes=15, smtp_url=f"smtp://127.0.0.1:{smtp_port}",
        email_from="help@example.com", title="Справка")
    add_operator_sync(settings, "anna@example.com", "Анна")
    hours = BusinessHours(settings.timezone, "10:00", "20:00", settings.workdays,
                          settings.closed_dates)
    opening = hours.next_open(datetime.now(MOSCOW))
    assert opening is not None
    server = await asyncio.to_thread(ServerThread(settings, port=port).start)
    try:
        async with chromium() as browser:
            context = await browser.new_context(locale="ru-RU", timezone_id=READER_ZONE)
            page = await context.new_page()
            errors = await errors_of(page)
            await reader_asks(page, server, opening)
            await operator_sees_the_way_in(browser, server)
            await the_answer_is_live(page, server)
            assert errors == []
            await context.close()
    finally:
        await asyncio.to_thread(server.stop)
        controller.stop()


async def reader_asks(page: Page, server: ServerThread, opening: datetime) -> None:
    # The visit starts on the home page, from a search engine; its contact link opens the chat.
    await page.goto(f"{server.http}/ru/", referer=REFERRER)
    await page.click(".home-contact a")
    await page.wait_for_selector(".hc-chat-panel:not([hidden])")
    status = page.locator(".hc-chat-status")
    phrase = (f"Сейчас нас нет на месте — ответим в течение 15 минут после открытия, "
              f"{expected_when(opening, READER_ZONE)}.")
    await page.wait_for_selector(f".hc-chat-status:text-is('{phrase}')")
    # The widget's search: found articles drawn like the site's dropdown; nothing found
    # offers to ask, with the words carried into the message box.
    await page.fill(".hc-chat-search input", "декларацию")
    found = page.locator(".hc-chat-search .hc-chat-result-link")
    await found.first.wait_for()
    assert await found.first.locator(".hc-chat-result-title").inner_text() == (
        "Как подать декларацию")
    assert await found.first.locator(".hc-chat-result-path").inner_text() == "НДС"
    await page.fill(".hc-chat-search input", "квантовая бухгалтерия")
    ask = page.locator(".hc-chat-ask")
    await ask.wait_for()
    assert "Ничего не нашлось" in await page.inner_text(".hc-chat-nothing")
    await ask.click()
    assert await page.input_value(".hc-chat-compose textarea") == "квантовая бухгалтерия"
    # Typing a question: the matching articles first; the reader opens one.
    await page.fill(".hc-chat-compose textarea", "")
    await page.locator(".hc-chat-compose textarea").press_sequentially("подать декларацию")
    suggestion = page.locator(".hc-chat-suggest:not([hidden]) a:has-text('Как подать декларацию')")
    await suggestion.wait_for()
    await suggestion.click()
    await page.wait_for_url("**/ru/nds/deklaraciya/**")
    # Still not answered: the reader asks on the article's page.
    await page.click(".hc-chat-launcher")
    await page.wait_for_selector(f".hc-chat-status:text-is('{phrase}')")
    await page.fill(".hc-chat-compose textarea", "Не нашёл срок подачи")
    await page.click(".hc-chat-send")
    await page.wait_for_selector(".hc-chat-mine .hc-chat-mark:text('✓')")
    assert await page.is_hidden(".hc-chat-suggest")
    # A refused file is said beside the box; the status still says when we answer.
    await page.set_input_files(".hc-chat-attach input", files=[{
        "name": "скрин.png", "mimeType": "image/png", "buffer": DISGUISED_HTML}])
    await page.wait_for_selector(".hc-chat-notice:not([hidden]):has-text('нельзя')")
    assert await status.inner_text() == phrase
    # The email: given once, then shown (and changeable) after a reload instead of asked again.
    await page.fill(".hc-chat-email input", "reader@example.com")
    await page.click(".hc-chat-email button[type=submit]")
    await page.wait_for_selector(PENDING)
    await page.reload()
    await page.click(".hc-chat-launcher")
    await page.wait_for_selector(PENDING)
    assert await page.is_hidden(".hc-chat-email form")
    await page.click(".hc-chat-email-change")
    assert await page.input_value(".hc-chat-email input") == "reader@example.com"
    await page.screenshot(path=str(SHOTS / "closed-reader.png"))


async def operator_sees_the_way_in(browser: Browser, server: ServerThread) -> None:
    anna = await Operator.login(server, "anna@example.com")
    try:
        rows = (await anna.client.get("/api/operator/inbox?view=open")).json()["conversations"]
        detail = (await anna.client.get(f"/api/operator/conversations/{rows[0]['id']}")).json()
    finally:
        await anna.close()
    context = detail["conversation"]["context"]
    assert context["entry_page"] == f"{server.http}/ru/"
    assert context["referrer"] == REFERRER
    assert context["page"] == f"{server.http}/ru/nds/deklaraciya/"
    assert context["suggestions"] == "Как подать декларацию"
    assert context["suggestion_opened"] == "Как подать декларацию"
    assert context["search"] == "квантовая бухгалтерия"
    operator_context = await browser.new_context(locale="ru-RU")
    operator = await operator_context.new_page()
    await operator.goto(f"{server.http}/operator/")
    await operator.fill("#login-email", "anna@example.com")
    await operator.fill("#login-password", PASSWORD)
    await operator.click("#login-form button[type=submit]")
    await operator.wait_for_selector("#app:not([hidden])")
    await operator.click("[data-view='unassigned']")
    await operator.click(".conversation-link:has-text('Не нашёл срок подачи')")
    panel = operator.locator("#context-info")
    await panel.locator("dt:text-is('Первая страница визита')").wait_for()
    text = await panel.inner_text()
    for shown in (f"{server.http}/ru/", REFERRER, "Предложенные статьи",
                  "Открыл", "квантовая бухгалтерия"):
        assert shown in text, (shown, text)
    await operator.screenshot(path=str(SHOTS / "operator-context.png"))
    await operator_context.close()


async def the_answer_is_live(page: Page, server: ServerThread) -> None:
    """An operator answers outside hours: the reader is in a live conversation now."""
    anna = await Operator.login(server, "anna@example.com")
    try:
        rows = (await anna.client.get("/api/operator/inbox?view=open")).json()["conversations"]
        reply = await anna.post(f"/api/operator/conversations/{rows[0]['id']}/reply",
                                body="До 25 числа", client_id="live-1")
        assert reply.status_code == 201
    finally:
        await anna.close()
    await page.wait_for_selector(".hc-chat-theirs:has-text('До 25 числа')")
    await page.wait_for_selector(".hc-chat-status:text-is('Мы на связи в этом разговоре.')")
    assert await page.is_hidden(".hc-chat-email")
    # A reload keeps it: the answer's time says so, not this page's memory.
    await page.reload()
    await page.click(".hc-chat-launcher")
    await page.wait_for_selector(".hc-chat-theirs:has-text('До 25 числа')")
    await page.wait_for_selector(".hc-chat-status:text-is('Мы на связи в этом разговоре.')")
    assert await page.is_hidden(".hc-chat-email")
    await page.screenshot(path=str(SHOTS / "live-reader.png"))


async def test_a_rating_is_remembered_and_can_be_changed(tmp_path: Path) -> None:
    port = free_port()
    site = await asyncio.to_thread(make_site, tmp_path / "project", port)
    settings = make_settings(tmp_path, url=f"http://127.0.0.1:{port}", site_dir=site,
                             languages=("ru",))
    add_operator_sync(settings, "anna@example.com", "Анна")
    server = await asyncio.to_thread(ServerThread(settings, port=port).start)
    try:
        async with chromium() as browser:
            page = await (await browser.new_context(locale="ru-RU")).new_page()
            await page.goto(f"{server.http}/ru/nds/deklaraciya/")
            await rate(page, "happy")
            await page.reload()
            await page.wait_for_selector("button[data-rating='happy'][aria-pressed='true']")
            assert await page.is_visible("[data-hc-thanks]")
            assert "Оценку можно изменить" in await page.inner_text("[data-hc-thanks]")
            await rate(page, "neutral")
            await page.reload()
            await page.wait_for_selector("button[data-rating='neutral'][aria-pressed='true']")
            assert await page.get_attribute("button[data-rating='happy']", "aria-pressed") == (
                "false")
        # One reader, one rating: the changed one.
        anna = await Operator.login(server, "anna@example.com")
        stats = (await anna.client.get("/api/operator/ratings")).json()["ratings"]
        await anna.close()
        assert [(s["total"], s["happy"], s["neutral"]) for s in stats] == [(1, 0, 1)]
    finally:
        await asyncio.to_thread(server.stop)


async def rate(page: Page, value: str) -> None:
    button = f"button[data-rating='{value}']:not([disabled])"
    async with page.expect_response("**/api/ratings") as answer:
        await page.click(button)
    assert (await (await answer.value).json())["rating"] == value
    await page.wait_for_selector(f"button[data-rating='{value}'][aria-pressed='true']")

