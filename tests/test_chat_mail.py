"""Offline replies by email through a real SMTP server (aiosmtpd), and business hours."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from chat_helpers import (
    Inbox,
    Operator,
    ServerThread,
    add_operator_sync,
    free_port,
    make_settings,
    recv,
    send,
    visitor,
)

from chat_server.hours import BusinessHours
from chat_server.mailer import Mailer, SmtpServer


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


async def test_a_reply_to_an_absent_reader_goes_by_email(
    tmp_path: Path, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    settings = make_settings(tmp_path, smtp_url=f"smtp://127.0.0.1:{port}",
                             email_from="help@example.com", title="Справка")
    add_operator_sync(settings, "anna@example.com", "Анна")
    server = await asyncio.to_thread(ServerThread(settings).start)
    try:
        anna = await Operator.login(server, "anna@example.com")
        reader, _ = await visitor(server.ws)
        await send(reader, "message", client_id="a", body="Вопрос ночью",
                   context={"page": "https://help.example.com/ru/nds/"})
        conversation_id = (await recv(reader, "ack"))["conversation"]["id"]
        await send(reader, "email", conversation_id=conversation_id, email="not-an-email")
        assert (await recv(reader, "error"))["code"] == "bad_email"
        await send(reader, "email", conversation_id=conversation_id, email="reader@example.com")
        assert (await recv(reader, "conversation"))["conversation"]["email"] == (
            "reader@example.com")
        # While the widget is open the reply goes there only.
        await anna.post(f"/api/operator/conversations/{conversation_id}/reply",
                        body="Пока вы здесь", client_id="r0")
        await recv(reader, "message")
        await reader.close()
        await asyncio.sleep(0.3)  # the server notices the widget closed
        await anna.post(f"/api/operator/conversations/{conversation_id}/reply",
                        body="Ответ по почте", client_id="r1")
        for _ in range(100):
            if inbox.messages:
                break
            await asyncio.sleep(0.05)
        [(rcpt, message)] = inbox.messages
        assert rcpt == ["reader@example.com"]
        assert message["Subject"] == "Справка: Анна"
        body = message.get_content()
        assert "Ответ по почте" in body and "Пока вы здесь" not in body
        link = re.search(r"https://help\.example\.com/ru/nds/#chat=([\w.-]+)", body)
        assert link is not None
        # The link opens the conversation in another browser (no stored token there).
        elsewhere, welcome = await visitor(server.ws, link=link.group(1))
        assert [c["id"] for c in welcome["conversations"]] == [conversation_id]
        await elsewhere.close()
        forged, other = await visitor(server.ws, link=link.group(1)[:-2] + "xx")
        assert other["conversations"] == []
        await forged.close()
        await anna.close()
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
