"""Teamwork on a real store (SQLite, and PostgreSQL here and in CI): routing rules choose the
group, round-robin respects capacity and the queue moves when room frees, transfers carry a
note to their receiver and nothing to the reader, snoozes wake by time or by the reader, and
each conversation keeps the history of who did what."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from support.chat import make_settings

from chat_server import events, routing
from chat_server.articles import Articles
from chat_server.broker import MemoryBroker, Subscriber
from chat_server.conversations import Chat
from chat_server.mail.mailer import Mailer
from chat_server.store import Record, Store

GROUPS = {
    "support": {"title": {"*": "Поддержка"}, "capacity": 1, "auto_assign": True},
    "billing": {"title": {"*": "Счета"}, "capacity": 5, "auto_assign": False},
}
ROUTES = (
    {"group": "billing", "path": "/ru/oplata/"},
    {"group": "billing", "topic": "invoice"},
    {"group": "support", "lang": "en"},
)


@pytest.fixture
async def chat(store: Store, tmp_path: Path) -> AsyncIterator[Chat]:
    settings = replace(make_settings(tmp_path), groups=GROUPS, routes=ROUTES,
                       default_group="support", topics=("invoice", "bug"))
    yield Chat(settings, store, MemoryBroker(), Mailer("", ""), Articles.load(None))


async def online(chat: Chat, email: str, name: str, groups: tuple[str, ...]) -> Record:
    """An operator who chose online and has the page open (a socket's lease, presence.py)."""
    operator = await chat.store.add_operator(email, name, "hash", groups)
    await chat.store.update_operator(operator["id"], status="online")
    now = int(time.time() * 1000)
    await chat.store.add_session(f"session-{email}", operator["id"], now + 3_600_000)
    await chat.store.renew_socket(f"page-{email}", f"session-{email}", now + 60_000, now)
    return await chat.store.get_operator(operator["id"]) or operator


async def ask(chat: Chat, reader_id: str, body: str, **data: Any) -> Record:
    reader = await chat.store.ensure_reader(reader_id)
    conversation, _, _ = await chat.reader_message(
        reader, {"client_id": "c-" + body[:10], "body": body, **data})
    return conversation


def listen(chat: Chat, channel: str) -> Subscriber:
    subscriber = chat.broker.subscriber()
    subscriber.add(channel)
    return subscriber


async def heard(subscriber: Subscriber) -> list[dict[str, Any]]:
    """Everything published to the subscriber so far."""
    got = []
    while True:
        try:
            got.append(await asyncio.wait_for(subscriber.get(), 0.05))
        except TimeoutError:
            return got


def test_the_first_matching_rule_chooses_the_group() -> None:
    def group(**request: str) -> str:
        return routing.choose_group(ROUTES, "support", routing.Request(**request))

    assert group(lang="ru", path="/ru/oplata/karty/") == "billing"
    assert group(lang="ru", path="/ru/nds/", topic="invoice") == "billing"
    assert group(lang="en", path="/en/nds/") == "support"
    assert group(lang="ru", path="/ru/nds/") == "support"  # no rule: the default group
    assert routing.page_path("https://help.example.com/ru/oplata/?q=1#x") == "/ru/oplata/"


async def test_a_conversation_goes_to_the_group_its_page_names(chat: Chat) -> None:
    paid = await ask(chat, "r1", "Счёт не пришёл",
                     context={"page": "https://help.example.com/ru/oplata/schet/"})
    assert paid["group_name"] == "billing" and paid["assignee_id"] is None  # billing waits
    picked = await ask(chat, "r2", "Нужен акт", topic="invoice", lang="ru")
    assert picked["group_name"] == "billing"
    made_up = await ask(chat, "r3", "Взлом", topic="<script>", lang="ru")
    assert made_up["group_name"] == "support", "a topic not in chat.topics routes nowhere"


async def test_round_robin_respects_capacity_and_the_queue_moves(chat: Chat) -> None:
    anna = await online(chat, "anna@example.com", "Анна", ("support",))
    boris = await online(chat, "boris@example.com", "Борис", ("support",))
    await online(chat, "vera@example.com", "Вера", ("billing",))  # not of this group
    first = await ask(chat, "r1", "Первый")
    second = await ask(chat, "r2", "Второй")
    third = await ask(chat, "r3", "Третий")
    assert {first["assignee_id"], second["assignee_id"]} == {anna["id"], boris["id"]}
    assert third["assignee_id"] is None, "capacity 1 each: the third waits in the queue"
    assert [c["id"] for c in await chat.store.queue("support")] == [third["id"]]
    # Anna closes hers: her place goes to the one waiting longest.
    anna_has = first if first["assignee_id"] == anna["id"] else second
    await chat.set_status(anna_has["id"], "closed", anna)
    moved = await chat.store.get_conversation(third["id"])
    assert moved is not None and moved["assignee_id"] == anna["id"]
    history = await chat.store.actions(third["id"])
    assert [(a["kind"], a["actor_id"], a["details"]) for a in history] == [
        ("assigned", None, {"to": anna["id"], "how": "round_robin"})]


async def test_an_operator_away_gets_nothing_and_coming_online_drains_the_queue(
        chat: Chat) -> None:
    anna = await online(chat, "anna@example.com", "Анна", ("support",))
    await chat.store.update_operator(anna["id"], status="away")
    waiting = await ask(chat, "r1", "Есть кто?")
    assert waiting["assignee_id"] is None
    await chat.store.update_operator(anna["id"], status="online")
    await chat.team.drain_for(await chat.store.get_operator(anna["id"]) or anna)
    taken = await chat.store.get_conversation(waiting["id"])
    assert taken is not None and taken["assignee_id"] == anna["id"]


async def test_a_transfer_notes_the_receiver_and_tells_the_reader_nothing(chat: Chat) -> None:
    anna = await online(chat, "anna@example.com", "Анна", ("billing",))
    boris = await online(chat, "boris@example.com", "Борис", ("billing",))
    conversation = await ask(chat, "r1", "Вопрос", topic="invoice")
    await chat.assign(conversation["id"], anna["id"], anna)
    operators, reader = listen(chat, events.OPERATORS), listen(chat, events.reader_channel("r1"))
    moved = await chat.transfer(conversation["id"], anna, boris["id"], "", "Клиент про акт")
    assert moved["assignee_id"] == boris["id"] and moved["group_name"] == "billing"
    said = await heard(operators)
    [change] = [e for e in said if e["kind"] == "conversation"]
    assert change["was"]["assignee_id"] == anna["id"]
    [action] = [e["action"] for e in said if e["kind"] == "action"]
    assert action["kind"] == "transferred" and action["actor_id"] == anna["id"]
    assert action["details"] == {"to": boris["id"], "group": "billing", "note": "Клиент про акт"}
    assert await heard(reader) == [], "the reader sees no internal move"
    # To a group: into its queue (billing assigns by hand), its old assignee's place freed.
    queued = await chat.transfer(conversation["id"], boris, None, "support", "")
    assert queued["group_name"] == "support" and queued["assignee_id"] is None


async def test_a_snooze_wakes_when_the_reader_writes_or_its_time_comes(chat: Chat) -> None:
    anna = await online(chat, "anna@example.com", "Анна", ("billing",))
    conversation = await ask(chat, "r1", "Вопрос", topic="invoice")
    await chat.snooze(conversation["id"], anna, None)
    assert (await chat.store.inbox_counts(anna["id"]))["snoozed"] == 1
    reader = await chat.store.get_reader("r1")
    assert reader is not None
    again, _, _ = await chat.reader_message(
        reader, {"client_id": "more", "body": "Ещё вопрос", "conversation_id": conversation["id"]})
    assert again["status"] == "open"
    await chat.snooze(conversation["id"], anna, 30)
    assert await chat.team.wake_due() == 0, "not yet"
    await chat.store.update_conversation(conversation["id"],
                                         snoozed_until=int(time.time() * 1000) - 1)
    assert await chat.team.wake_due() == 1
    assert await chat.team.wake_due() == 0, "woken once"
    kinds = [(a["kind"], a["details"].get("why")) for a in await chat.store.actions(
        conversation["id"])]
    assert kinds == [("snoozed", None), ("woke", "reader"), ("snoozed", None),
                     ("woke", "timer")]


async def test_unknown_receivers_are_refused(chat: Chat) -> None:
    from chat_server.conversations import NotFound

    anna = await online(chat, "anna@example.com", "Анна", ("billing",))
    conversation = await ask(chat, "r1", "Вопрос", topic="invoice")
    with pytest.raises(NotFound):
        await chat.transfer(conversation["id"], anna, None, "no-such-group", "")
    with pytest.raises(NotFound):
        await chat.transfer(conversation["id"], anna, 99999, "", "")


async def test_capacity_holds_when_claims_race(store: Store) -> None:
    """Ten claims for one operator at once, each for another conversation, capacity 2: on
    PostgreSQL they run on separate connections, and still only two succeed."""
    anna = await store.add_operator("anna@example.com", "Анна", "hash", ("support",))
    waiting = []
    for n in range(10):
        await store.ensure_reader(f"race{n}")
        conversation, _, _ = await store.start_conversation(f"race{n}", "c", "вопрос")
        waiting.append(conversation["id"])
    claimed = await asyncio.gather(*(store.claim(cid, anna["id"], 2) for cid in waiting))
    assert sum(c is not None for c in claimed) == 2
    assert (await store.open_assigned([anna["id"]]))[anna["id"]] == 2
