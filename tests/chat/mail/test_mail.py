"""Offline replies by email through a real SMTP server (aiosmtpd), and business hours."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from support.chat import (
    Inbox,
    Operator,
    ServerThread,
    add_operator_sync,
    free_port,
    make_settings,
    open_reader,
    recv,
    send,
)

from chat_server.hours import BusinessHours
from chat_server.mail.mailer import Mailer, SmtpServer


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


async def test_mailer_sends_utf8_mail(smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    mailer = Mailer(f"smtp://127.0.0.1:{port}", "help@example.com")
    assert await mailer.send("reader@example.com", "Ответ", "Здравствуйте!\nГотово.")
    [(rcpt, message)] = inbox.messages
    assert rcpt == ["reader@example.com"] and message["Subject"] == "Ответ"
    assert "Здравствуйте!" in message.get_content()
    dead = Mailer(f"smtp://127.0.0.1:{free_port()}", "help@example.com")
    assert await dead.send("reader@example.com", "x", "y") is False  # logged, not raised


def test_smtp_url_parsing() -> None:
    server = SmtpServer.from_url("smtps://bot%40x.ru:p%3Ass@mail.x.ru")
    assert (server.host, server.port, server.username, server.password, server.use_tls) == (
        "mail.x.ru", 465, "bot@x.ru", "p:ss", True)
    assert SmtpServer.from_url("smtp://h:2525?starttls=1").start_tls is True
    with pytest.raises(ValueError):
        SmtpServer.from_url("http://h")


async def mail(inbox: Inbox, count: int) -> list[Any]:
    """The first `count` mails the SMTP server received (waiting up to 5 s for them)."""
    for _ in range(100):
        if len(inbox.messages) >= count:
            break
        await asyncio.sleep(0.05)
    assert len(inbox.messages) >= count, f"{len(inbox.messages)} mails, expected {count}"
    return inbox.messages[:count]


@pytest.fixture
async def mailing(tmp_path: Path, smtp: tuple[Inbox, int]) -> AsyncIterator[Any]:
    """Start a sidecar that mails through the test SMTP server: `await mailing(**settings)`."""
    _inbox, smtp_port = smtp
    servers: list[ServerThread] = []

    async def start(**changes: Any) -> ServerThread:
        port, data_dir = free_port(), tmp_path / str(len(servers))
        data_dir.mkdir()
        settings = make_settings(data_dir, url=f"http://127.0.0.1:{port}",
                                 smtp_url=f"smtp://127.0.0.1:{smtp_port}",
                                 email_from="help@example.com", title="Справка")
        settings = replace(settings, **changes)
        add_operator_sync(settings, "anna@example.com", "Анна")
        server = await asyncio.to_thread(ServerThread(settings, port=port).start)
        servers.append(server)
        return server

    yield start
    for server in servers:
        await asyncio.to_thread(server.stop)


async def start_conversation(server: ServerThread, page: str) -> tuple[Any, int, str]:
    reader, welcome = await open_reader(server.ws, lang="ru")
    await send(reader, "message", client_id="a", body="Вопрос ночью", context={"page": page})
    return reader, (await recv(reader, "ack"))["conversation"]["id"], welcome["token"]


def confirmation_link(message: Any, server: ServerThread) -> str:
    found = re.search(r"(\S+/api/email/confirm\?t=[\w.-]+)", message.get_content())
    assert found is not None, message.get_content()
    assert found.group(1).startswith(server.settings.url + "/"), "from settings, not a page"
    return found.group(1)


async def reply_while_away(server: ServerThread, reader: Any, conversation_id: int,
                           body: str) -> None:
    await reader.close()
    await asyncio.sleep(0.3)  # the server notices the widget closed
    anna = await Operator.login(server, "anna@example.com")
    try:
        response = await anna.post(f"/api/operator/conversations/{conversation_id}/reply",
                                   body=body, client_id=body[:20])
        assert response.status_code == 201
        await asyncio.sleep(0.5)  # a mail to the SMTP server next door takes milliseconds
    finally:
        await anna.close()


async def test_replies_go_only_to_a_confirmed_address_with_links_from_settings(
    mailing: Any, smtp: tuple[Inbox, int]
) -> None:
    inbox, _port = smtp
    server = await mailing()
    # The page the widget reports is whatever the reader's browser (or a script) says.
    evil = "https://evil.example/login?next=1#chat=x"
    reader, conversation_id, _token = await start_conversation(server, evil)
    await send(reader, "email", conversation_id=conversation_id, email="not-an-email")
    assert (await recv(reader, "error"))["code"] == "bad_email"
    await send(reader, "email", conversation_id=conversation_id, email="reader@example.com")
    pending = await recv(reader, "email_pending")
    assert pending == {"type": "email_pending", "conversation_id": conversation_id,
                       "email": "reader@example.com"}
    [(rcpt, confirm_mail)] = await mail(inbox, 1)
    assert rcpt == ["reader@example.com"] and "подтвердите" in confirm_mail["Subject"]
    link = confirmation_link(confirm_mail, server)
    # Not confirmed yet: the operator's reply stays in the chat.
    await reply_while_away(server, reader, conversation_id, "До подтверждения")
    assert len(inbox.messages) == 1
    # The reader opens the link (any browser: the link is the proof); an open widget hears.
    reader, _ = await open_reader(server.ws, token=_token)
    async with httpx.AsyncClient() as client:
        page = await client.get(link)
        assert page.status_code == 200 and "reader@example.com" in page.text
        assert "default-src 'none'" in page.headers["content-security-policy"]
    changed = await recv(reader, "conversation")
    assert changed["conversation"]["email"] == "reader@example.com"
    await reply_while_away(server, reader, conversation_id, "Ответ по почте")
    [_confirm, (rcpt, reply)] = await mail(inbox, 2)
    assert rcpt == ["reader@example.com"] and reply["Subject"] == "Справка: Анна"
    body = reply.get_content()
    assert "Ответ по почте" in body and "До подтверждения" not in body
    assert "evil.example" not in body
    back = re.search(r"https://help\.example\.com/#chat=([\w.-]+)", body)
    assert back is not None, body
    # The link opens the conversation in another browser (no stored token there).
    elsewhere, welcome = await open_reader(server.ws, link=back.group(1))
    assert [c["id"] for c in welcome["conversations"]] == [conversation_id]
    await elsewhere.close()
    forged, other = await open_reader(server.ws, link=back.group(1)[:-2] + "xx")
    assert other["conversations"] == []
    await forged.close()


async def test_the_link_back_keeps_a_help_center_page_and_needs_a_base_url(
    mailing: Any, smtp: tuple[Inbox, int]
) -> None:
    inbox, _port = smtp
    for base_url, page, expected in (
        ("https://help.example.com/", "https://help.example.com/ru/nds/?q=x",
         "https://help.example.com/ru/nds/#chat="),
        ("", "https://help.example.com/ru/nds/", None),
    ):
        inbox.messages.clear()
        server = await mailing(site_base_url=base_url)
        reader, conversation_id, _token = await start_conversation(server, page)
        await send(reader, "email", conversation_id=conversation_id, email="r@example.com")
        await recv(reader, "email_pending")
        [(_rcpt, confirm_mail)] = await mail(inbox, 1)
        async with httpx.AsyncClient() as client:
            assert (await client.get(confirmation_link(confirm_mail, server))).status_code == 200
        await reply_while_away(server, reader, conversation_id, "Ответ")
        [_confirm, (_rcpt, reply)] = await mail(inbox, 2)
        body = reply.get_content()
        if expected is None:
            assert "#chat=" not in body and "http" not in body, body
        else:
            assert expected in body, body
        await asyncio.to_thread(server.stop)


async def test_a_confirmed_address_needs_no_second_mail(
    mailing: Any, smtp: tuple[Inbox, int]
) -> None:
    inbox, _port = smtp
    server = await mailing()
    reader, first_id, _token = await start_conversation(server, "https://help.example.com/")
    await send(reader, "email", conversation_id=first_id, email="r@example.com")
    await recv(reader, "email_pending")
    [(_rcpt, confirm_mail)] = await mail(inbox, 1)
    async with httpx.AsyncClient() as client:
        link = confirmation_link(confirm_mail, server)
        assert (await client.get(link)).status_code == 200
        again = await client.get(link, headers={"Accept": "application/json"})
        assert again.status_code == 200 and again.json() == {"email": "r@example.com"}
        broken = await client.get(link[:-3] + "abc", headers={"Accept": "application/json"})
        assert broken.status_code == 400 and broken.json() == {"error": "bad_link"}
        assert (await client.get(link[:-3] + "abc")).status_code == 400  # a page for people
    await recv(reader, "conversation")
    # A new conversation: the reader gives the address they confirmed, which is used at once.
    await send(reader, "message", client_id="c", body="Новый разговор", conversation_id=None)
    second_id = (await recv(reader, "ack"))["conversation"]["id"]
    assert second_id != first_id
    await send(reader, "email", conversation_id=second_id, email="r@example.com")
    changed = (await recv(reader, "conversation"))["conversation"]
    assert (changed["id"], changed["email"]) == (second_id, "r@example.com")
    assert len(inbox.messages) == 1
    await reader.close()


async def test_confirmation_mails_are_limited_per_reader_and_per_address(
    mailing: Any, smtp: tuple[Inbox, int]
) -> None:
    inbox, _port = smtp
    server = await mailing()
    reader, conversation_id, _token = await start_conversation(server, "https://help.example.com/")
    answers = []
    for n in range(4):
        await send(reader, "email", conversation_id=conversation_id, email=f"r{n}@example.com")
        frame = await recv(reader)
        while frame["type"] not in ("email_pending", "error"):
            frame = await recv(reader)
        answers.append(frame.get("code", frame["type"]))
    assert answers == ["email_pending"] * 3 + ["rate_limited"]
    await reader.close()
    # Other readers (a script opening new ones) may not flood one mailbox either.
    codes = []
    for _ in range(4):
        other, other_id, _ = await start_conversation(server, "https://help.example.com/")
        await send(other, "email", conversation_id=other_id, email="victim@example.com")
        frame = await recv(other)
        while frame["type"] not in ("email_pending", "error"):
            frame = await recv(other)
        codes.append(frame.get("code", frame["type"]))
        await other.close()
    assert codes == ["email_pending"] * 3 + ["rate_limited"]
    await asyncio.sleep(0.5)
    assert len(await mail(inbox, 6)) == 6 and len(inbox.messages) == 6


async def test_without_mail_an_address_is_refused(tmp_path: Path) -> None:
    server = await asyncio.to_thread(ServerThread(make_settings(tmp_path)).start)
    try:
        reader, conversation_id, _ = await start_conversation(server, "https://help.example.com/")
        await send(reader, "email", conversation_id=conversation_id, email="r@example.com")
        assert (await recv(reader, "error"))["code"] == "email_unavailable"
        await reader.close()
    finally:
        await asyncio.to_thread(server.stop)


MSK = BusinessHours("Europe/Moscow", "10:00", "20:00", (1, 2, 3, 4, 5), ("01-01", "01-02",
                                                                          "2027-03-08"))


@pytest.mark.parametrize(("utc", "is_open", "back"), [
    ("2026-11-23T07:00:00", True, None),  # Monday 10:00 MSK
    ("2026-11-23T06:59:00", False, "2026-11-23T10:00:00+03:00"),
    ("2026-11-23T17:00:00", False, "2026-11-24T10:00:00+03:00"),  # 20:00 MSK: closed
    ("2026-11-28T09:00:00", False, "2026-11-30T10:00:00+03:00"),  # Saturday
    ("2026-12-31T18:00:00", False, "2027-01-04T10:00:00+03:00"),  # 1-2 Jan, then weekend
    ("2027-03-07T12:00:00", False, "2027-03-09T10:00:00+03:00"),  # Sunday, then 8 March
])
def test_business_hours(utc: str, is_open: bool, back: str | None) -> None:
    now = datetime.fromisoformat(utc).replace(tzinfo=UTC)
    assert MSK.is_open(now) is is_open
    if back:
        assert MSK.next_open(now).isoformat() == back
