"""REST for the customer: their profile (every conversation with its tags, lasting notes,
the host product's attributes, reminders), notes, and attributes pushed by a back end.

A reader is addressed by the sidecar's reader id from the page, and by the host product's
user id (`/customers/{user_id}`) from a back end, which knows only its own ids."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from chat_server import attributes, auth, events
from chat_server.conversations import EMAIL, Chat
from chat_server.http_json import json_error, read_json
from chat_server.operator_auth import is_admin, operator_only
from chat_server.store import Record

MAX_NOTE_CHARS = 2000
MAX_USER_ID_CHARS = 200
MAX_NAME_CHARS = 200


def _chat(request: Request) -> Chat:
    chat: Chat = request.app.state.chat
    return chat


async def _object(request: Request) -> dict[str, Any]:
    data = await read_json(request)
    return data if isinstance(data, dict) else {}


async def profile_of(chat: Chat, reader: Record) -> Record:
    conversations = await chat.store.reader_conversations(reader["id"])
    tags = await chat.store.conversation_tags(c["id"] for c in conversations)
    path = [{"id": c["id"], "created_at": c["created_at"], "updated_at": c["updated_at"],
             "status": c["status"], "assignee_id": c["assignee_id"],
             "group_name": c["group_name"], "tags": tags[c["id"]]}
            for c in reversed(conversations)]  # oldest first: the customer's path
    return {"reader": {k: reader.get(k) for k in
                       ("id", "user_id", "name", "email", "attributes", "created_at",
                        "last_seen")},
            "conversations": path,
            "notes": await chat.store.customer_notes(reader["id"]),
            "reminders": await chat.store.reminders(reader_id=reader["id"])}


async def _reader(request: Request) -> Record | None:
    reader: Record | None = await _chat(request).store.get_reader(
        str(request.path_params["reader_id"])[:64])
    return reader


@operator_only
async def profile(request: Request, operator: Record) -> Response:
    reader = await _reader(request)
    if reader is None:
        return json_error(404, "not_found")
    return JSONResponse(await profile_of(_chat(request), reader))


@operator_only
async def add_note(request: Request, operator: Record) -> Response:
    chat = _chat(request)
    reader = await _reader(request)
    if reader is None:
        return json_error(404, "not_found")
    body = (await _object(request)).get("body")
    if not isinstance(body, str) or not body.strip():
        return json_error(400, "empty")
    if len(body) > MAX_NOTE_CHARS:
        return json_error(400, "too_long")
    note = await chat.store.add_customer_note(reader["id"], operator["id"], body.strip())
    await chat.broker.publish(events.OPERATORS, events.customer(reader["id"]))
    return JSONResponse({"note": note})


@operator_only
async def delete_note(request: Request, operator: Record) -> Response:
    """A lasting note is the team's record: its author or an admin may delete it."""
    chat = _chat(request)
    reader_id = str(request.path_params["reader_id"])[:64]
    note_id = int(request.path_params["id"])
    note = next((x for x in await chat.store.customer_notes(reader_id) if x["id"] == note_id), None)
    if note is None:
        return json_error(404, "not_found")
    if note["author_id"] != operator["id"] and not is_admin(operator):
        return json_error(403, "not_yours")
    if not await chat.store.delete_customer_note(reader_id, note_id):
        return json_error(404, "not_found")
    await chat.broker.publish(events.OPERATORS, events.customer(reader_id))
    return JSONResponse({"ok": True})


@operator_only
async def by_user(request: Request, operator: Record) -> Response:
    """GET: the profile of the host product's user; PUT: merge `attributes` (null removes a
    key), and `name`/`email` when given. A user who never opened the chat is created, so
    the facts are there when they first write."""
    chat = _chat(request)
    user_id = str(request.path_params["user_id"])
    if not user_id or len(user_id) > MAX_USER_ID_CHARS:
        return json_error(404, "not_found")
    if request.method == "GET":
        return await _existing_user(chat, user_id)
    data = await _object(request)
    changes = _user_changes(data)
    if changes is None:
        return json_error(400, "bad_attributes")
    reader = await chat.store.reader_for_user(user_id, auth.new_reader_id())
    if "attributes" in changes:
        changes["attributes"] = attributes.merged(reader["attributes"] or {},
                                                  changes["attributes"])
    if changes:
        await chat.store.update_reader(reader["id"], **changes)
        await chat.broker.publish(events.OPERATORS, events.customer(reader["id"]))
    fresh = await chat.store.get_reader(reader["id"]) or reader
    return JSONResponse(await profile_of(chat, fresh))


async def _existing_user(chat: Chat, user_id: str) -> Response:
    reader = await chat.store.reader_by_user(user_id)
    if reader is None:
        return json_error(404, "not_found")
    return JSONResponse(await profile_of(chat, reader))


def _user_changes(data: dict[str, Any]) -> dict[str, Any] | None:
    changes: dict[str, Any] = {}
    if "attributes" in data:
        if not isinstance(data["attributes"], dict):
            return None
        changes["attributes"] = data["attributes"]
    name, email = data.get("name"), data.get("email")
    if isinstance(name, str) and name.strip():
        changes["name"] = name.strip()[:MAX_NAME_CHARS]
    if isinstance(email, str) and email.strip():
        if not EMAIL.match(email.strip()):
            return None
        changes["email"] = email.strip()
    return changes
