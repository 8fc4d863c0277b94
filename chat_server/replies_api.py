"""REST for saved replies: the team's (from the build) and the operator's own, by keyword."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from builder.search.words import normalize_text
from chat_server import saved_replies
from chat_server.conversations import Chat
from chat_server.http_json import json_error, read_json
from chat_server.operator_auth import operator_only
from chat_server.store import DuplicateError, Record


def _chat(request: Request) -> Chat:
    chat: Chat = request.app.state.chat
    return chat


async def replies_for(chat: Chat, operator: Record, lang: str) -> list[dict[str, Any]]:
    personal = [saved_replies.personal_reply(r)
                for r in await chat.store.personal_replies(operator["id"], lang or None)]
    return personal + chat.team_replies.for_lang(lang)


@operator_only
async def listing(request: Request, operator: Record) -> Response:
    """`lang` (the conversation's; empty: all), `q` (a keyword; empty: every reply)."""
    chat = _chat(request)
    lang = request.query_params.get("lang", "")[:16]
    query = request.query_params.get("q", "")[:100]
    replies = await replies_for(chat, operator, lang)
    if query.strip():
        replies = saved_replies.find(replies, query, limit=50)
    return JSONResponse({"lang": lang, "q": query, "replies": replies})


def _fields(data: Any, languages: tuple[str, ...]) -> dict[str, str] | str:
    """The personal reply's fields, or the error code."""
    if not isinstance(data, dict):
        return "bad_reply"
    values = {k: data.get(k) for k in ("lang", "shortcut", "title", "body")}
    if not all(isinstance(v, str) and v.strip() for v in values.values()):
        return "missing_field"
    fields = {k: str(v).strip() for k, v in values.items()}
    fields["shortcut"] = normalize_text(fields["shortcut"]).lstrip("#/")
    if (len(fields["shortcut"]) > saved_replies.MAX_SHORTCUT_CHARS
            or " " in fields["shortcut"] or not fields["shortcut"]
            or len(fields["title"]) > saved_replies.MAX_TITLE_CHARS
            or len(fields["body"]) > saved_replies.MAX_BODY_CHARS
            or fields["lang"] not in languages):
        return "bad_reply"
    return fields


async def _save(request: Request, operator: Record, reply_id: int | None) -> Response:
    chat = _chat(request)
    fields = _fields(await read_json(request), chat.settings.languages)
    if isinstance(fields, str):
        return json_error(400, fields)
    try:
        saved = await chat.store.save_personal_reply(operator["id"], reply_id, **fields)
    except DuplicateError:
        return json_error(409, "shortcut_taken")
    if saved is None:
        return json_error(404, "not_found")
    return JSONResponse({"reply": saved_replies.personal_reply(saved)})


@operator_only
async def add(request: Request, operator: Record) -> Response:
    return await _save(request, operator, None)


@operator_only
async def edit(request: Request, operator: Record) -> Response:
    return await _save(request, operator, int(request.path_params["id"]))


@operator_only
async def delete(request: Request, operator: Record) -> Response:
    if not await _chat(request).store.delete_personal_reply(operator["id"],
                                                            int(request.path_params["id"])):
        return json_error(404, "not_found")
    return JSONResponse({"ok": True})
