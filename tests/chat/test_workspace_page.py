"""The workspace on the operator page in headless chromium, over the sample help center built
for real (its saved replies and its search index): a saved reply found by a Cyrillic keyword,
a typo or the English layout and expanded with the names; an article put into a reply; tags
seen by a colleague and filtering the inbox; lasting notes and a reminder that falls due on the
colleague's screen; attributes a back end pushes appearing live; personal replies and the
team's tags in the library; and the same on a 390 px phone."""

from __future__ import annotations

import asyncio
import time
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
    make_settings,
    open_reader,
    recv,
    send,
)
from support.env import CHROMIUM_FLAGS, chromium_executable, require

from builder.pipeline import build
from chat_server import auth

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path("/tmp/workspace-shots")
TAGS = ({"name": "vip", "colour": "#7c3aed", "description": {"ru": "Важный клиент"}},
        {"name": "billing", "colour": "#d97706", "description": {"ru": "Оплата"}})


@pytest.fixture(scope="module")
def sample_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's own sample help center, built once for these tests."""
    out = tmp_path_factory.mktemp("sample") / "site"
    build(ROOT / "config.yml", out, force=True)
    return out


@dataclass
class Desk:
    server: ServerThread
    browser: Any

    async def operator(self, email: str, width: int = 1280) -> Page:
        context = await self.browser.new_context(
            locale="ru-RU", viewport={"width": width, "height": 860})
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        # Any refused request after the login is a bug of the page (before it, /me is 401).
        page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
                if r.status >= 400 and "/api/operator/me" not in r.url else None)
        page.errors = errors  # type: ignore[attr-defined]
        await page.goto(self.server.http + "/operator/")
        await page.fill("#login-email", email)
        await page.fill("#login-password", PASSWORD)
        await page.click("#login-form button[type=submit]")
        await expect(page.locator("#connection")).to_have_text("На связи", timeout=10_000)
        return page


@pytest.fixture
async def desk(tmp_path: Path, sample_site: Path) -> AsyncIterator[Desk]:
    """Анна (an admin) and Борис (an agent) of the group support."""
    executable = chromium_executable()
    require(executable is not None, "Debian's chromium is not installed")
    settings = make_settings(tmp_path, site_dir=sample_site, tags=TAGS)
    add_operator_sync(settings, "anna@example.com", "Анна", ("support",), role="admin")
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


async def reader_asks(desk: Desk, body: str, **hello: Any) -> tuple[Any, int]:
    ws, _ = await open_reader(desk.server.ws, lang="ru", **hello)
    await send(ws, "message", client_id="q-" + str(time.monotonic()), body=body)
    return ws, (await recv(ws, "ack"))["conversation"]["id"]


async def open_conversation(page: Page, conversation_id: int, view: str = "open") -> None:
    await page.click(f"[data-view='{view}']")
    await page.locator(f".conversation-item[data-id='{conversation_id}'] button").first.click()
    await expect(page.locator("#conversation-title")).to_contain_text(f"#{conversation_id}")


async def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(SHOTS / (name + ".png")), full_page=True)


def no_errors(*pages: Page) -> None:
    for page in pages:
        assert not page.errors, page.errors  # type: ignore[attr-defined]


async def test_a_cyrillic_keyword_expands_the_teams_reply_with_both_names(desk: Desk) -> None:
    anna = await desk.operator("anna@example.com")
    reader, conversation_id = await reader_asks(desk, "Можно заплатить позже?", name="Ольга")
    await open_conversation(anna, conversation_id, "unassigned")
    box = anna.locator("#composer-text")
    await box.click()
    await box.press_sequentially("Добрый день. #перен")
    suggestion = anna.locator("#reply-suggestions [data-shortcut='перенос']")
    await expect(suggestion).to_contain_text("Перенос даты оплаты")
    await shot(anna, "suggestions")
    await box.press("Enter")
    await expect(anna.locator("#reply-suggestions")).to_have_count(0)
    text = await box.input_value()
    assert text.startswith("Добрый день. Ольга, здравствуйте! Дату оплаты можно перенести")
    assert "Анна, «Бухгалтерия Онлайн»" in text and "{{" not in text and "#перен" not in text
    await anna.click("#send")
    got = await recv(reader, "message")
    assert "Ольга, здравствуйте!" in got["message"]["body"]
    assert "/ru/oplata/schet/" in got["message"]["body"]  # the article's link, resolved
    no_errors(anna)
    await reader.close()


