"""REST for the operator page: lists, a conversation with its context, and the same actions
as the websocket (for scripts and for a page whose socket is reconnecting)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from chat_server.conversations import Chat, NotFound
from chat_server.http_json import json_error, read_json
from chat_server.operator_auth import operator_only, operator_view
from chat_server.protocol import MAX_BODY_CHARS, MAX_ID, PRESENCE_STATES
from chat_server.store import Record
from chat_server.store.base import INBOX_SORTS, INBOX_VIEWS


def _chat(request: Request) -> Chat:
    chat: Chat = request.app.state.chat
    return chat


def _int(value: str | None, default: int = 0) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


@operator_only
async def inbox(request: Request, operator: Record) -> Response:
    """A page of a view (`view`, `sort` = recent | waiting, `offset`, `limit` ≤ 500, `tag`),
    or the rows of some conversations (`ids=1,2,3`: ones a page heard of and has no row
    for). Each row carries its tags."""
    params = request.query_params
    view, sort = params.get("view", "open"), params.get("sort", "recent")
    if view not in INBOX_VIEWS or sort not in INBOX_SORTS:
        return json_error(400, "bad_view")
    ids = _ids(params.get("ids"))
    limit = min(max(_int(params.get("limit"), 100), 1), 500)
    offset = min(max(_int(params.get("offset"), 0), 0), 1_000_000)
    tag = params.get("tag") or None
    if tag is not None and len(tag) > 120:
        return json_error(400, "bad_tag")
    store = _chat(request).store
    rows = await store.inbox(view, operator["id"], limit + 1, offset, sort, ids, tag)
    tags = await store.conversation_tags(r["id"] for r in rows[:limit])
    for row in rows[:limit]:
        row["tags"] = tags[row["id"]]
    return JSONResponse({"view": view, "sort": sort, "offset": offset, "tag": tag,
                         "conversations": rows[:limit], "more": len(rows) > limit,
                         "counts": await store.inbox_counts(operator["id"])})


def _ids(text: str | None) -> list[int] | None:
    if text is None:
        return None
    return [n for n in (_int(part, -1) for part in text.split(",")[:200]) if 0 <= n <= MAX_ID]


@operator_only
async def conversation(request: Request, operator: Record) -> Response:
    chat = _chat(request)
    found = await chat.store.get_conversation(_int(request.path_params["id"]))
    if found is None:
        return json_error(404, "not_found")
    reader = await chat.store.get_reader(found["reader_id"])
    earlier = [c for c in await chat.store.reader_conversations(found["reader_id"])
               if c["id"] != found["id"]]
    messages = await chat.store.messages_after(found["id"], 0, internal=True)
    tags = await chat.store.conversation_tags([found["id"]])
    return JSONResponse({"conversation": {**found, "tags": tags[found["id"]]},
                         "reader": reader, "earlier": earlier,
                         "messages": await chat.views.for_operators(messages),
                         "actions": await chat.store.actions(found["id"]),
                         "reminders": await chat.store.reminders(reader_id=found["reader_id"])})


async def _body(request: Request) -> dict[str, object]:
    data = await read_json(request)
    return data if isinstance(data, dict) else {}


async def _post(request: Request, operator: Record, internal: bool) -> Response:
    data = await _body(request)
    body = data.get("body")
    client_id = data.get("client_id")
    if not isinstance(body, str) or not body.strip() or len(body) > MAX_BODY_CHARS:
        return json_error(400, "bad_body")
    if client_id is not None and (not isinstance(client_id, str) or len(client_id) > 64):
        return json_error(400, "bad_client_id")
    try:
        posted = await _chat(request).operator_message(
            operator, _int(request.path_params["id"]), body, client_id, internal)
    except NotFound:
        return json_error(404, "not_found")
    return JSONResponse({"message": posted.message, "created": posted.created,
                         "conversation": posted.conversation, "was": posted.was},
                        status_code=201 if posted.created else 200)


@operator_only
async def reply(request: Request, operator: Record) -> Response:
    return await _post(request, operator, internal=False)


@operator_only
async def note(request: Request, operator: Record) -> Response:
    return await _post(request, operator, internal=True)


@operator_only
async def assign(request: Request, operator: Record) -> Response:
    data = await _body(request)
    target = data.get("operator_id", operator["id"])
    if target is not None and (isinstance(target, bool) or not isinstance(target, int)
                               or not 0 <= target <= MAX_ID):
        return json_error(400, "bad_operator_id")
    try:
        found = await _chat(request).assign(_int(request.path_params["id"]), target, operator)
    except NotFound:
        return json_error(404, "not_found")
    return JSONResponse({"conversation": found})


async def _status(request: Request, operator: Record, status: str) -> Response:
    try:
        found = await _chat(request).set_status(_int(request.path_params["id"]), status,
                                                operator)
    except NotFound:
        return json_error(404, "not_found")
    return JSONResponse({"conversation": found})


@operator_only
async def close(request: Request, operator: Record) -> Response:
    return await _status(request, operator, "closed")


@operator_only
async def reopen(request: Request, operator: Record) -> Response:
    return await _status(request, operator, "open")


@operator_only
async def presence(request: Request, operator: Record) -> Response:
    data = await _body(request)
    if data.get("status") not in PRESENCE_STATES:
        return json_error(400, "bad_status")
    await _chat(request).presence.set_presence(operator["id"], str(data["status"]))
    return JSONResponse({"status": data["status"]})


@operator_only
async def operators(request: Request, operator: Record) -> Response:
    chat = _chat(request)
    online = {o["id"] for o in await chat.presence.online_operators()}
    return JSONResponse({"operators": [
        {**operator_view(o), "online": o["id"] in online}
        for o in await chat.store.list_operators() if not o["disabled"]]})


@operator_only
async def articles(request: Request, operator: Record) -> Response:
    """The help center's articles for `q` in `lang`, as the site's search finds them."""
    chat = _chat(request)
    lang = request.query_params.get("lang", "")[:16]
    query = request.query_params.get("q", "")[:300]
    if lang not in chat.settings.languages:
        return json_error(400, "bad_lang")
    return JSONResponse({"articles": await chat.article_search.search(lang, query)})
