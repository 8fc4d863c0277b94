"""A reader says what the question is about (config.yml chat.topics) before the first message,
in the widget, and the conversation lands in the group chat.routes names for that topic. Links
either side writes are links on both sides: http, https and mailto, and nothing else."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from playwright.async_api import async_playwright, expect
from support.chat import (
    PASSWORD,
    ServerThread,
    add_operator_sync,
    free_port,
    make_settings,
    make_site,
)
from support.env import CHROMIUM_FLAGS, chromium_executable, require

pytestmark = pytest.mark.browser
CHAT = ("  topics:\n    - {id: invoice, title: Счета и оплата}\n"
        "    - {id: bug, title: Что-то не работает}\n"
        "  groups:\n    billing: {title: Бухгалтерия}\n"
        "  routes:\n    - {group: billing, topic: invoice}\n")


async def test_the_topic_a_reader_picks_chooses_the_group_and_links_work(
        tmp_path: Path) -> None:
    executable = chromium_executable()
    require(executable is not None, "Debian's chromium is not installed")
    port = free_port()
    site = await asyncio.to_thread(make_site, tmp_path / "project", port, CHAT)
    settings = make_settings(
        tmp_path, url=f"http://127.0.0.1:{port}", site_dir=site, languages=("ru",),
        topics=("invoice", "bug"), routes=({"group": "billing", "topic": "invoice"},),
        groups={"billing": {"title": {"*": "Бухгалтерия"}, "capacity": 5, "auto_assign": False}})
    add_operator_sync(settings, "anna@example.com", "Анна", ("billing",))
    server = await asyncio.to_thread(ServerThread(settings, port=port).start)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, headless=True,
                                                   args=CHROMIUM_FLAGS)
        try:
            reader = await (await browser.new_context(locale="ru-RU")).new_page()
            await reader.goto(f"{server.http}/ru/nds/deklaraciya/")
            await reader.click(".hc-chat-launcher")
            topic = reader.locator(".hc-chat-topic")
            await expect(topic.locator("option")).to_have_text(
                ["Тема вопроса", "Счета и оплата", "Что-то не работает"])
            await topic.select_option(label="Счета и оплата")
            await reader.fill(".hc-chat-compose textarea",
                              "Не пришёл счёт за декабрь, см. https://example.com/schet?id=7 "
                              "и javascript:alert(1)")
            await reader.click(".hc-chat-send")
            await reader.wait_for_selector(".hc-chat-mine .hc-chat-mark:text('✓')")
            await expect(topic).to_be_hidden()  # asked once, before the conversation
            operator = await (await browser.new_context(locale="ru-RU")).new_page()
            await operator.goto(f"{server.http}/operator/")
            await operator.fill("#login-email", "anna@example.com")
            await operator.fill("#login-password", PASSWORD)
            await operator.click("#login-form button[type=submit]")
            row = operator.locator(".conversation-item", has_text="Не пришёл счёт")
            await expect(row.locator(".group")).to_have_text("Бухгалтерия")
            await row.locator("button").click()
            link = operator.locator("#messages .message-body a")
            await expect(link).to_have_count(1)  # javascript: stays text
            await expect(link).to_have_attribute("href", "https://example.com/schet?id=7")
            await expect(link).to_have_attribute("rel", "noopener noreferrer nofollow")
            await operator.fill("#composer-text", "Напишите на help@example.com или "
                                "откройте https://help.example.com/ru/oplata/")
            await operator.click("#send")
            answer = reader.locator(".hc-chat-theirs .hc-chat-body a")
            await expect(answer).to_have_count(2)
            await expect(answer.first).to_have_attribute("href", "mailto:help@example.com")
            await expect(answer.last).to_have_attribute("href",
                                                        "https://help.example.com/ru/oplata/")
        finally:
            await browser.close()
            await asyncio.to_thread(server.stop)