async def test_typos_and_the_english_layout_find_the_reply_and_escape_closes(desk: Desk) -> None:
    anna = await desk.operator("anna@example.com")
    reader, conversation_id = await reader_asks(desk, "Вопрос")
    await open_conversation(anna, conversation_id, "unassigned")
    box = anna.locator("#composer-text")
    suggestions = anna.locator("#reply-suggestions")
    for typed in ("/пееренос", "#gthtyjc"):  # a letter doubled; «перенос» on the en layout
        await box.fill("")
        await box.press_sequentially(typed)
        await expect(suggestions.locator(".suggestion").first).to_have_attribute(
            "data-shortcut", "перенос")
    await box.press("Escape")
    await expect(suggestions).to_have_count(0)
    assert await box.input_value() == "#gthtyjc"  # Esc closed the list, kept the text
    await box.fill("Обычный текст без решётки")
    await expect(suggestions).to_have_count(0)
    await reader.close()


async def test_an_article_found_from_the_readers_words_goes_into_the_reply(desk: Desk) -> None:
    anna = await desk.operator("anna@example.com")
    reader, conversation_id = await reader_asks(desk, "как оплатить по счёту")
    await open_conversation(anna, conversation_id, "unassigned")
    await anna.click("#insert-article")
    await expect(anna.locator("#article-query")).to_have_value("как оплатить по счёту")
    first = anna.locator("#article-results li").first
    await expect(first).to_contain_text("счёт", ignore_case=True)
    await shot(anna, "article-panel")
    title = (await first.locator("strong").text_content()) or ""
    await first.locator("button.insert").click()
    await expect(anna.locator("#article-panel")).to_have_count(0)
    text = await anna.locator("#composer-text").input_value()
    assert text.startswith(title + " — https://help.example.com/ru/"), text
    no_errors(anna)
    await reader.close()


async def test_tags_reach_a_colleague_and_filter_the_inbox(desk: Desk) -> None:
    anna = await desk.operator("anna@example.com")
    boris = await desk.operator("boris@example.com")
    reader, tagged = await reader_asks(desk, "Счёт не пришёл", name="Ольга")
    other, untagged = await reader_asks(desk, "Другой вопрос", name="Пётр")
    await open_conversation(anna, tagged)
    # The automatic tag of a first contact is there already, drawn as automatic.
    await expect(anna.locator("#conversation-tags [data-tag='first-contact']")).to_have_class(
        "tag tag-auto")
    await anna.fill("#tag-input", "VIP")
    await anna.press("#tag-input", "Enter")
    await expect(anna.locator("#conversation-tags [data-tag='vip']")).to_be_visible()
    await boris.click("[data-view='open']")
    boris_row = boris.locator(f".conversation-item[data-id='{tagged}'] [data-tag='vip']")
    await expect(boris_row).to_be_visible()
    await boris.select_option("#tag-filter", "vip")
    await expect(boris.locator(".conversation-item")).to_have_count(1)
    await expect(boris.locator(f".conversation-item[data-id='{untagged}']")).to_have_count(0)
    await shot(boris, "tag-filter")
    await anna.click("#conversation-tags [data-tag='vip'] .tag-remove")
    await expect(boris.locator(".conversation-item")).to_have_count(0)
    await boris.select_option("#tag-filter", "")
    await expect(boris.locator(f".conversation-item[data-id='{untagged}']")).to_be_visible()
    # The change is a line of the conversation's history.
    await expect(anna.locator("#messages .action")).to_contain_text(["vip"])
    no_errors(anna, boris)
    await reader.close()
    await other.close()


