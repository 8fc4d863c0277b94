"""What the broker carries: every event of the chat, with its type and the channel it goes on.

Events are built here and nowhere else, and translated into websocket frames for each side in
one module (event_frames.py). Channels:

- OPERATORS: everything, for every operator page (notes, typing, presence, actions, who
  views what, ended sessions);
- reader_channel(id): what that reader may see of their own conversations (never notes);
- READERS: availability changes, for every widget.

The channel names are on the wire between processes (Redis): processes sharing one Redis must
run the same version (before migration 6 they were "visitors" and "visitor:<id>").
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

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
    was: NotRequired[Record | None]  # operators only: see `where`


class ConversationEvent(TypedDict):
    kind: Literal["conversation"]
    conversation: Record
    was: NotRequired[Record | None]  # operators only: see `where`


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


class ActionEvent(TypedDict):
    """A line of a conversation's history (store actions): operators only."""

    kind: Literal["action"]
    action: Record


class ViewingEvent(TypedDict):
    """Which conversation an operator's page shows (None: none, or the page closed)."""

    kind: Literal["viewing"]
    operator_id: int
    conversation_id: int | None
    socket: str  # one operator may have several tabs open


class SessionEndedEvent(TypedDict):
    """One operator session ended (`session`), or every session of `operator_id`."""

    kind: Literal["session_ended"]
    operator_id: int | None
    session: str


class TagsEvent(TypedDict):
    """A conversation's tags now (operators only)."""

    kind: Literal["tags"]
    conversation_id: int
    tags: list[str]


class ReminderEvent(TypedDict):
    """A reminder made, changed, done or fallen due (`due`: tell its owner now)."""

    kind: Literal["reminder"]
    reminder: Record
    due: bool


class CustomerEvent(TypedDict):
    """A reader's lasting notes or attributes changed; pages showing them ask again."""

    kind: Literal["customer"]
    reader_id: str


class CatalogEvent(TypedDict):
    """The team's list of tags changed."""

    kind: Literal["tag_catalog"]


def where(conversation: Record | None) -> Record | None:
    """The fields that put a conversation in an inbox view (status, assignee, group). Operator
    events carry them as they were before the event (`was`; None for a new conversation), so
    every page moves the conversation between its lists and counts without asking."""
    if conversation is None:
        return None
    return {key: conversation[key] for key in ("status", "assignee_id", "group_name")}


def message(message: Record, conversation: Record, origin: str = "",
            was: Record | None = None, for_operators: bool = False) -> MessageEvent:
    event: MessageEvent = {"kind": "message", "message": message,
                           "conversation": conversation, "origin": origin}
    if for_operators:
        event["was"] = was
    return event


def conversation(conversation: Record, was: Record | None = None,
                 for_operators: bool = False) -> ConversationEvent:
    event: ConversationEvent = {"kind": "conversation", "conversation": conversation}
    if for_operators:
        event["was"] = was
    return event


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


def action(action: Record) -> ActionEvent:
    return {"kind": "action", "action": action}


def viewing(operator_id: int, conversation_id: int | None, socket: str) -> ViewingEvent:
    return {"kind": "viewing", "operator_id": operator_id, "conversation_id": conversation_id,
            "socket": socket}


def session_ended(operator_id: int | None = None, session_hash: str = "") -> SessionEndedEvent:
    return {"kind": "session_ended", "operator_id": operator_id, "session": session_hash}



def tags(conversation_id: int, names: list[str]) -> TagsEvent:
    return {"kind": "tags", "conversation_id": conversation_id, "tags": names}


def reminder(record: Record, due: bool = False) -> ReminderEvent:
    return {"kind": "reminder", "reminder": record, "due": due}


def customer(reader_id: str) -> CustomerEvent:
    return {"kind": "customer", "reader_id": reader_id}


def tag_catalog() -> CatalogEvent:
    return {"kind": "tag_catalog"}
