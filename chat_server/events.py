"""What the broker carries: every event of the chat, with its type and the channel it goes on.

Events are built here and nowhere else, and translated into websocket frames for each side in
one module (event_frames.py). Channels:

- OPERATORS: everything, for every operator page (notes, typing, presence, ended sessions);
- reader_channel(id): what that reader may see of their own conversations (never notes);
- READERS: availability changes, for every widget.

The channel names are on the wire between processes (Redis), so they keep their old words.
"""

from __future__ import annotations

from typing import Literal, TypedDict

from chat_server.store import Record

OPERATORS = "operators"
READERS = "readers"
Side = Literal["reader", "operator"]


def reader_channel(reader_id: str) -> str:
    return f"reader:{reader_id}"


class MessageEvent(TypedDict):
    kind: Literal["message"]
    message: Record
    conversation: Record
    origin: str  # the socket that sent it (it had its ack: no echo)


class ConversationEvent(TypedDict):
    kind: Literal["conversation"]
    conversation: Record


class TypingEvent(TypedDict):
    kind: Literal["typing"]
    conversation_id: int
    side: Side
    typing: bool
    name: str


class ReadEvent(TypedDict):
    kind: Literal["read"]
    conversation_id: int
    side: Side
    message_id: int


class PresenceEvent(TypedDict):
    kind: Literal["presence"]
    operator_id: int
    status: str


class AvailabilityEvent(TypedDict):
    kind: Literal["availability"]
    availability: Record


class SessionEndedEvent(TypedDict):
    """One operator session ended (`session`), or every session of `operator_id`."""

    kind: Literal["session_ended"]
    operator_id: int | None
    session: str


def message(message: Record, conversation: Record, origin: str = "") -> MessageEvent:
    return {"kind": "message", "message": message, "conversation": conversation,
            "origin": origin}


def conversation(conversation: Record) -> ConversationEvent:
    return {"kind": "conversation", "conversation": conversation}


def typing(conversation_id: int, side: Side, is_typing: bool, name: str = "") -> TypingEvent:
    return {"kind": "typing", "conversation_id": conversation_id, "side": side,
            "typing": is_typing, "name": name}


def read(conversation_id: int, side: Side, message_id: int) -> ReadEvent:
    return {"kind": "read", "conversation_id": conversation_id, "side": side,
            "message_id": message_id}


def presence(operator_id: int, status: str) -> PresenceEvent:
    return {"kind": "presence", "operator_id": operator_id, "status": status}


def availability(availability: Record) -> AvailabilityEvent:
    return {"kind": "availability", "availability": availability}


def session_ended(operator_id: int | None = None, session_hash: str = "") -> SessionEndedEvent:
    return {"kind": "session_ended", "operator_id": operator_id, "session": session_hash}