async def test_a_lasting_note_and_a_reminder_that_falls_due_on_the_colleagues_screen(
        desk: Desk) -> None:
    anna = await desk.operator("anna@example.com")
    boris = await desk.operator("boris@example.com")
    reader, conversation_id = await reader_asks(desk, "Верните деньги", name="Ольга")
    await open_conversation(anna, conversation_id)
    await open_conversation(boris, conversation_id)
    await anna.fill("#customer-note", "Юрлицо, <b>сложный</b> клиент")
    await anna.click("#note-form button[type=submit]")
    for page in (anna, boris):  # the colleague's page follows, the text stays text
        await expect(page.locator("#customer-notes")).to_contain_text(
            "Юрлицо, <b>сложный</b> клиент")
    boris_id = await boris.evaluate(
        "() => fetch('/api/operator/me').then(r => r.json()).then(d => d.operator.id)")
    await anna.fill("#reminder-note", "Перезвонить про возврат")
    # Due in a few seconds: datetime-local has minutes, so the time is set through the API
    # the form posts to, with Boris as the owner picked in the form.
    await anna.select_option("#reminder-owner", str(boris_id))
    await anna.click("#reminder-add")
    await expect(boris.locator("#reminder-list")).to_contain_text("Перезвонить про возврат")
    reminder_id = int(await anna.locator("#reminder-list [data-reminder]").first.get_attribute(
        "data-reminder") or 0)
    await anna.evaluate("""async ([id]) => {
        const me = await (await fetch('/api/operator/me')).json();
        await fetch('/api/operator/reminders/' + id, {method: 'POST', body: JSON.stringify(
          {due_at: Date.now() + 2000}), headers: {'Content-Type': 'application/json',
          'X-CSRF-Token': me.csrf}});
    }""", [reminder_id])
    await boris.click("[data-tab='reminders']")
    notice = boris.locator("#notice")
    await expect(notice).to_contain_text("Пора: Ольга — Перезвонить про возврат", timeout=15_000)
    await expect(boris.locator("#due-count")).to_have_text("1")
    await expect(boris.locator("#due-reminders")).to_contain_text("Перезвонить про возврат")
    await shot(boris, "reminders-tab")
    await boris.locator("#due-reminders .done").click()
    await expect(boris.locator("#due-reminders [data-reminder]")).to_have_count(0)
    await expect(boris.locator("#due-count")).to_have_count(0)
    no_errors(anna, boris)
    await reader.close()


async def test_what_the_product_says_of_its_user_appears_while_the_conversation_is_open(
        desk: Desk) -> None:
    anna = await desk.operator("anna@example.com")
    secret = desk.server.settings.identity_secret
    reader, conversation_id = await reader_asks(
        desk, "Не вижу счёт", user_id="u-42", user_hash=auth.user_hash(secret, "u-42"),
        name="Ольга", attributes={"plan": "Start"})
    await open_conversation(anna, conversation_id, "unassigned")
    info = anna.locator("#reader-info")
    await expect(info).to_contain_text("Start")
    # The host product's back end changes the plan (a script would use a Bearer token; the
    # endpoint is the same): the open page shows it without a reload.
    status = await anna.evaluate("""async () => {
        const me = await (await fetch('/api/operator/me')).json();
        const r = await fetch('/api/operator/customers/u-42', {method: 'PUT', body: JSON.stringify(
          {attributes: {plan: 'Pro <script>', paying: true}}), headers: {'Content-Type':
          'application/json', 'X-CSRF-Token': me.csrf}});
        return r.status;
    }""")
    assert status == 200
    await expect(info).to_contain_text("Pro <script>")
    await expect(info).not_to_contain_text("Start")
    await expect(info).to_contain_text("true")
    await shot(anna, "attributes")
    no_errors(anna)
    await reader.close()


