"""`/ws/reader`: the reader's widget. The first frame is `hello`; see docs/protocol.md."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

from starlette.websockets import WebSocket

from chat_server import attributes, auth, event_frames, events, file_kinds, limits
from chat_server.broker import RESYNC
from chat_server.client_address import client_address
from chat_server.conversations import EMAIL, Chat, NotFound
from chat_server.limits import Limits
from chat_server.mail import reader_email
from chat_server.origins import origin_allowed
from chat_server.presence import TypingFade
from chat_server.protocol import READER_IN, Close, ProtocolError, frame
from chat_server.sockets import Connection, Send
from chat_server.store import Record
from chat_server.views import public_conversation

HELLO_TIMEOUT = 15.0
ARTICLE_FIELDS = {"id": 300, "lang": 16, "rating": 16}  # a message's `article`: max lengths


async def reader_socket(websocket: WebSocket) -> None:
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
        hello = await asyncio.wait_for(connection.receive(READER_IN), HELLO_TIMEOUT)
        if hello is None:
            return
        if hello["type"] != "hello":
            raise ProtocolError(Close.HELLO_REQUIRED, "the first frame must be hello")
        reader = await _identify(chat, app.state.signer, hello)
    except ProtocolError as exc:
        await connection.close(exc.code, exc.reason)
        return
    except TimeoutError:
        await connection.close(Close.HELLO_REQUIRED, "no hello")
        return
    session = ReaderSession(chat, reader, app.state.limits, client)
    record = reader.record
    subscriber = chat.broker.subscriber(origin=session.id)
    subscriber.add(events.reader_channel(record["id"]))
    subscriber.add(events.READERS)
    session.typing_fade = TypingFade(subscriber.queue)
    chat.reader_sockets[record["id"]] += 1
    try:
        conversations = await chat.store.reader_conversations(record["id"]) if (
            reader.stored) else []
        await connection.send(frame(
            "welcome", token=app.state.signer.reader_token(record["id"]),
            reader_id=record["id"], verified=reader.verified, name=record["name"],
            email=record["email"], availability=await chat.presence.availability(),
            attachments=file_kinds.offered(chat.settings.attachments_kinds),
            conversations=[public_conversation(c) for c in conversations]))
        await connection.run(READER_IN, session.handle, subscriber, session.translate)
    finally:
        session.typing_fade.close()
        chat.reader_sockets[record["id"]] -= 1
        if chat.reader_sockets[record["id"]] <= 0:
            del chat.reader_sockets[record["id"]]


@dataclass
class Reader:
    """Who said hello: their record, and whether it is in the store yet."""

    record: Record
    stored: bool  # False: no row until they do something (ReaderSession.stored_reader)
    verified: bool = False  # a logged-in user of the host product (user_hash checked)
    changes: dict[str, Any] = field(default_factory=dict)  # the hello's, for that row
    lang: str = ""


async def _identify(chat: Chat, signer: auth.Signer, hello: dict[str, Any]) -> Reader:
    """A reader seen before, or a logged-in user of the host product, is read from the store
    (and what the hello says is saved); anyone else gets an id and a token but no row."""
    store, settings = chat.store, chat.settings
    asked = hello.get("lang")
    lang = asked if isinstance(asked, str) and asked in settings.languages else (
        settings.languages[0])
    user_id = hello.get("user_id")
    changes = _hello_changes(hello, verified=bool(user_id))
    if user_id:
        # compare_digest refuses non-ASCII text with a TypeError: such a hash is just wrong.
        user_hash = hello.get("user_hash") or ""
        if not user_hash.isascii() or not auth.verify_user_hash(
                settings.identity_secret, user_id, user_hash):
            raise ProtocolError(Close.UNAUTHORIZED, "user_hash does not match user_id")
        record: Record | None = await store.reader_for_user(user_id, auth.new_reader_id())
    elif settings.identity_required:
        raise ProtocolError(Close.UNAUTHORIZED, "identity required")
    else:
        # A link from an email reply names the reader it was sent to; else the stored token.
        reader_id = signer.reader_from_link(hello.get("link")) or signer.reader_id(
            hello.get("token"))
        record = await store.get_reader(reader_id) if reader_id else None
        if record is not None and record["user_id"]:
            # A logged-in user's conversations never open for an anonymous token.
            record, reader_id = None, None
        if record is None:
            return Reader(_unsaved(reader_id or auth.new_reader_id(), changes), stored=False,
                          changes=changes, lang=lang)
    assert record is not None
    if "attributes" in changes:  # what the back end pushed (customer_api) stays
        changes["attributes"] = attributes.merged(record["attributes"] or {},
                                                  changes["attributes"])
    if changes:
        await store.update_reader(record["id"], **changes)
        record = await store.get_reader(record["id"]) or record
    return Reader(record, stored=True, verified=bool(user_id), lang=lang)


def _hello_changes(hello: dict[str, Any], verified: bool) -> dict[str, Any]:
    """What a hello says about the reader, cleaned, as columns of their row."""
    changes: dict[str, Any] = {}
    if isinstance(hello.get("name"), str) and hello["name"].strip():
        changes["name"] = hello["name"].strip()
    if isinstance(hello.get("email"), str) and EMAIL.match(hello["email"].strip()):
        changes["email"] = hello["email"].strip()
    if verified and isinstance(hello.get("attributes"), dict):
        changes["attributes"] = attributes.clean(hello["attributes"])
    if isinstance(hello.get("context"), dict):
        changes["context"] = {k: str(v)[:500] for k, v in list(hello["context"].items())[:20]
                              if isinstance(v, str | int | float)}
    return changes


def _unsaved(reader_id: str, changes: dict[str, Any]) -> Record:
    """A reader as the store would return them, before they have a row."""
    return {"id": reader_id, "user_id": None, "name": "", "email": "", "attributes": {},
            "context": {}, "confirmed_email": "", **changes}


def _article(value: Any) -> dict[str, str] | None:
    """A message's `article` ({id, lang, rating}, strings): anything else in those keys is a
    malformed frame, so nothing deeper than a string reaches routing or the store."""
    if value is None:
        return None
    for key, limit in ARTICLE_FIELDS.items():
        item = value.get(key, "")
        if not isinstance(item, str) or len(item) > limit:
            raise ProtocolError(Close.MALFORMED, f"message: 'article.{key}' must be a string "
                                f"of at most {limit} characters")
    return {key: value.get(key, "") for key in ARTICLE_FIELDS}


class ReaderSession:
    def __init__(self, chat: Chat, reader: Reader, budget: Limits, client: str) -> None:
        self.chat = chat
        self.reader = reader
        self.record = reader.record
        self.budget = budget  # the app's rate limits
        self.client = client  # the client's address, as the limits count it
        self.id = uuid.uuid4().hex  # events this socket caused come back as acks, not echoes
        self.owned: set[int] = set()  # conversation ids proved to be this reader's
        self.typing_fade: TypingFade = TypingFade(asyncio.Queue())  # the socket's, once open

    async def stored_reader(self) -> Record:
        """The reader's row, made at their first action with what their hello said: a hello
        alone stores nothing, so opening the widget (or a script saying hello in a loop)
        costs no row."""
        if not self.reader.stored:
            store = self.chat.store
            await store.ensure_reader(self.record["id"])
            if self.reader.changes:
                await store.update_reader(self.record["id"], **self.reader.changes)
            self.record = await store.get_reader(self.record["id"]) or self.record
            self.reader.stored = True
        return self.record

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
        data["article"] = _article(data.get("article"))
        data["lang"] = self.reader.lang  # the hello's, for the routing rules
        # Writing into an existing conversation needs one, hence a row already.
        record = self.record if data.get("conversation_id") is not None else (
            await self.stored_reader())
        conversation, message, _created = await self.chat.reader_message(
            record, data, self.id, self.owned)
        [shown] = await self.chat.views.for_reader([message], record["id"])
        await send(frame("ack", client_id=data["client_id"], message=shown,
                         conversation=public_conversation(conversation)))

    async def on_resume(self, data: dict[str, Any], send: Send) -> None:
        conversation = await self.chat.own_conversation(self.record, data["conversation_id"])
        after = max(0, int(data.get("after_id") or 0))
        messages = await self.chat.store.messages_after(conversation["id"], after)
        visible = await self.chat.views.for_reader(messages, self.record["id"])
        await send(frame("history", conversation=public_conversation(conversation),
                         messages=visible))

    async def on_typing(self, data: dict[str, Any], send: Send) -> None:
        conversation = await self.chat.own_conversation(self.record, data["conversation_id"])
        await self.chat.typing(conversation, "reader", data["typing"])

    async def on_read(self, data: dict[str, Any], send: Send) -> None:
        conversation = await self.chat.own_conversation(self.record, data["conversation_id"])
        await self.chat.mark_read(conversation, "reader", data["message_id"])

    async def on_email(self, data: dict[str, Any], send: Send) -> None:
        """Where replies should go while the reader is away: once the address is confirmed
        (mail/reader_email.py). Answered by `conversation` (confirmed before), `email_pending`
        (a confirmation mail is on its way) or an `error`."""
        email, conversation_id = data["email"].strip(), data["conversation_id"]
        if not EMAIL.match(email):
            await send(frame("error", code="bad_email", conversation_id=conversation_id))
            return
        conversation = await self.chat.own_conversation(self.record, conversation_id)
        await self.chat.store.update_reader(self.record["id"], email=email)
        # Fresh: the address may have been confirmed from a mail since this socket opened.
        fresh = await self.chat.store.get_reader(self.record["id"]) or self.record
        outcome = await reader_email.ask_to_confirm(self.chat, self.budget, fresh,
                                                    conversation, email, self.reader.lang,
                                                    self.client)
        if outcome == reader_email.SENT:
            await send(frame("email_pending", conversation_id=conversation_id, email=email))
        elif outcome != reader_email.CONFIRMED:
            code = "email_unavailable" if outcome == reader_email.UNAVAILABLE else outcome
            await send(frame("error", code=code, conversation_id=conversation_id))

    async def translate(self, event: dict[str, Any]) -> str | None:
        if event is RESYNC:  # the widget reconnects and resumes from the store (broker.py)
            raise ProtocolError(Close.RESYNC, "events were lost: reconnect")
        self.typing_fade.saw(event)
        return event_frames.for_reader(event)
