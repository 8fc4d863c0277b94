"""Attachments: files in a conversation, seen only by its reader and the operators.

The type is decided by the file's bytes (file_kinds.detect), never by its name or the
browser's claim; chat.attachments_kinds says which kinds pass, and none that can run script
ever does (no SVG, no HTML). Only images are shown inline; everything else downloads. The bodies
live where CHAT_ATTACHMENTS_URL says (blob_store.py: the data folder, a shared folder, the
database or S3), the same checks before each. Readers fetch them by a URL signed for their
reader id (an <img> cannot send the token); operators by their session cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import time
import unicodedata
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from chat_server import file_kinds, limits
from chat_server.attachment_urls import reader_signature
from chat_server.blob_store import BlobMissing, BlobStore, BlobUnavailable
from chat_server.client_address import client_address
from chat_server.conversations import Chat, NotFound
from chat_server.cors import origin_ok, with_cors
from chat_server.http_json import json_error
from chat_server.operator_auth import current_operator, operator_only
from chat_server.protocol import MAX_ID
from chat_server.store import Record
from chat_server.views import public_conversation

log = logging.getLogger(__name__)

MIB = 1024 * 1024
MAX_BYTES = 10 * MIB
DAY_MS = 24 * 3600 * 1000


def sniff(head: bytes) -> str | None:
    """The type of an image or PDF by its first bytes (what the store held before other
    kinds were accepted); file_kinds.detect decides uploads."""
    found = file_kinds.detect(head, "")
    return found.content_type if found and found.kind in ("image", "pdf") else None


def refused_type(allowed: tuple[str, ...]) -> JSONResponse:
    """415 with the kinds that would pass, so the widget and the page can name them."""
    return JSONResponse({"error": "type_not_allowed", "allowed": list(allowed)},
                        status_code=415)


def clean_name(name: str) -> str:
    name = unicodedata.normalize("NFC", Path(name or "file").name)
    name = re.sub(r"[\x00-\x1f\x7f/\\]", "", name).strip() or "file"
    return name[-200:]


async def _read_upload(request: Request) -> tuple[dict[str, Any], UploadFile] | Response:
    declared = request.headers.get("content-length", "")
    if not declared.isdigit() or int(declared) > MAX_BYTES + 64 * 1024:
        return json_error(413, "too_large")
    form = await request.form(max_files=1, max_fields=5, max_part_size=64 * 1024)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        return json_error(400, "no_file")
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    return fields, upload


def address_key(secret_key: str, address: str) -> str:
    """A client address as the per-address quota counts it: keyed and hashed, so the table
    of attachments keeps no one's address."""
    text = f"upload-address:{address}".encode()
    return hmac.new(secret_key.encode(), text, hashlib.sha256).hexdigest()[:32]