async def test_a_personal_reply_made_in_the_library_is_offered_in_the_reply_box(
        desk: Desk) -> None:
    boris = await desk.operator("boris@example.com")
    await boris.click("[data-tab='library']")
    library = boris.locator("#reply-library")
    await expect(library.locator("[data-reply='team:ru/perenos']")).to_be_visible()
    await boris.fill("#reply-shortcut", "#скидка")
    await boris.fill("#reply-title", "Скидка за год")
    await boris.fill("#reply-body", "{{reader_name}}, при оплате за год — скидка 20%.")
    await boris.click("#reply-save")
    await expect(library.locator(".reply-item.personal")).to_contain_text("Скидка за год")
    await expect(boris.locator("#reply-shortcut")).to_have_value("")
    # The same keyword again is refused with words, and what was typed stays.
    await boris.fill("#reply-shortcut", "скидка")
    await boris.fill("#reply-title", "Другая")
    await boris.fill("#reply-body", "Текст")
    await boris.click("#reply-save")
    await expect(boris.locator("#notice")).to_contain_text("уже есть шаблон")
    await expect(boris.locator("#reply-title")).to_have_value("Другая")
    # An agent sees the team's tags but cannot add one.
    await expect(boris.locator("#tag-catalog [data-tag='vip']")).to_be_visible()
    await expect(boris.locator("#tag-form")).to_have_count(0)
    await shot(boris, "library")
    reader, conversation_id = await reader_asks(desk, "Сколько стоит год?", name="Пётр")
    await boris.click("[data-tab='inbox']")
    await open_conversation(boris, conversation_id, "unassigned")
    box = boris.locator("#composer-text")
    await box.press_sequentially("#скид")
    await expect(boris.locator("#reply-suggestions .suggestion").first).to_contain_text(
        "Скидка за год")
    await box.press("Tab")
    assert await box.input_value() == "Пётр, при оплате за год — скидка 20%."
    await reader.close()


async def test_an_admin_adds_a_tag_and_a_colleague_can_use_it_at_once(desk: Desk) -> None:
    anna = await desk.operator("anna@example.com")
    boris = await desk.operator("boris@example.com")
    reader, conversation_id = await reader_asks(desk, "Договор на юрлицо")
    await open_conversation(boris, conversation_id, "unassigned")
    await anna.click("[data-tab='library']")
    await anna.fill("#new-tag-name", "юрлицо")
    await anna.fill("#new-tag-description", "Клиент — организация")
    await anna.click("#new-tag-add")
    await expect(anna.locator("#tag-catalog [data-tag='юрлицо']")).to_be_visible()
    # Boris's page hears the team's list changed: the tag is offered and filters his inbox.
    await expect(boris.locator("#tag-options option[value='юрлицо']")).to_have_count(1)
    # (Preact sets an option's value as a property: its text is what a selector sees.)
    await expect(boris.locator("#tag-filter option", has_text="юрлицо")).to_have_count(1)
    await anna.locator("#tag-catalog li", has=anna.locator("[data-tag='юрлицо']")).locator(
        "button").click()
    await expect(boris.locator("#tag-options option[value='юрлицо']")).to_have_count(0)
    no_errors(anna, boris)
    await reader.close()


async def test_the_workspace_fits_a_390_px_phone(desk: Desk) -> None:
    anna = await desk.operator("anna@example.com", width=390)
    reader, conversation_id = await reader_asks(desk, "Можно заплатить позже?", name="Ольга")
    await anna.locator(f".conversation-item[data-id='{conversation_id}'] button").click()
    await anna.fill("#tag-input", "vip")
    await anna.press("#tag-input", "Enter")
    await expect(anna.locator("#conversation-tags [data-tag='vip']")).to_be_visible()
    box = anna.locator("#composer-text")
    await box.press_sequentially("#перен")
    await expect(anna.locator("#reply-suggestions")).to_be_visible()
    await shot(anna, "phone-suggestions")
    for screen in ("conversation", "context"):
        if screen == "context":
            await box.press("Escape")
            await anna.click("#conversation .phone-only >> nth=1")
            await expect(anna.locator("#note-form")).to_be_visible()
            await shot(anna, "phone-context")
        wide = await anna.evaluate("() => document.documentElement.scrollWidth")
        assert wide <= 390, (screen, wide)
    for tab in ("reminders", "search", "library"):
        await anna.click(f"[data-tab='{tab}']")
        await expect(anna.locator(f"#tab-{tab}")).to_be_visible()
        wide = await anna.evaluate("() => document.documentElement.scrollWidth")
        assert wide <= 390, (tab, wide)
    await shot(anna, "phone-library")
    no_errors(anna)
    await reader.close()
