"""REST for tags: the team's list (admins add and remove), a conversation's tags."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from chat_server.conversations import Chat
from chat_server.http_json import json_error, read_json
from chat_server.operator_auth import admin_only, operator_only
from chat_server.store import Record
from chat_server.tags import BadTag, checked


def _chat(request: Request) -> Chat:
    chat: Chat = request.app.state.chat
    return chat


async def _object(request: Request) -> dict[str, object]:
    data = await read_json(request)
    return data if isinstance(data, dict) else {}


@operator_only
async def catalog(request: Request, operator: Record) -> Response:
    return JSONResponse({"tags": await _chat(request).tags.catalog()})


@admin_only
async def add(request: Request, operator: Record) -> Response:
    data = await _object(request)
    try:
        tag = await _chat(request).tags.add_to_catalog(
            data.get("name"), data.get("colour"), data.get("description"), operator)
    except BadTag as exc:
        return JSONResponse({"error": "bad_tag", "detail": str(exc)}, status_code=400)
    return JSONResponse({"tag": tag})


@admin_only
async def remove(request: Request, operator: Record) -> Response:
    if not await _chat(request).tags.remove_from_catalog(request.path_params["name"]):
        return json_error(404, "not_found")
    return JSONResponse({"ok": True})


@operator_only
async def set_for_conversation(request: Request, operator: Record) -> Response:
    """`{"tags": [...]}`: the conversation's tags become exactly these."""
    chat = _chat(request)
    conversation_id = int(request.path_params["id"])
    if await chat.store.get_conversation(conversation_id) is None:
        return json_error(404, "not_found")
    data = await _object(request)
    try:
        names = checked(data.get("tags"))
    except BadTag as exc:
        return JSONResponse({"error": "bad_tag", "detail": str(exc)}, status_code=400)
    return JSONResponse({"tags": await chat.tags.set(conversation_id, names, operator)})
