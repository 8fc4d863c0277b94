"""Websocket frames: JSON objects with a `type`, validated against one table per side.

The tables below are the protocol; `docs/protocol.md` documents every type and
`tests/test_chat_protocol.py` fails when the two disagree. Bad input never raises out of
`parse`: it becomes a `ProtocolError` carrying the close code the socket must end with.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import orjson

MAX_FRAME_BYTES = 16 * 1024  # a chat message is text; anything larger is abuse or a bug
MAX_BODY_CHARS = 4000
# Every integer in a frame is an id (or the last id seen): ids are INTEGER columns, 32-bit
# in PostgreSQL, so a larger number names no row and must not reach a query (which raises).
MAX_ID = 2**31 - 1


class Close(IntEnum):
    """Application close codes (4000-4999 are reserved for applications by RFC 6455)."""

    NORMAL = 1000
    RESYNC = 1012  # RFC 6455's "service restart": events were lost, reconnect and catch up
    MALFORMED = 4400  # not JSON, not an object, wrong field types, binary frame
    UNAUTHORIZED = 4401  # missing/invalid token, session or identity hash
    FORBIDDEN_ORIGIN = 4403  # Origin header not among the site's origins
    UNKNOWN_TYPE = 4404  # a `type` this side does not accept
    HELLO_REQUIRED = 4409  # the first reader frame must be `hello`
    TOO_LARGE = 4413  # frame over MAX_FRAME_BYTES
    RATE_LIMITED = 4429  # too many frames per second
    SESSION_ENDED = 4440  # the operator logged out, was disabled or changed their password
    OVERLOADED = 4503  # the server could not keep up with this socket's events


@dataclass(frozen=True)
class Field:
    kind: type | tuple[type, ...]
    required: bool = False
    max_len: int = 0  # strings: characters; 0 = no limit beyond the frame size


def _f(kind: type | tuple[type, ...], required: bool = False, max_len: int = 0) -> Field:
    return Field(kind, required, max_len)


_ID = _f(int, True)
_OPT_ID = _f((int, type(None)))
_CLIENT_ID = _f(str, True, 64)
_BODY = _f(str, True, MAX_BODY_CHARS)

# Frames a reader's widget may send.
READER_IN: dict[str, dict[str, Field]] = {
    "hello": {
        "token": _f(str, max_len=512),
        "link": _f(str, max_len=512),
        "user_id": _f(str, max_len=128),
        "user_hash": _f(str, max_len=128),
        "name": _f(str, max_len=200),
        "email": _f(str, max_len=254),
        "attributes": _f(dict),
        "context": _f(dict),
        "lang": _f(str, max_len=16),
    },
    "message": {
        "client_id": _CLIENT_ID,
        "body": _BODY,
        "conversation_id": _OPT_ID,
        "article": _f(dict),
        "context": _f(dict),
        "topic": _f(str, max_len=64),
    },
    "resume": {"conversation_id": _ID, "after_id": _f(int)},
    "typing": {"conversation_id": _ID, "typing": _f(bool, True)},
    "read": {"conversation_id": _ID, "message_id": _ID},
    "email": {"conversation_id": _ID, "email": _f(str, True, 254)},
    "ping": {},
}

# Frames the operator page may send.
OPERATOR_IN: dict[str, dict[str, Field]] = {
    "reply": {"conversation_id": _ID, "client_id": _CLIENT_ID, "body": _BODY},
    "note": {"conversation_id": _ID, "client_id": _CLIENT_ID, "body": _BODY},
    "typing": {"conversation_id": _ID, "typing": _f(bool, True)},
    "read": {"conversation_id": _ID, "message_id": _ID},
    "open": {"conversation_id": _ID, "after_id": _f(int)},
    "assign": {"conversation_id": _ID, "operator_id": _OPT_ID},
    "close": {"conversation_id": _ID},
    "reopen": {"conversation_id": _ID},
    "presence": {"status": _f(str, True, 16)},
    "transfer": {"conversation_id": _ID, "operator_id": _OPT_ID, "group": _f(str, max_len=64),
                 "note": _f(str, max_len=MAX_BODY_CHARS)},
    "snooze": {"conversation_id": _ID, "minutes": _OPT_ID},  # None: until the reader writes
    "viewing": {"conversation_id": _OPT_ID},
    "ping": {},
}

# Frames the server sends (documented; the server builds them with `frame`).
SERVER_OUT: dict[str, str] = {
    "welcome": "both",
    "ack": "both",
    "message": "both",
    "history": "both",
    "typing": "both",
    "read": "both",
    "conversation": "both",
    "availability": "reader",
    "email_pending": "reader",
    "presence": "operator",
    "action": "operator",
    "viewing": "operator",
    "tags": "operator",
    "reminder": "operator",
    "customer": "operator",
    "tag_catalog": "operator",
    "error": "both",
    "pong": "both",
}

PRESENCE_STATES = ("online", "away")
RENDERED = "_frame"  # where a broker event keeps the frame encoded from it (in-process only)


class ProtocolError(Exception):
    def __init__(self, code: Close, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        # RFC 6455 limits a close reason to 123 bytes.
        self.reason = reason.encode()[:120].decode(errors="ignore")


def parse(raw: str | bytes | None, schema: dict[str, dict[str, Field]]) -> dict[str, Any]:
    """Decode and validate one incoming frame, or raise ProtocolError."""
    if raw is None or isinstance(raw, bytes):
        raise ProtocolError(Close.MALFORMED, "frames must be JSON text")
    if len(raw.encode()) > MAX_FRAME_BYTES:
        raise ProtocolError(Close.TOO_LARGE, f"frame over {MAX_FRAME_BYTES} bytes")
    try:
        data = orjson.loads(raw)
    except ValueError as exc:  # orjson.JSONDecodeError; also NaN and integers over 64 bits
        raise ProtocolError(Close.MALFORMED, "not JSON") from exc
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise ProtocolError(Close.MALFORMED, "a frame is an object with a string 'type'")
    fields = schema.get(data["type"])
    if fields is None:
        raise ProtocolError(Close.UNKNOWN_TYPE, f"unknown type {data['type'][:40]!r}")
    for name, field in fields.items():
        _check_field(data, name, field)
    return data


def _check_field(data: dict[str, Any], name: str, field: Field) -> None:
    if name not in data:
        if field.required:
            raise ProtocolError(Close.MALFORMED, f"{data['type']}: '{name}' is required")
        return
    value = data[name]
    # bool is an int in Python; an id or counter given as true/false is a client bug.
    if isinstance(value, bool) and field.kind is not bool and bool not in _kinds(field):
        raise ProtocolError(Close.MALFORMED, f"{data['type']}: '{name}' has the wrong type")
    if not isinstance(value, field.kind):
        raise ProtocolError(Close.MALFORMED, f"{data['type']}: '{name}' has the wrong type")
    if field.max_len and isinstance(value, str) and len(value) > field.max_len:
        raise ProtocolError(Close.MALFORMED, f"{data['type']}: '{name}' is too long")
    if isinstance(value, int) and not isinstance(value, bool) and not 0 <= value <= MAX_ID:
        raise ProtocolError(Close.MALFORMED, f"{data['type']}: '{name}' is out of range")


def _kinds(field: Field) -> tuple[type, ...]:
    return field.kind if isinstance(field.kind, tuple) else (field.kind,)


def frame(type_: str, **fields: Any) -> str:
    """Encode an outgoing frame; only documented server types may be sent."""
    if type_ not in SERVER_OUT:
        raise ValueError(f"undocumented server frame {type_!r}")
    # orjson: a fifth of the CPU per chat message went to the json module's encoding and
    # decoding. Records carry plain str keys (store/rows.py); others become strings.
    return orjson.dumps({"type": type_, **fields}, default=str).decode()


def conversation_frame(event: dict[str, Any]) -> str:
    """The broker events readers and operators get alike: a new message and a changed
    conversation. (The socket that sent a message had its ack: the broker does not echo it.)

    Every subscriber of a channel gets the same event (broker.Hub.deliver) and the frame is
    the same for all of them: it is encoded once and kept in the event under RENDERED."""
    text: str | None = event.get(RENDERED)
    if text is None:
        extra = {"was": event["was"]} if "was" in event else {}
        if event["kind"] == "message":
            text = frame("message", message=event["message"],
                         conversation=event["conversation"], **extra)
        else:
            text = frame("conversation", conversation=event["conversation"], **extra)
        event[RENDERED] = text
    return text
