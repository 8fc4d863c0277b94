"""REST for reminders: the due list (`due=today` is everything due by the end of today in
the team's time zone, overdue included; `due=overdue` what is past due now; `due=all` every
open one), making one, and done / moved / given to another."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from chat_server.conversations import Chat
from chat_server.http_json import json_error, read_json
from chat_server.operator_auth import operator_only
from chat_server.reminders import BadReminder
from chat_server.store import Record
from chat_server.store.rows import now_ms

DUE = ("today", "overdue", "all")


def _chat(request: Request) -> Chat:
    chat: Chat = request.app.state.chat
    return chat


async def _object(request: Request) -> dict[str, Any]:
    data = await read_json(request)
    return data if isinstance(data, dict) else {}


def end_of_today(timezone: str, now: datetime | None = None) -> int:
    zone = ZoneInfo(timezone)
    local = (now or datetime.now(UTC)).astimezone(zone)
    end = datetime.combine(local.date() + timedelta(days=1), time(0), zone)
    return int(end.timestamp() * 1000)


@operator_only
async def listing(request: Request, operator: Record) -> Response:
    """`owner=me` (default) or `any`."""
    chat = _chat(request)
    due = request.query_params.get("due", "today")
    owner = request.query_params.get("owner", "me")
    if due not in DUE or owner not in ("me", "any"):
        return json_error(400, "bad_filter")
    before = {"today": end_of_today(chat.settings.timezone), "overdue": now_ms(),
              "all": None}[due]
    found = await chat.store.reminders(
        owner_id=operator["id"] if owner == "me" else None, due_before=before)
    readers = {r["reader_id"] for r in found}
    names = {rid: await chat.store.get_reader(rid) for rid in readers}
    for reminder in found:
        reader = names.get(reminder["reader_id"]) or {}
        reminder["reader_name"] = reader.get("name") or ""
        reminder["reader_email"] = reader.get("email") or ""
    return JSONResponse({"due": due, "reminders": found, "now": now_ms()})


@operator_only
async def add(request: Request, operator: Record) -> Response:
    try:
        made = await _chat(request).reminders.add(operator, await _object(request))
    except BadReminder as exc:
        return JSONResponse({"error": "bad_reminder", "detail": str(exc)}, status_code=400)
    return JSONResponse({"reminder": made})


@operator_only
async def change(request: Request, operator: Record) -> Response:
    try:
        changed = await _chat(request).reminders.change(int(request.path_params["id"]),
                                                        await _object(request))
    except BadReminder as exc:
        return JSONResponse({"error": "bad_reminder", "detail": str(exc)}, status_code=400)
    if changed is None:
        return json_error(404, "not_found")
    return JSONResponse({"reminder": changed})
