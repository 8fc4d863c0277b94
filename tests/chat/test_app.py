"""Live chat over a real uvicorn server: a reader and operators on websockets."""

from __future__ import annotations

from typing import Any

import pytest
from support.chat import (
    Operator,
    ServerThread,
    open_reader,
    recv,
    send,
)
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from chat_server import auth
from chat_server.protocol import Close
from chat_server.store import open_store


@pytest.fixture
async def server(start_server: Any) -> ServerThread:
    return await start_server(("anna@example.com", "Анна"), ("boris@example.com", "Борис"))


async def test_reader_and_operator_talk(server: ServerThread) -> None:
    boris = await Operator.login(server, "boris@example.com")
    op_ws = await boris.socket()
    welcome = await recv(op_ws, "welcome")
    assert welcome["operator"]["name"] == "Борис" and welcome["counts"]["open"] == 0
    reader, hello = await open_reader(server.ws, context={"page": "/ru/"})
    await send(reader, "message", client_id="m1", body="Как подать декларацию?",
               context={"page": "https://help.example.com/ru/nds/", "browser": "Firefox"})
    ack = await recv(reader, "ack")
    conversation_id = ack["conversation"]["id"]
    assert ack["client_id"] == "m1" and ack["message"]["id"] > 0
    seen = await recv(op_ws, "message")
    assert seen["message"]["body"] == "Как подать декларацию?"
    assert seen["conversation"]["context"]["browser"] == "Firefox"
    await send(op_ws, "typing", conversation_id=conversation_id, typing=True)
    typing = await recv(reader, "typing")
    assert typing["typing"] is True and typing["name"] == "Борис"
    await send(op_ws, "reply", conversation_id=conversation_id, client_id="r1",
               body="Через личный кабинет")
    reply_ack = await recv(op_ws, "ack")
    answer = await recv(reader, "message")
    assert answer["message"]["body"] == "Через личный кабинет"
    assert answer["message"]["author_name"] == "Борис"
    assert answer["message"]["id"] == reply_ack["message"]["id"]
    assert reply_ack["message"]["author_name"] == "Борис", "the replier sees their own name"
    # The reply took the unassigned conversation: the replier's page learns it from the ack.
    assert reply_ack["conversation"]["assignee_id"] == boris.me["id"]
    assert reply_ack["was"]["assignee_id"] is None
    # Whoever answers an unassigned conversation takes it.
    assert answer["conversation"]["id"] == conversation_id
    await send(reader, "read", conversation_id=conversation_id,
               message_id=answer["message"]["id"])
    read = await recv(op_ws, "read")
    assert read["side"] == "reader" and read["message_id"] == answer["message"]["id"]
    inbox = (await boris.client.get("/api/operator/inbox?view=mine")).json()
    assert [c["id"] for c in inbox["conversations"]] == [conversation_id]
    await reader.close()
    await op_ws.close()
    await boris.close()


async def test_notes_never_reach_the_reader(server: ServerThread) -> None:
    anna = await Operator.login(server, "anna@example.com")
    reader, hello = await open_reader(server.ws)
    await send(reader, "message", client_id="a", body="hi")
    conversation_id = (await recv(reader, "ack"))["conversation"]["id"]
    note = await anna.post(f"/api/operator/conversations/{conversation_id}/note",
                           body="SECRET: a difficult customer", client_id="n1")
    assert note.status_code == 201
    reply = await anna.post(f"/api/operator/conversations/{conversation_id}/reply",
                            body="Hello!", client_id="r1")
    assert reply.status_code == 201
    got = await recv(reader, "message")
    assert got["message"]["body"] == "Hello!"
    await send(reader, "resume", conversation_id=conversation_id, after_id=0)
    history = await recv(reader, "history")
    assert [m["body"] for m in history["messages"]] == ["hi", "Hello!"]
    detail = (await anna.client.get(f"/api/operator/conversations/{conversation_id}")).json()
    assert [m["body"] for m in detail["messages"]] == [
        "hi", "SECRET: a difficult customer", "Hello!"]
    assert detail["messages"][1]["internal"] is True
    await reader.close()
    await anna.close()


async def test_resend_is_idempotent_and_resume_after_reconnect(server: ServerThread) -> None:
    reader, hello = await open_reader(server.ws)
    token = hello["token"]
    await send(reader, "message", client_id="same", body="first")
    first = await recv(reader, "ack")
    await send(reader, "message", client_id="same", body="first")  # a resend after no ack
    second = await recv(reader, "ack")
    assert first["message"]["id"] == second["message"]["id"]
    conversation_id = first["conversation"]["id"]
    for n in range(3):
        await send(reader, "message", client_id=f"n{n}", body=f"more {n}",
                   conversation_id=conversation_id)
        await recv(reader, "ack")
    await reader.close()
    again, welcome = await open_reader(server.ws, token=token)
    assert welcome["reader_id"] == hello["reader_id"]
    assert [c["id"] for c in welcome["conversations"]] == [conversation_id]
    await send(again, "resume", conversation_id=conversation_id,
               after_id=first["message"]["id"])
    history = await recv(again, "history")
    assert [m["body"] for m in history["messages"]] == ["more 0", "more 1", "more 2"]
    await again.close()


