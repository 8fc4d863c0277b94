"""`/ws/operator`: the operator page's live inbox. Authenticated by the session cookie, and
closed with SESSION_ENDED when that session ends (operator_sessions.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Any

from starlette.websockets import WebSocket

from chat_server import event_frames, events, file_kinds, presence
from chat_server.broker import RESYNC, Subscriber
from chat_server.conversations import Chat, NotFound
from chat_server.operator_auth import current_session, operator_view
from chat_server.operator_sessions import Session, ends
from chat_server.origins import same_origin
from chat_server.protocol import (
    OPERATOR_IN,
    PRESENCE_STATES,
    Close,
    ProtocolError,
    frame,
)
from chat_server.settings import ChatSettings
from chat_server.sockets import Connection, Send
from chat_server.store import Record
from chat_server.store.rows import now_ms
from chat_server.team import MAX_SNOOZE_MINUTES

log = logging.getLogger(__name__)


async def operator_socket(websocket: WebSocket) -> None:
    chat: Chat = websocket.app.state.chat
    connection = Connection(websocket)
    await websocket.accept()
    # The cookie is SameSite=Strict, but a websocket handshake is not covered by CORS:
    # check Origin so another site cannot open this socket with the operator's cookie.
    if not same_origin(websocket):
        await connection.close(Close.FORBIDDEN_ORIGIN, "origin not allowed")
        return
    login = await current_session(websocket)
    if login is None:
        await connection.close(Close.UNAUTHORIZED, "login required")
        return
    session = OperatorSession(chat, login)
    # The lease before listening: colleagues hear this page come online, and the page reads
    # it in its welcome (presence.py).
    if not await chat.presence.opened(session.id, login.hash, login.operator["id"]):
        await connection.close(Close.SESSION_ENDED, "session ended")
        return
    subscriber = chat.broker.subscriber(origin=session.id)
    subscriber.add(events.OPERATORS)  # also where the end of the login is announced
    watch = websocket.app.state.sessions.watch
    watch.add(login.hash, subscriber)
    try:
        await _serve(connection, session, subscriber)
    finally:
        watch.remove(login.hash, subscriber)
        subscriber.close()
        with contextlib.suppress(Exception):  # the store may be closing with the app
            await chat.presence.closed(session.id)


async def _serve(connection: Connection, session: OperatorSession,
                 subscriber: Subscriber) -> None:
    chat, operator_id = session.chat, session.operator["id"]
    operators = await chat.store.list_operators()
    # Fresh (opening the page may just have made them online), from the list just read.
    operator = next((o for o in operators if o["id"] == operator_id), session.operator)
    connected = await chat.presence.connected()
    states = {o["id"]: presence.state_of(o, connected) for o in operators}
    await connection.send(frame(
        "welcome", operator=operator_view(operator),
        operators=[{**operator_view(o), "presence": states[o["id"]]}
                   for o in operators if not o["disabled"]],
        counts=await chat.store.inbox_counts(operator_id),
        groups=_groups(chat.settings),
        viewing=await chat.store.viewers(now_ms()),
        attachments=file_kinds.offered(chat.settings.attachments_kinds),
        availability=await chat.presence.availability(
            online=sum(state == "online" for state in states.values()))))
    heartbeat = asyncio.create_task(session.heartbeat())
    try:
        await connection.run(OPERATOR_IN, session.handle, subscriber, session.translate)
    finally:
        heartbeat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await heartbeat
        if session.viewing is not None:  # a closed tab views nothing any more
            with contextlib.suppress(Exception):
                await chat.broker.publish(events.OPERATORS,
                                          events.viewing(operator_id, None, session.id))


class OperatorSession:
    def __init__(self, chat: Chat, login: Session) -> None:
        self.chat = chat
        self.login = login
        self.operator: Record = login.operator
        self.id = uuid.uuid4().hex  # this socket's own replies come back as acks only
        self.ended = False
        self.viewing: int | None = None  # the conversation this page shows

    async def heartbeat(self) -> None:
        """Renew this socket's lease while it is open, so presence lasts only as long as
        the socket (presence.py)."""
        while True:
            await asyncio.sleep(presence.RENEW_SECONDS)
            try:
                await self.chat.presence.renew(self.id, self.login.hash)
            except Exception:  # a database hiccup: the next renewal may still be in time
                log.exception("presence: renewing an operator socket's lease failed")

    async def handle(self, data: dict[str, Any], send: Send) -> None:
        if self.ended:  # the end is in the queue already: act on nothing meanwhile
            raise ProtocolError(Close.SESSION_ENDED, "session ended")
        try:
            await getattr(self, "on_" + data["type"])(data, send)
        except NotFound:
            await send(frame("error", code="not_found", client_id=data.get("client_id"),
                             conversation_id=data.get("conversation_id")))

    async def on_ping(self, data: dict[str, Any], send: Send) -> None:
        await send(frame("pong"))

    async def _post(self, data: dict[str, Any], send: Send, internal: bool) -> None:
        if not data["body"].strip():
            await send(frame("error", code="empty", client_id=data["client_id"]))
            return
        posted = await self.chat.operator_message(
            self.operator, data["conversation_id"], data["body"], data["client_id"], internal,
            self.id)
        # This socket gets no echo of its own message: the ack carries what colleagues' pages
        # get (the message with the author's name, the conversation after it and `was`).
        await send(frame("ack", client_id=data["client_id"], message=posted.message,
                         conversation=posted.conversation, was=posted.was))

    async def on_reply(self, data: dict[str, Any], send: Send) -> None:
        await self._post(data, send, internal=False)

    async def on_note(self, data: dict[str, Any], send: Send) -> None:
        await self._post(data, send, internal=True)

    async def _conversation(self, conversation_id: int) -> Record:
        conversation = await self.chat.store.get_conversation(conversation_id)
        if conversation is None:
            raise NotFound(conversation_id)
        return conversation

    async def on_open(self, data: dict[str, Any], send: Send) -> None:
        conversation = await self._conversation(data["conversation_id"])
        messages = await self.chat.store.messages_after(
            conversation["id"], max(0, int(data.get("after_id") or 0)), internal=True)
        await send(frame("history", conversation=conversation,
                         messages=await self.chat.views.for_operators(messages)))

    async def on_typing(self, data: dict[str, Any], send: Send) -> None:
        conversation = await self._conversation(data["conversation_id"])
        await self.chat.typing(conversation, "operator", data["typing"], self.operator["name"])

    async def on_read(self, data: dict[str, Any], send: Send) -> None:
        conversation = await self._conversation(data["conversation_id"])
        await self.chat.mark_read(conversation, "operator", data["message_id"])

    async def on_assign(self, data: dict[str, Any], send: Send) -> None:
        await self.chat.assign(data["conversation_id"], data.get("operator_id"), self.operator)

    async def on_close(self, data: dict[str, Any], send: Send) -> None:
        await self.chat.set_status(data["conversation_id"], "closed", self.operator)

    async def on_reopen(self, data: dict[str, Any], send: Send) -> None:
        await self.chat.set_status(data["conversation_id"], "open", self.operator)

    async def on_transfer(self, data: dict[str, Any], send: Send) -> None:
        if data.get("operator_id") is None and not data.get("group"):
            raise ProtocolError(Close.MALFORMED, "transfer: to an operator_id or a group")
        await self.chat.transfer(data["conversation_id"], self.operator,
                                 data.get("operator_id"), data.get("group") or "",
                                 data.get("note") or "")

    async def on_snooze(self, data: dict[str, Any], send: Send) -> None:
        minutes = data.get("minutes")
        if minutes is not None and not 1 <= minutes <= MAX_SNOOZE_MINUTES:
            raise ProtocolError(Close.MALFORMED, "snooze: minutes out of range")
        await self.chat.snooze(data["conversation_id"], self.operator, minutes)

    async def on_viewing(self, data: dict[str, Any], send: Send) -> None:
        """Colleagues see "Anna is viewing"; the page says so when it opens a conversation
        and when it leaves (None); a closed page says it through the socket's end."""
        conversation_id = data.get("conversation_id")
        if conversation_id is not None:
            await self._conversation(conversation_id)
        self.viewing = conversation_id
        await self.chat.store.set_viewing(self.id, conversation_id)
        await self.chat.broker.publish(events.OPERATORS, events.viewing(
            self.operator["id"], conversation_id, self.id))

    async def on_presence(self, data: dict[str, Any], send: Send) -> None:
        if data["status"] not in PRESENCE_STATES:
            raise ProtocolError(Close.MALFORMED, "presence: status is online or away")
        await self.chat.presence.set_presence(self.operator["id"], data["status"])
        if data["status"] == "online":  # their groups' queues may move to them now
            operator = await self.chat.store.get_operator(self.operator["id"])
            if operator is not None:
                await self.chat.team.drain_for(operator)

    async def translate(self, event: dict[str, Any]) -> str | None:
        if event is RESYNC:  # the page reconnects and fetches its lists again (broker.py)
            raise ProtocolError(Close.RESYNC, "events were lost: reconnect")
        if ends(event, self.login):
            self.ended = True
            raise ProtocolError(Close.SESSION_ENDED, "session ended")
        return event_frames.for_operator(event, self.operator["name"])


def _groups(settings: ChatSettings) -> list[Record]:
    """The groups a conversation can be transferred to: chat.groups and the default one."""
    groups = [{"name": name, "title": group["title"]} for name, group in settings.groups.items()]
    if settings.default_group not in settings.groups:
        groups.insert(0, {"name": settings.default_group, "title": {"*": settings.default_group}})
    return groups

