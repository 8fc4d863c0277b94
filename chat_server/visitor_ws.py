"""`/ws/visitor`: the reader's widget. The first frame is `hello`; see docs/protocol.md."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from starlette.websockets import WebSocket

from chat_server import auth, limits
from chat_server.attachment_urls import decorate
from chat_server.client_address import client_address
from chat_server.conversations import EMAIL, Chat, NotFound, public_conversation, public_message
from chat_server.protocol import VISITOR_IN, Close, ProtocolError, conversation_frame, frame
from chat_server.sockets import Connection, Send, origin_allowed
from chat_server.store import Record

HELLO_TIMEOUT = 15.0


async def visitor_socket(websocket: WebSocket) -> None:
    app = websocket.app
    chat: Chat = app.state.chat
    connection = Connection(websocket)
    # Accept first so that a refusal carries a named close code the widget can act on.
    await websocket.accept()
    if not origin_allowed(websocket, chat.settings.origins):
        await connection.close(Close.FORBIDDEN_ORIGIN, "origin not allowed")
        return
    client = client_address(websocket)
    if not await app.state.limits.allow(limits.CONNECT, client):
        await connection.close(Close.RATE_LIMITED, "too many connections")
        return
    try:
        hello = await asyncio.wait_for(connection.receive(VISITOR_IN), HELLO_TIMEOUT)
        if hello is None:
            return
        if hello["type"] != "hello":
            raise ProtocolError(Close.HELLO_REQUIRED, "the first frame must be hello")
        visitor, verified = await _identify(chat, app.state.signer, hello)
    except ProtocolError as exc:
        await connection.close(exc.code, exc.reason)
        return
    except TimeoutError:
        await connection.close(Close.HELLO_REQUIRED, "no hello")
        return
    session = VisitorSession(chat, visitor)
    subscriber = chat.broker.subscriber(origin=session.id)
    subscriber.add(f"visitor:{visitor['id']}")
    subscriber.add("visitors")
    chat.visitor_sockets[visitor["id"]] += 1
    try:
        conversations = await chat.store.visitor_conversations(visitor["id"])
        await connection.send(frame(
            "welcome", token=app.state.signer.visitor_token(visitor["id"]),
            visitor_id=visitor["id"], verified=verified, name=visitor["name"],
            email=visitor["email"], availability=await chat.availability(),
            conversations=[public_conversation(c) for c in conversations]))
        await connection.run(VISITOR_IN, session.handle, subscriber, session.translate)
    finally:
        chat.visitor_sockets[visitor["id"]] -= 1
        if chat.visitor_sockets[visitor["id"]] <= 0:
            del chat.visitor_sockets[visitor["id"]]


async def _identify(chat: Chat, signer: auth.Signer, hello: dict[str, Any]) -> tuple[Record,
                                                                                     bool]:
    store, settings = chat.store, chat.settings
    user_id = hello.get("user_id")
    if user_id:
        if not auth.verify_user_hash(settings.identity_secret, user_id,
                                     hello.get("user_hash", "")):
            raise ProtocolError(Close.UNAUTHORIZED, "user_hash does not match user_id")
        visitor = await store.visitor_for_user(user_id, auth.new_visitor_id())
    elif settings.identity_required:
        raise ProtocolError(Close.UNAUTHORIZED, "identity required")
    else:
        # A link from an email reply names the reader it was sent to; else the stored token.
        visitor_id = signer.reader_from_link(hello.get("link")) or signer.visitor_id(
            hello.get("token"))
        known = await store.get_visitor(visitor_id) if visitor_id else None
        if known is not None and known["user_id"]:
            # A logged-in user's conversations never open for an anonymous token.
            visitor_id = None
        visitor = await store.ensure_visitor(visitor_id or auth.new_visitor_id())
    changes: dict[str, Any] = {}
    if isinstance(hello.get("name"), str) and hello["name"].strip():
        changes["name"] = hello["name"].strip()
    if isinstance(hello.get("email"), str) and EMAIL.match(hello["email"].strip()):
        changes["email"] = hello["email"].strip()
    if user_id and isinstance(hello.get("attributes"), dict):
        changes["attributes"] = _clean_attributes(hello["attributes"])
    if isinstance(hello.get("context"), dict):
        changes["context"] = {k: str(v)[:500] for k, v in list(hello["context"].items())[:20]
                              if isinstance(v, str | int | float)}
    if changes:
        await store.update_visitor(visitor["id"], **changes)
        visitor = await store.get_visitor(visitor["id"]) or visitor
    return visitor, bool(user_id)


def _clean_attributes(attributes: dict[str, Any]) -> dict[str, Any]:
    """A host product's user attributes: at most 50 short scalar values."""
    clean: dict[str, Any] = {}
    for key, value in list(attributes.items())[:50]:
        if isinstance(value, bool | int | float):
            clean[str(key)[:64]] = value
        elif isinstance(value, str):
            clean[str(key)[:64]] = value[:500]
    return clean