async def test_a_reader_cannot_touch_another_readers_conversation(server: ServerThread) -> None:
    alice, _ = await open_reader(server.ws)
    await send(alice, "message", client_id="a", body="private")
    conversation_id = (await recv(alice, "ack"))["conversation"]["id"]
    mallory, _ = await open_reader(server.ws)
    for type_, fields in (("resume", {"after_id": 0}), ("typing", {"typing": True}),
                          ("read", {"message_id": 1}), ("email", {"email": "m@evil.example"}),
                          ("message", {"client_id": "x", "body": "hi"})):
        await send(mallory, type_, conversation_id=conversation_id, **fields)
        error = await recv(mallory, "error")
        assert error["code"] == "not_found"
    # A forged token is just a new reader, not Alice.
    forged, welcome = await open_reader(server.ws, token="v_forged.signature")
    assert welcome["conversations"] == []
    await alice.close()
    await mallory.close()
    await forged.close()


async def test_identity_verification(server: ServerThread) -> None:
    secret = server.settings.identity_secret
    good = auth.user_hash(secret, "user-42")
    ws, welcome = await open_reader(server.ws, user_id="user-42", user_hash=good,
                                name="Ирина", email="irina@example.com",
                                attributes={"plan": "pro", "nested": {"no": 1}})
    assert welcome["verified"] is True and welcome["name"] == "Ирина"
    await ws.close()
    other_browser, again = await open_reader(server.ws, user_id="user-42", user_hash=good)
    assert again["reader_id"] == welcome["reader_id"]
    await other_browser.close()
    bad = await connect(server.ws + "/ws/reader")
    await send(bad, "hello", user_id="user-42", user_hash="0" * 64)
    with pytest.raises(ConnectionClosed) as info:
        await recv(bad)
    assert info.value.rcvd is not None and info.value.rcvd.code == Close.UNAUTHORIZED
    # The logged-in user's token does not open their conversations without the hash.
    anonymous, plain = await open_reader(server.ws, token=welcome["token"])
    assert plain["reader_id"] != welcome["reader_id"]
    await anonymous.close()


async def test_operator_actions_reach_everyone(server: ServerThread) -> None:
    anna = await Operator.login(server, "anna@example.com")
    boris = await Operator.login(server, "boris@example.com")
    anna_ws, boris_ws = await anna.socket(), await boris.socket()
    await recv(anna_ws, "welcome")
    await recv(boris_ws, "welcome")
    reader, _ = await open_reader(server.ws)
    await send(reader, "message", client_id="a", body="help")
    conversation_id = (await recv(reader, "ack"))["conversation"]["id"]
    new = await recv(anna_ws, "message")
    assert new["was"] is None, "a new conversation was in no list before"
    await send(anna_ws, "assign", conversation_id=conversation_id,
               operator_id=boris.me["id"])
    change = await recv(boris_ws, "conversation")
    assert change["conversation"]["assignee_id"] == boris.me["id"]
    assert change["was"]["assignee_id"] is None  # so Boris's page moves it to "mine"
    assert (await recv(reader, "conversation"))["conversation"]["status"] == "open"
    await send(boris_ws, "close", conversation_id=conversation_id)
    assert (await recv(reader, "conversation"))["conversation"]["status"] == "closed"
    await send(reader, "message", client_id="b", body="one more thing",
               conversation_id=conversation_id)
    ack = await recv(reader, "ack")
    assert ack["conversation"]["status"] == "open"  # writing again reopens
    assert "was" not in ack, "what operators know of the inbox is not the reader's"
    for ws in (anna_ws, boris_ws):
        reopened = await recv(ws, "message")
        assert reopened["conversation"]["status"] == "open"
        assert reopened["was"]["status"] == "closed"
    await send(anna_ws, "open", conversation_id=conversation_id, after_id=0)
    history = await recv(anna_ws, "history")
    assert [m["body"] for m in history["messages"]] == ["help", "one more thing"]
    for ws in (anna_ws, boris_ws, reader):
        await ws.close()
    await anna.close()
    await boris.close()


async def test_presence_drives_availability(server: ServerThread) -> None:
    reader, welcome = await open_reader(server.ws)
    assert welcome["availability"]["live"] is False
    assert welcome["availability"]["operators_online"] == 0
    anna = await Operator.login(server, "anna@example.com")
    anna_ws = await anna.socket()
    await recv(anna_ws, "welcome")
    await send(anna_ws, "presence", status="online")
    availability = await recv(reader, "availability")
    assert availability["live"] is True and availability["operators_online"] == 1
    assert availability["reply_minutes"] == 15
    await send(anna_ws, "presence", status="away")
    assert (await recv(reader, "availability"))["live"] is False
    await reader.close()
    await anna_ws.close()
    await anna.close()


async def test_every_acknowledged_message_is_committed(server: ServerThread) -> None:
    reader, _ = await open_reader(server.ws)
    ids = []
    conversation_id = None
    for n in range(20):
        await send(reader, "message", client_id=f"c{n}", body=f"m{n}",
                   conversation_id=conversation_id)
        ack = await recv(reader, "ack")
        conversation_id = ack["conversation"]["id"]
        ids.append(ack["message"]["id"])
    # Read back through a separate connection pool: acked means on disk.
    store = open_store(server.settings.database)
    try:
        stored = await store.messages_after(conversation_id, 0)
    finally:
        await store.close()
    assert [m["id"] for m in stored] == ids
    await reader.close()
