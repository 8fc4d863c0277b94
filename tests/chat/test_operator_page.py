"""The operator page in headless chromium, two operators and a reader at once: the screen is
always true without a reload (assignment by replying, own names, reopening, drafts, typing,
refused uploads), and the page works on a 390 px phone and from the keyboard."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, async_playwright, expect
from support.chat import (
    PASSWORD,
    ServerThread,
    add_operator_sync,
    frames_within,
    make_settings,
    open_reader,
    recv,
    send,
)
from support.env import CHROMIUM_FLAGS, chromium_executable, require

pytestmark = pytest.mark.browser


@dataclass
class Desk:
    server: ServerThread
    browser: Any

    async def operator(self, email: str, width: int = 1280) -> Page:
        context = await self.browser.new_context(
            locale="ru-RU", viewport={"width": width, "height": 800})
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.errors = errors  # type: ignore[attr-defined]
        await page.goto(self.server.http + "/operator/")
        await page.fill("#login-email", email)
        await page.fill("#login-password", PASSWORD)
        await page.click("#login-form button[type=submit]")
        await expect(page.locator("#connection")).to_have_text("На связи", timeout=10_000)
        return page


ROUND_ROBIN = {"support": {"title": {"*": "Поддержка"}, "capacity": 1, "auto_assign": True},
               "billing": {"title": {"*": "Счета"}, "capacity": 5, "auto_assign": False}}


@pytest.fixture
async def desk(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Desk]:
    """Anna and Boris of the group support; a test marked `round_robin` has the group
    assign automatically, one conversation each."""
    executable = chromium_executable()
    require(executable is not None, "Debian's chromium is not installed")
    groups = ROUND_ROBIN if request.node.get_closest_marker("round_robin") else {}
    settings = make_settings(tmp_path, languages=("ru",), groups=groups)
    add_operator_sync(settings, "anna@example.com", "Анна", ("support",))
    add_operator_sync(settings, "boris@example.com", "Борис", ("support",))
    server = await asyncio.to_thread(ServerThread(settings).start)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, headless=True,
                                                   args=CHROMIUM_FLAGS)
        try:
            yield Desk(server, browser)
        finally:
            await browser.close()
            await asyncio.to_thread(server.stop)


async def reader_asks(desk: Desk, body: str, name: str = "") -> tuple[Any, int]:
    ws, _ = await open_reader(desk.server.ws, name=name)
    await send(ws, "message", client_id="q-" + body[:8], body=body)
    return ws, (await recv(ws, "ack"))["conversation"]["id"]


def row(page: Page, conversation_id: int) -> Any:
    return page.locator(f".conversation-item[data-id='{conversation_id}']")


def count(page: Page, view: str) -> Any:
    return page.locator(f"[data-count='{view}']")


async def test_replying_takes_the_conversation_on_every_screen(desk: Desk) -> None:
    anna = await desk.operator("anna@example.com")
    boris = await desk.operator("boris@example.com")
    reader, conversation_id = await reader_asks(desk, "Как вернуть НДС?", name="Ольга")
    for page in (anna, boris):  # a new conversation appears live, counted
        await expect(row(page, conversation_id)).to_contain_text("Ольга")
        await expect(row(page, conversation_id)).to_contain_text("Как вернуть НДС?")
        await expect(count(page, "unassigned")).to_have_text("1")
    await row(anna, conversation_id).locator("button").click()
    await anna.fill("#composer-text", "Сейчас посмотрю")
    await anna.click("#send")
    # Anna's own message carries her name at once, and her screen knows she took it.
    await expect(anna.locator("#messages .message.operator strong")).to_have_text("Анна")
    await expect(anna.locator("#assignee")).to_have_value(str(await me_id(anna)))
    await expect(count(anna, "unassigned")).to_have_text("0")
    await expect(count(anna, "mine")).to_have_text("1")
    await expect(row(anna, conversation_id)).to_have_count(0)  # gone from "unassigned"
    await expect(count(boris, "unassigned")).to_have_text("0")
    await boris.click("[data-view='open']")
    await expect(row(boris, conversation_id).locator(".assignee")).to_have_text("Анна")
    assert (await recv(reader, "message"))["message"]["author_name"] == "Анна"
    assert not anna.errors and not boris.errors  # type: ignore[attr-defined]
    await reader.close()


async def me_id(page: Page) -> int:
    return int(await page.evaluate(
        "() => fetch('/api/operator/me').then(r => r.json()).then(d => d.operator.id)"))


async def test_a_reader_writing_again_reopens_it_on_both_screens(desk: Desk) -> None:
    anna = await desk.operator("anna@example.com")
    boris = await desk.operator("boris@example.com")
    reader, conversation_id = await reader_asks(desk, "Вопрос про счёт")
    for page in (anna, boris):
        await page.click("[data-view='open']")
        await row(page, conversation_id).locator("button").click()
        await expect(page.locator("#toggle-status")).to_have_text("Закрыть")
    await anna.click("#toggle-status")
    for page in (anna, boris):
        await expect(page.locator("#toggle-status")).to_have_text("Открыть снова")
        await expect(count(page, "closed")).to_have_text("1")
    await send(reader, "message", client_id="again", body="Ещё вопрос",
               conversation_id=conversation_id)
    for page in (anna, boris):
        await expect(page.locator("#toggle-status")).to_have_text("Закрыть")
        await expect(page.locator("#conversation-status")).to_have_text("Открыто")
        await expect(count(page, "closed")).to_have_text("0")
        await expect(page.locator("#messages")).to_contain_text("Ещё вопрос")
    await reader.close()


async def test_drafts_stay_with_their_conversation_and_typing_stops(desk: Desk) -> None:
    anna = await desk.operator("anna@example.com")
    first, first_id = await reader_asks(desk, "Первый читатель")
    second, second_id = await reader_asks(desk, "Второй читатель")
    await row(anna, first_id).locator("button").click()
    await anna.type("#composer-text", "Ответ первому")
    typing = await recv(first, "typing")
    assert typing["typing"] is True
    await row(anna, second_id).locator("button").click()
    # Leaving the conversation says "stopped" at once, not seconds later.
    stopped = await recv(first, "typing", timeout=1.5)
    assert stopped["typing"] is False and stopped["conversation_id"] == first_id
    await expect(anna.locator("#composer-text")).to_have_value("")
    await row(anna, first_id).locator("button").click()
    await expect(anna.locator("#composer-text")).to_have_value("Ответ первому")
    await anna.reload()  # drafts outlive a reload
    await expect(anna.locator("#connection")).to_have_text("На связи")
    await row(anna, first_id).locator("button").click()
    await expect(anna.locator("#composer-text")).to_have_value("Ответ первому")
    await anna.click("#send")
    assert (await recv(first, "message"))["message"]["body"] == "Ответ первому"
    await expect(anna.locator("#composer-text")).to_have_value("")
    await row(anna, second_id).locator("button").click()
    await expect(anna.locator("#composer-text")).to_have_value("")
    for ws in (first, second):
        await ws.close()


async def test_a_refused_upload_says_why(desk: Desk, tmp_path: Path) -> None:
    anna = await desk.operator("anna@example.com")
    reader, conversation_id = await reader_asks(desk, "Пришлите таблицу")
    await row(anna, conversation_id).locator("button").click()
    sheet = tmp_path / "отчёт.xlsx"
    sheet.write_bytes(b"PK\x03\x04" + b"\x00" * 200)  # a broken zip: no spreadsheet at all
    await anna.set_input_files("#attach-file", str(sheet))
    alert = anna.locator(".notice.error")
    await expect(alert).to_contain_text("Такой файл отправить нельзя. Можно: картинки (PNG, "
                                        "JPEG, GIF, WebP), PDF, документы Office")
    await expect(alert).to_contain_text("отчёт.xlsx")
    await reader.close()


async def test_a_phone_goes_list_conversation_context_and_back(desk: Desk,
                                                               artifacts_dir: Path) -> None:
    phone = await desk.operator("anna@example.com", width=390)
    reader, conversation_id = await reader_asks(desk, "С телефона " + "очень длинное слово" * 8,
                                                name="Пётр")

    async def no_sideways_scroll(name: str) -> None:
        await phone.screenshot(path=str(artifacts_dir / f"operator-phone-{name}.png"))
        wide = await phone.evaluate("() => document.documentElement.scrollWidth")
        assert wide <= 390, f"{name}: the page is {wide} px wide"

    await expect(row(phone, conversation_id)).to_be_visible()
    await no_sideways_scroll("list")
    await row(phone, conversation_id).locator("button").click()
    await expect(phone.locator("#composer-text")).to_be_visible()
    await expect(phone.locator(".inbox")).to_be_hidden()
    await no_sideways_scroll("conversation")
    await phone.click("text=О читателе")
    await expect(phone.locator("#reader-info")).to_contain_text("Пётр")
    await expect(phone.locator("#composer-text")).to_be_hidden()
    await no_sideways_scroll("context")
    await phone.locator("#context .back").click()
    await expect(phone.locator("#composer-text")).to_be_visible()
    await phone.locator(".conversation-head .back").click()
    await expect(row(phone, conversation_id)).to_be_visible()
    await reader.close()


async def test_the_keyboard_moves_writes_and_explains(desk: Desk) -> None:
    anna = await desk.operator("anna@example.com")
    first, first_id = await reader_asks(desk, "Раз")
    second, second_id = await reader_asks(desk, "Два")
    for conversation_id in (first_id, second_id):
        await expect(row(anna, conversation_id)).to_be_visible()
    await anna.keyboard.press("j")  # the newest first
    await expect(anna.locator("#conversation-title")).to_contain_text(f"#{second_id}")
    await anna.keyboard.press("j")
    await expect(anna.locator("#conversation-title")).to_contain_text(f"#{first_id}")
    await anna.keyboard.press("k")
    await expect(anna.locator("#conversation-title")).to_contain_text(f"#{second_id}")
    await anna.keyboard.press("n")
    await expect(anna.locator("#composer-text")).to_be_focused()
    await anna.keyboard.type("Для своих")
    await anna.keyboard.press("Control+Enter")
    await expect(anna.locator("#messages .message.note")).to_contain_text("Для своих")
    await anna.keyboard.press("Escape")
    await anna.keyboard.press("?")
    await expect(anna.locator(".overlay")).to_contain_text("следующее обращение")
    await anna.keyboard.press("?")
    await expect(anna.locator(".overlay")).to_have_count(0)
    await anna.keyboard.press("e")
    await expect(anna.locator("#toggle-status")).to_have_text("Открыть снова")
    for ws in (first, second):
        await ws.close()


async def open_row(page: Page, conversation_id: int, view: str = "open") -> None:
    await page.click(f"[data-view='{view}']")
    await row(page, conversation_id).locator("button").click()
    await expect(page.locator("#conversation-title")).to_contain_text(f"#{conversation_id}")


async def test_a_transfer_tells_the_receiver_and_not_the_reader(desk: Desk,
                                                               artifacts_dir: Path) -> None:
    anna = await desk.operator("anna@example.com")
    boris = await desk.operator("boris@example.com")
    reader, conversation_id = await reader_asks(desk, "Нужна бухгалтерия")
    await open_row(anna, conversation_id, "unassigned")
    await anna.click("#assign-me")
    await expect(count(anna, "mine")).to_have_text("1")
    await frames_within(reader, 0.3)  # what the reader was told until now
    await anna.click("#transfer-button")
    await anna.select_option("#transfer-target", label="Борис · в сети")
    await anna.fill("#transfer-note", "Клиент про акт сверки")
    await anna.click("#transfer-form button[type=submit]")
    notice = boris.locator("#notice")
    await expect(notice).to_contain_text("Анна передаёт вам обращение")
    await expect(notice).to_contain_text("Клиент про акт сверки")
    assert (await boris.title()).startswith("(1)")
    await expect(count(boris, "mine")).to_have_text("1")
    await expect(count(anna, "mine")).to_have_text("0")
    history = anna.locator("#messages .action[data-kind='transferred']")
    await expect(history).to_contain_text("Анна: передано — Борис")
    await expect(history).to_contain_text("Клиент про акт сверки")
    await anna.screenshot(path=str(artifacts_dir / "operator-transferred.png"))
    await boris.screenshot(path=str(artifacts_dir / "operator-received.png"))
    await notice.locator("text=Открыть").click()
    await expect(boris.locator("#assignee")).to_have_value(str(await me_id(boris)))
    told = await frames_within(reader, 0.5)
    moves = [f for f in told if f["type"] in ("conversation", "message")]
    assert not moves, "no internal move reaches the reader"
    await reader.close()



async def test_counts_stay_right_when_the_list_arrives_after_an_event(desk: Desk) -> None:
    """The inbox's answer was counted before a reader asked, and reaches the page after the
    event of that question did: the count must not go back to what the answer says."""
    anna = await desk.operator("anna@example.com")
    asked = asyncio.Event()

    async def late(route: Any) -> None:
        response = await route.fetch()  # counted now, before the reader asks
        await asked.wait()
        await asyncio.sleep(0.3)  # the conversation's event is on the page by now
        await route.fulfill(response=response)

    await anna.route("**/api/operator/inbox?view=unassigned*", late)
    await anna.click("[data-view='mine']")
    await anna.click("[data-view='unassigned']")  # asks for the list again
    await asyncio.sleep(0.3)
    reader, conversation_id = await reader_asks(desk, "Вопрос, пока список в пути")
    asked.set()
    await expect(row(anna, conversation_id)).to_be_visible()
    await asyncio.sleep(1.0)  # the late answer has come and the page has asked again
    await expect(count(anna, "unassigned")).to_have_text("1")
    await reader.close()


@pytest.mark.round_robin
async def test_round_robin_gives_one_each_and_the_queue_waits(desk: Desk) -> None:
    anna = await desk.operator("anna@example.com")
    boris = await desk.operator("boris@example.com")
    readers = [await reader_asks(desk, f"Вопрос номер {n}") for n in range(3)]
    for page in (anna, boris):
        await expect(count(page, "mine")).to_have_text("1")
        await expect(count(page, "unassigned")).to_have_text("1")
    waiting = readers[2][1]
    await anna.click("[data-view='mine']")
    mine = anna.locator(".conversation-item")
    await expect(mine).to_have_count(1)
    await mine.locator("button").click()
    await anna.click("#toggle-status")  # Anna closes hers: the waiting one is hers now
    await expect(count(anna, "unassigned")).to_have_text("0")
    await expect(count(boris, "unassigned")).to_have_text("0")
    await expect(row(anna, waiting)).to_be_visible()
    await row(anna, waiting).locator("button").click()
    await expect(anna.locator("#messages .action")).to_contain_text("Назначено по очереди — Анна")
    for ws, _ in readers:
        await ws.close()


async def test_snoozed_until_the_reader_writes(desk: Desk) -> None:
    anna = await desk.operator("anna@example.com")
    reader, conversation_id = await reader_asks(desk, "Проверю и вернусь")
    await open_row(anna, conversation_id)
    await anna.click("#snooze-button")
    await anna.click("#snooze-form button[data-minutes='reader']")
    await expect(count(anna, "snoozed")).to_have_text("1")
    await expect(count(anna, "open")).to_have_text("0")
    await expect(anna.locator("#conversation-status")).to_have_text("Отложено")
    await send(reader, "message", client_id="back", body="Проверил, не работает",
               conversation_id=conversation_id)
    await expect(count(anna, "snoozed")).to_have_text("0")
    await expect(count(anna, "open")).to_have_text("1")
    await expect(anna.locator("#conversation-status")).to_have_text("Открыто")
    await expect(anna.locator("#messages .action[data-kind='woke']")).to_contain_text(
        "читатель написал")
    await reader.close()


async def test_a_colleague_answering_first_is_warned_of(desk: Desk) -> None:
    anna = await desk.operator("anna@example.com")
    boris = await desk.operator("boris@example.com")
    reader, conversation_id = await reader_asks(desk, "Где мой возврат?")
    for page in (anna, boris):
        await open_row(page, conversation_id, "unassigned")
    # Each sees the other looking at it, a page opened later too.
    await expect(anna.locator("#viewers")).to_contain_text("Борис смотрит")
    await anna.reload()
    await expect(anna.locator("#connection")).to_have_text("На связи")
    await open_row(anna, conversation_id, "unassigned")
    await expect(anna.locator("#viewers")).to_contain_text("Борис смотрит")
    await anna.fill("#composer-text", "Возврат придёт через неделю")
    await boris.fill("#composer-text", "Уже отправили")
    await boris.click("#send")
    await expect(anna.locator("#messages")).to_contain_text("Уже отправили")
    await anna.click("#send")
    await expect(anna.locator("#notice")).to_contain_text("Борис ответил(а), пока вы писали")
    await expect(anna.locator("#composer-text")).to_have_value("Возврат придёт через неделю")
    assert (await recv(reader, "message"))["message"]["body"] == "Уже отправили"
    await anna.click("#send")  # sent anyway, knowingly
    assert (await recv(reader, "message"))["message"]["body"] == "Возврат придёт через неделю"
    await boris.click(".conversation-head .back, [data-view='open']")
    await reader.close()


async def test_a_closed_tab_is_offline_for_colleagues(desk: Desk) -> None:
    anna = await desk.operator("anna@example.com")
    boris = await desk.operator("boris@example.com")
    boris_row = anna.locator("#team li", has_text="Борис")
    await expect(boris_row).to_contain_text("в сети")
    await boris.select_option("#presence", "away")
    await expect(boris_row).to_contain_text("отошёл")
    await boris.context.close()  # the tab (and the browser) goes
    await expect(boris_row).to_contain_text("не в сети", timeout=10_000)


KEEP_SOCKETS = """(() => {
  const Native = window.WebSocket;
  window.__sockets = [];
  window.WebSocket = function (url, protocols) {
    const ws = new Native(url, protocols);
    window.__sockets.push(ws);
    return ws;
  };
})();"""


async def test_a_dropped_socket_comes_back_still_away(desk: Desk) -> None:
    """A network blip is not coming to work: an operator who said away stays away."""
    boris = await desk.operator("boris@example.com")
    context = await desk.browser.new_context(locale="ru-RU")
    await context.add_init_script(KEEP_SOCKETS)
    anna = await context.new_page()
    await anna.goto(desk.server.http + "/operator/")
    await anna.fill("#login-email", "anna@example.com")
    await anna.fill("#login-password", PASSWORD)
    await anna.click("#login-form button[type=submit]")
    await expect(anna.locator("#connection")).to_have_text("На связи", timeout=10_000)
    anna_row = boris.locator("#team li", has_text="Анна")
    await expect(anna_row).to_contain_text("в сети")
    await anna.select_option("#presence", "away")
    await expect(anna_row).to_contain_text("отошёл")
    await anna.evaluate("() => window.__sockets[window.__sockets.length - 1].close()")
    await expect(anna.locator("#connection")).to_have_text("Переподключаемся…")
    await expect(anna.locator("#connection")).to_have_text("На связи", timeout=10_000)
    await expect(anna.locator("#presence")).to_have_value("away")
    await expect(anna_row).to_contain_text("отошёл")
    await anna.wait_for_timeout(2500)  # past a presence look: still away, not online
    await expect(anna_row).to_contain_text("отошёл")