class VisitorSession:
    def __init__(self, chat: Chat, visitor: Record) -> None:
        self.chat = chat
        self.visitor = visitor
        self.id = uuid.uuid4().hex  # events this socket caused come back as acks, not echoes
        self.owned: set[int] = set()  # conversation ids proved to be this reader's

    async def handle(self, data: dict[str, Any], send: Send) -> None:
        try:
            await getattr(self, "on_" + data["type"])(data, send)
        except NotFound:
            await send(frame("error", code="not_found", client_id=data.get("client_id"),
                             conversation_id=data.get("conversation_id")))

    async def on_hello(self, data: dict[str, Any], send: Send) -> None:
        raise ProtocolError(Close.MALFORMED, "hello was already sent")

    async def on_ping(self, data: dict[str, Any], send: Send) -> None:
        await send(frame("pong"))

    async def on_message(self, data: dict[str, Any], send: Send) -> None:
        if not data["body"].strip():
            await send(frame("error", code="empty", client_id=data["client_id"]))
            return
        conversation, message, _created = await self.chat.visitor_message(
            self.visitor, data, self.id, self.owned)
        names = await self.chat.operator_names()
        await send(frame("ack", client_id=data["client_id"],
                         message=public_message(message, names),
                         conversation=public_conversation(conversation)))

    async def on_resume(self, data: dict[str, Any], send: Send) -> None:
        conversation = await self.chat.own_conversation(self.visitor, data["conversation_id"])
        after = max(0, int(data.get("after_id") or 0))
        messages = await self.chat.store.messages_after(conversation["id"], after)
        names = await self.chat.operator_names()
        visible = [public_message(m, names) for m in messages]
        await decorate(self.chat.store, self.chat.settings.secret_key, visible,
                       self.visitor["id"])
        await send(frame("history", conversation=public_conversation(conversation),
                         messages=visible))

    async def on_typing(self, data: dict[str, Any], send: Send) -> None:
        conversation = await self.chat.own_conversation(self.visitor, data["conversation_id"])
        await self.chat.typing(conversation, "visitor", data["typing"])

    async def on_read(self, data: dict[str, Any], send: Send) -> None:
        conversation = await self.chat.own_conversation(self.visitor, data["conversation_id"])
        await self.chat.mark_read(conversation, "visitor", data["message_id"])

    async def on_email(self, data: dict[str, Any], send: Send) -> None:
        email = data["email"].strip()
        if not EMAIL.match(email):
            await send(frame("error", code="bad_email", conversation_id=data["conversation_id"]))
            return
        await self.chat.leave_email(self.visitor, data["conversation_id"], email)

    async def translate(self, event: dict[str, Any]) -> str | None:
        kind = event.get("kind")
        if kind in ("message", "conversation"):
            return conversation_frame(event)
        if kind == "typing" and event["side"] == "operator":
            return frame("typing", conversation_id=event["conversation_id"],
                         typing=event["typing"], name=event.get("name", ""))
        if kind == "read" and event["side"] == "operator":
            return frame("read", conversation_id=event["conversation_id"],
                         message_id=event["message_id"])
        if kind == "availability":
            return frame("availability", **event["availability"])
        return None
