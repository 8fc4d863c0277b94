"""Frames: the code's tables and docs/protocol.md agree; bad frames close with named codes
on a real uvicorn server, which keeps serving everyone else."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from support.chat import ROOT, ServerThread, make_settings, open_reader, recv, send
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from chat_server.protocol import (
    MAX_FRAME_BYTES,
    OPERATOR_IN,
    READER_IN,
    SERVER_OUT,
    Close,
    ProtocolError,
    frame,
    parse,
)

DOC = ROOT / "docs" / "protocol.md"


def _sections() -> dict[str, dict[str, str]]:
    """Section title -> {frame type: its text} from the `### `type`` headings."""
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] = {}
    frame_type = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            current = sections.setdefault(line[3:].strip(), {})
            frame_type = None
        elif match := re.match(r"^### `([a-z_]+)`\s*$", line):
            frame_type = match.group(1)
            current[frame_type] = ""
        elif frame_type is not None:
            current[frame_type] += line + "\n"
    return sections


@pytest.mark.parametrize(("section", "table"), [
    ("Reader → server (`/ws/reader`)", READER_IN),
    ("Operator → server (`/ws/operator`)", OPERATOR_IN),
    ("Server → client", SERVER_OUT),
])
def test_every_frame_type_is_documented_and_nothing_else(section: str, table: dict) -> None:
    documented = _sections()[section]
    assert sorted(documented) == sorted(table), f"docs/protocol.md «{section}» vs the code"
    for frame_type, fields in table.items():
        if isinstance(fields, dict):
            for name in fields:
                assert f"`{name}`" in documented[frame_type], f"{frame_type}.{name} undocumented"


def test_every_close_code_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for code in Close:
        assert f"| {code.value} | `{code.name}` |" in text


@pytest.mark.parametrize(("raw", "code"), [
    ("not json", Close.MALFORMED),
    ("[1, 2]", Close.MALFORMED),
    ('{"no": "type"}', Close.MALFORMED),
    (b"\x00binary", Close.MALFORMED),
    ('{"type": "launch_missiles"}', Close.UNKNOWN_TYPE),
    ('{"type": "message", "body": "x"}', Close.MALFORMED),  # client_id missing
    ('{"type": "message", "client_id": "a", "body": 5}', Close.MALFORMED),
    ('{"type": "read", "conversation_id": true, "message_id": 1}', Close.MALFORMED),
    ('{"type": "message", "client_id": "' + "x" * 65 + '", "body": "b"}', Close.MALFORMED),
    (json.dumps({"type": "ping", "pad": "x" * MAX_FRAME_BYTES}), Close.TOO_LARGE),
    ('{"type": "read", "conversation_id": NaN, "message_id": 1}', Close.MALFORMED),
    ('{"type": "read", "conversation_id": 18446744073709551616, "message_id": 1}',
     Close.MALFORMED),  # over 64 bits: no database id is that large
])
def test_parse_refuses_with_a_named_code(raw: str | bytes, code: Close) -> None:
    with pytest.raises(ProtocolError) as info:
        parse(raw, READER_IN)
    assert info.value.code == code


def test_parse_accepts_valid_frames_and_frame_refuses_undocumented() -> None:
    assert parse('{"type": "message", "client_id": "a", "body": "hi", "conversation_id": null}',
                 READER_IN)["body"] == "hi"
    assert json.loads(frame("pong")) == {"type": "pong"}
    with pytest.raises(ValueError):
        frame("secret_type")


def test_frames_are_utf8_json_of_plain_values() -> None:
    text = frame("error", code="нет", at=datetime(2026, 1, 2, tzinfo=UTC), n=None)
    assert "нет" in text  # not \u-escaped: a third of the bytes for Cyrillic
    assert json.loads(text) == {"type": "error", "code": "нет",
                                "at": "2026-01-02T00:00:00+00:00", "n": None}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerThread]:
    running = ServerThread(make_settings(tmp_path)).start()
    yield running
    running.stop()


@pytest.mark.parametrize(("payload", "code"), [
    ("garbage{", Close.MALFORMED),
    (b"\x01\x02", Close.MALFORMED),
    ('{"type": "nope"}', Close.UNKNOWN_TYPE),
    (json.dumps({"type": "hello", "name": "x" * (MAX_FRAME_BYTES + 10)}), Close.TOO_LARGE),
    ('{"type": "ping"}', Close.HELLO_REQUIRED),
])
async def test_bad_first_frames_close_the_socket_with_named_codes(
    server: ServerThread, payload: str | bytes, code: Close
) -> None:
    async with connect(server.ws + "/ws/reader") as ws:
        await ws.send(payload)
        with pytest.raises(ConnectionClosed) as info:
            await recv(ws)
        assert info.value.rcvd is not None and info.value.rcvd.code == code
    async with httpx.AsyncClient() as client:  # the server is still there for everyone
        assert (await client.get(server.http + "/healthz")).json() == {"ok": True}


async def test_bad_frame_after_hello_closes_only_that_socket(server: ServerThread) -> None:
    good, _ = await open_reader(server.ws)
    bad, _ = await open_reader(server.ws)
    await send(bad, "message", client_id="c", body=["not", "text"])
    with pytest.raises(ConnectionClosed) as info:
        await recv(bad)
    assert info.value.rcvd is not None and info.value.rcvd.code == Close.MALFORMED
    await send(good, "ping")
    assert (await recv(good, "pong"))["type"] == "pong"
    await good.close()


async def test_frame_flood_is_rate_limited(server: ServerThread) -> None:
    ws, _ = await open_reader(server.ws)
    with pytest.raises(ConnectionClosed) as info:
        for _ in range(200):
            await send(ws, "ping")
        while True:
            await recv(ws)
    assert info.value.rcvd is not None and info.value.rcvd.code == Close.RATE_LIMITED