async def _over_quota(chat: Chat, size: int, reader_id: str | None,
                      address: str | None) -> Response | None:
    """None when `size` more bytes fit: the total for all attachments, and a reader's and a
    client address's bytes of the last 24 hours (counted in the store, so they hold across
    processes and restarts). Concurrent uploads may pass one check together and overshoot by
    a file each; the upload rate limit keeps that to a few files."""
    settings = chat.settings
    used = await chat.store.attachment_usage(int(time.time() * 1000) - DAY_MS,
                                             reader_id or "", address or "")
    if used["total"] + size > settings.attachments_total_mib * MIB:
        log.warning("attachments: %d MiB used, chat.attachments_total_mib is %d: refusing "
                    "uploads", used["total"] // MIB, settings.attachments_total_mib)
        return json_error(507, "storage_full")
    if reader_id is not None and used["reader"] + size > (
            settings.attachments_reader_mib_per_day * MIB):
        return json_error(429, "daily_quota")
    if address is not None and used["address"] + size > (
            settings.attachments_address_mib_per_day * MIB):
        return json_error(429, "daily_quota")
    return None


async def _store(chat: Chat, blobs: BlobStore, conversation: Record, upload: UploadFile,
                 kind: str, author_id: str, client_id: str | None, address: str | None = None
                 ) -> Record | Response:
    """Keep an upload: checked, counted against the quotas, its body stored, then its
    message. `address` is the reader's address key (None for operators, who have no daily
    quota)."""
    data = await upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        return json_error(413, "too_large")
    name = clean_name(upload.filename or "file")
    allowed = chat.settings.attachments_kinds
    found = file_kinds.detect(data, name)
    if found is None or found.kind not in allowed:
        return refused_type(allowed)
    content_type = found.content_type
    refused = await _over_quota(chat, len(data), author_id if kind == "reader" else None,
                                address)
    if refused is not None:
        return refused
    attachment_id = "a_" + secrets.token_urlsafe(18)
    try:
        await blobs.put(attachment_id, data)  # before the row: no row without its body
    except (BlobUnavailable, OSError) as exc:
        log.error("attachments: %s store refused a body: %s", blobs.name, exc)
        return json_error(503, "storage_unavailable")
    await chat.store.add_attachment({
        "id": attachment_id, "conversation_id": conversation["id"], "uploader_kind": kind,
        "uploader_id": author_id, "name": name, "content_type": content_type,
        "size": len(data), "uploader_address": address or ""})
    message, _created = await chat.attachment_message(conversation, kind, author_id, name,
                                                      client_id, attachment_id)
    return message


async def reader_upload(request: Request) -> Response:
    """POST /api/attachments: multipart `token`, `conversation_id`, `client_id`, `file`."""
    chat: Chat = request.app.state.chat
    if not origin_ok(request):
        return JSONResponse({"error": "origin"}, status_code=403)
    client = client_address(request)
    if not await request.app.state.limits.allow(limits.UPLOAD, client, cost=5):
        return with_cors(request, json_error(429, "rate_limited"))
    address = address_key(chat.settings.secret_key, client)
    # Before the body is read: a client whose day is used up sends its 10 MiB for nothing.
    declared = request.headers.get("content-length", "")
    refused = await _over_quota(chat, int(declared) if declared.isdigit() else 0, None, address)
    if refused is not None:
        return with_cors(request, refused)
    parsed = await _read_upload(request)
    if isinstance(parsed, Response):
        return with_cors(request, parsed)
    fields, upload = parsed
    reader_id = request.app.state.signer.reader_id(fields.get("token"))
    if reader_id is None:
        return with_cors(request, json_error(401, "token"))
    # A reader with a token but no row yet (they only said hello) owns no conversation.
    reader = await chat.store.get_reader(reader_id) or {"id": reader_id}
    try:
        conversation_id = int(fields.get("conversation_id", "0"))
        if not 0 <= conversation_id <= MAX_ID:  # names no row, and the query would raise
            raise ValueError(conversation_id)
        conversation = await chat.own_conversation(reader, conversation_id)
    except (NotFound, ValueError):
        return with_cors(request, json_error(404, "not_found"))
    client_id = (fields.get("client_id") or "")[:64] or None
    result = await _store(chat, request.app.state.blobs, conversation, upload, "reader",
                          reader["id"], client_id, address)
    if isinstance(result, Response):
        return with_cors(request, result)
    [shown] = await chat.views.for_reader([result], reader["id"])
    return with_cors(request, JSONResponse({
        "message": shown,
        "conversation": public_conversation(conversation)}, status_code=201))


@operator_only
async def operator_upload(request: Request, operator: Record) -> Response:
    chat: Chat = request.app.state.chat
    conversation = await chat.store.get_conversation(int(request.path_params["id"]))
    if conversation is None:
        return json_error(404, "not_found")
    parsed = await _read_upload(request)
    if isinstance(parsed, Response):
        return parsed
    fields, upload = parsed
    client_id = (fields.get("client_id") or "")[:64] or None
    result = await _store(chat, request.app.state.blobs, conversation, upload, "operator",
                          str(operator["id"]), client_id)
    if isinstance(result, Response):
        return result
    [shown] = await chat.views.for_operators([result])
    return JSONResponse({"message": shown}, status_code=201)


async def download(request: Request) -> Response:
    chat: Chat = request.app.state.chat
    attachment_id = request.path_params["id"]
    record = (await chat.store.get_attachments([attachment_id])).get(attachment_id)
    if record is None:
        return json_error(404, "not_found")
    signature = request.query_params.get("v")
    if signature:
        conversation = await chat.store.get_conversation(record["conversation_id"])
        expected = reader_signature(chat.settings.secret_key, attachment_id,
                                    conversation["reader_id"]) if (
            conversation) else ""
        # As bytes: compare_digest raises on a str that is not ASCII (?v=ü).
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            return json_error(403, "forbidden")
    elif await current_operator(request) is None:
        return json_error(403, "forbidden")
    body = await _opened(request.app.state.blobs, attachment_id)
    if isinstance(body, Response):
        return body
    disposition = "inline" if record["content_type"].startswith("image/") else "attachment"
    return StreamingResponse(body, media_type=record["content_type"], headers={
        "Content-Length": str(record["size"]),
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(record['name'])}",
        # Even if a browser were talked into rendering it as a page, nothing could run.
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, max-age=86400",
        "Cross-Origin-Resource-Policy": "cross-origin",
    })


async def _opened(blobs: BlobStore, attachment_id: str) -> AsyncIterator[bytes] | Response:
    """The body's chunks, its first one already read: a missing body or an unreachable store
    answers 404 or 503 before a 200 has been sent."""
    chunks = blobs.chunks(attachment_id)
    try:
        first = await anext(chunks, b"")
    except BlobMissing:
        log.error("attachments: %s has a row but no body in the %s store", attachment_id,
                  blobs.name)
        return json_error(404, "not_found")
    except (BlobUnavailable, OSError) as exc:
        log.error("attachments: %s store unreachable: %s", blobs.name, exc)
        return json_error(503, "storage_unavailable")

    async def rest() -> AsyncIterator[bytes]:
        yield first
        async for block in chunks:
            yield block

    return rest()
