"""Input that used to crash an operator handler gets a clear 4xx or a named close code,
never a 500, a traceback or close 1011 — over a real server and real sockets."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.chat import (
    Operator,
    ServerThread,
    open_reader,
    recv,
    send,
)
from websockets.exceptions import ConnectionClosed

from chat_server.protocol import MAX_ID, OPERATOR_IN, READER_IN, Close, ProtocolError, parse

DEEP = "[" * 2000 + "]" * 2000  # deeper than json.loads (1000) and orjson (1024) go
NESTED = "[" * 1000 + "]" * 1000  # parses, but str() of it raises RecursionError
TOO_BIG = [2**63, 2**64 - 1, MAX_ID + 1]  # past SQLite's INTEGER, orjson's, PostgreSQL's


@pytest.fixture
async def server(tmp_path: Path, start_server: Any) -> ServerThread:
    site = tmp_path / "site"
    (site / "_data").mkdir(parents=True)
    (site / "_data" / "articles.json").write_text("[]", encoding="utf-8")
    return await start_server(("anna@example.com", "Анна"), site_dir=site)


@pytest.fixture
async def anna(server: ServerThread) -> AsyncIterator[Operator]:
    operator = await Operator.login(server, "anna@example.com")
    yield operator
    await operator.close()


async def test_a_non_ascii_csrf_header_is_refused(anna: Operator) -> None:
    answer = await anna.client.post("/api/operator/presence", json={"status": "online"},
                                    headers={"X-CSRF-Token": "токен".encode()})
    assert answer.status_code == 403 and answer.json() == {"error": "csrf"}


@pytest.mark.parametrize(("path", "body"), [
    ("/api/operator/login", DEEP), ("/api/operator/login", NESTED),
    # The public endpoints take 2 KiB: 1000 deep is as deep as fits (json.loads gave up).
    ("/api/ratings", NESTED), ("/api/failed-searches", NESTED)])
async def test_deeply_nested_json_is_a_bad_request(server: ServerThread, path: str,
                                                   body: str) -> None:
    async with httpx.AsyncClient(base_url=server.http) as client:
        answer = await client.post(path, content=body,
                                   headers={"Content-Type": "application/json"})
        assert answer.status_code == 400 and answer.json()["error"]
        if body == DEEP:
            assert answer.json() == {"error": "bad_json"}


@pytest.mark.parametrize("body", [NESTED, '{"email": ' + NESTED + ', "password": "x"}',
                                  '{"email": "anna@example.com", "password": ' + NESTED + "}"])
async def test_nested_values_in_a_login_are_a_bad_request(server: ServerThread,
                                                          body: str) -> None:
    async with httpx.AsyncClient(base_url=server.http) as client:
        answer = await client.post("/api/operator/login", content=body,
                                   headers={"Content-Type": "application/json"})
        assert answer.status_code == 400 and answer.json() == {"error": "bad_request"}


async def test_deeply_nested_json_is_bad_json_for_operators(anna: Operator) -> None:
    answer = await anna.client.post("/api/operator/presence", content=DEEP, headers={
        "X-CSRF-Token": anna.csrf, "Content-Type": "application/json"})
    assert answer.status_code == 400 and answer.json() == {"error": "bad_json"}


@pytest.mark.parametrize("number", TOO_BIG)
async def test_an_id_no_row_can_have_is_not_found(anna: Operator, number: int) -> None:
    path = f"/api/operator/conversations/{number}"
    got = await anna.client.get(path)
    assert got.status_code == 404 and got.json() == {"error": "not_found"}
    for action, body in (("reply", {"body": "hi", "client_id": "c"}), ("close", {}),
                         ("assign", {})):
        answer = await anna.post(f"{path}/{action}", **body)
        assert answer.status_code == 404 and answer.json() == {"error": "not_found"}, action
    answer = await anna.post(f"/api/operator/failed-searches/{number}/answer", article_id="x")
    assert answer.status_code == 404 and answer.json() == {"error": "not_found"}


async def test_a_path_the_api_does_not_have_is_a_json_error(anna: Operator) -> None:
    got = await anna.client.get("/api/operator/conversations/-1")
    assert got.status_code == 404 and got.json() == {"error": "not_found"}
    # No route takes it, so it reaches the site's files, which take only GET.
    posted = await anna.post("/api/operator/conversations/-1/reply", body="hi", client_id="c")
    assert posted.status_code == 405 and posted.json() == {"error": "method_not_allowed"}


@pytest.mark.parametrize("number", TOO_BIG)
async def test_assigning_to_an_impossible_operator_id_is_bad_request(
        server: ServerThread, anna: Operator, number: int) -> None:
    reader, _ = await open_reader(server.ws)
    await send(reader, "message", client_id="a", body="hi")
    conversation_id = (await recv(reader, "ack"))["conversation"]["id"]
    answer = await anna.post(f"/api/operator/conversations/{conversation_id}/assign",
                             operator_id=number)
    assert answer.status_code == 400 and answer.json() == {"error": "bad_operator_id"}
    await reader.close()


@pytest.mark.parametrize("number", TOO_BIG)
async def test_socket_frames_with_impossible_ids_close_as_malformed(
        server: ServerThread, anna: Operator, number: int) -> None:
    ws = await anna.socket()
    await recv(ws, "welcome")
    # Written by hand: 2**64 - 1 and 2**63 are valid JSON numbers a browser can send.
    await ws.send(f'{{"type": "open", "conversation_id": {number}, "after_id": 0}}')
    with pytest.raises(ConnectionClosed) as info:
        await recv(ws)
    assert info.value.rcvd is not None and info.value.rcvd.code == Close.MALFORMED
    again = await anna.socket()  # the server and the session are fine
    await recv(again, "welcome")
    await again.close()


@pytest.mark.parametrize(("schema", "frame"), [
    (OPERATOR_IN, {"type": "read", "conversation_id": 1, "message_id": 2**63}),
    (OPERATOR_IN, {"type": "assign", "conversation_id": 1, "operator_id": MAX_ID + 1}),
    (OPERATOR_IN, {"type": "open", "conversation_id": 1, "after_id": -1}),
    (READER_IN, {"type": "resume", "conversation_id": 2**63}),
    (READER_IN, {"type": "message", "client_id": "c", "body": "b",
                  "conversation_id": MAX_ID + 1}),
])
def test_parse_refuses_ids_out_of_range(schema: dict, frame: dict) -> None:
    with pytest.raises(ProtocolError) as info:
        parse(json.dumps(frame), schema)
    assert info.value.code == Close.MALFORMED


def test_parse_accepts_the_largest_id() -> None:
    frame = {"type": "read", "conversation_id": MAX_ID, "message_id": 0}
    assert parse(json.dumps(frame), OPERATOR_IN)["conversation_id"] == MAX_ID


@pytest.mark.parametrize("frame", [
    {"type": "transfer", "conversation_id": 1},  # to nobody
    {"type": "transfer", "conversation_id": 1, "group": "x" * 65},
    {"type": "transfer", "conversation_id": 1, "operator_id": 1, "note": "n" * 4001},
    {"type": "snooze", "conversation_id": 1, "minutes": 0},
    {"type": "snooze", "conversation_id": 1, "minutes": MAX_ID},
    {"type": "snooze", "conversation_id": 1, "minutes": "soon"},
    {"type": "viewing", "conversation_id": "<script>"},
])
async def test_teamwork_frames_out_of_shape_close_the_socket(anna: Operator,
                                                             frame: dict[str, Any]) -> None:
    ws = await anna.socket()
    await recv(ws, "welcome")
    await ws.send(json.dumps(frame))
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await recv(ws)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == Close.MALFORMED


async def test_teamwork_on_a_missing_conversation_is_not_found(anna: Operator) -> None:
    ws = await anna.socket()
    await recv(ws, "welcome")
    for frame in ({"type": "transfer", "conversation_id": 999, "group": "support"},
                  {"type": "snooze", "conversation_id": 999, "minutes": 60},
                  {"type": "viewing", "conversation_id": 999}):
        await ws.send(json.dumps(frame))
        assert (await recv(ws, "error"))["code"] == "not_found"
    await ws.close()
