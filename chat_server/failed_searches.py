"""Searches that found nothing: reported by readers' browsers, a backlog for writers."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from datetime import UTC, datetime
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from chat_server.conversations import Chat
from chat_server.cors import public_json, with_cors
from chat_server.http_json import json_error, read_json
from chat_server.operator_auth import operator_only
from chat_server.store import Record

MAX_BODY = 2048
MAX_QUERY = 200
_SPACE = re.compile(r"\s+")
_EDGE_PUNCTUATION = "\"'«»“”„.,;:!?()[]{}<>-–—/\\|*_`~"


def normalise(query: str) -> str:
    """One spelling per question: NFKC, case-folded, ё as е, spaces collapsed, edges trimmed."""
    text = unicodedata.normalize("NFKC", query).casefold().replace("ё", "е")
    text = _SPACE.sub(" ", text).strip().strip(_EDGE_PUNCTUATION).strip()
    return text[:MAX_QUERY]


def page_path(page: str) -> str:
    """Keep the path of the page only: queries and fragments may carry personal data."""
    return urlsplit(page.strip()).path[:300]


async def report(request: Request) -> Response:
    chat: Chat = request.app.state.chat
    data = await public_json(request, "search", MAX_BODY)
    if isinstance(data, Response):
        return data
    lang, query, page = data.get("lang"), data.get("query"), data.get("page", "")
    if lang not in chat.settings.languages or not isinstance(query, str):
        return with_cors(request, JSONResponse({"error": "bad_request"}, status_code=400))
    text = normalise(query)
    if len(text) < 2:
        return with_cors(request, JSONResponse({"error": "too_short"}, status_code=400))
    saved = await chat.store.record_failed_search(
        str(lang), text, page_path(page) if isinstance(page, str) else "")
    return with_cors(request, JSONResponse({"query": saved["query"], "count": saved["count"]},
                                           status_code=202))


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds")


def _cell(value: object) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas: neutralise them."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(rows: list[Record]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["lang", "query", "count", "first_seen", "last_seen", "pages",
                     "answered_by"])
    for row in rows:
        writer.writerow([_cell(row["lang"]), _cell(row["query"]), row["count"],
                         _iso(row["first_seen"]), _iso(row["last_seen"]),
                         _cell(" ".join(row["pages"])), _cell(row["answered_by"] or "")])
    return out.getvalue()


@operator_only
async def listing(request: Request, operator: Record) -> Response:
    chat: Chat = request.app.state.chat
    lang = request.query_params.get("lang") or None
    answered = request.query_params.get("answered") in ("1", "true")
    rows = await chat.store.failed_searches(lang, answered=answered)
    if request.query_params.get("format") == "csv":
        return Response(to_csv(rows), media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": 'attachment; filename="failed-searches.csv"'})
    return JSONResponse({"failed_searches": rows})


@operator_only
async def answer(request: Request, operator: Record) -> Response:
    chat: Chat = request.app.state.chat
    data = await read_json(request)
    article_id = data.get("article_id") if isinstance(data, dict) else None
    if article_id is not None and (not isinstance(article_id, str) or len(article_id) > 300):
        return json_error(400, "bad_article_id")
    try:
        search_id = int(request.path_params["id"])
    except ValueError:
        return json_error(404, "not_found")
    if not await chat.store.answer_failed_search(search_id, article_id):
        return json_error(404, "not_found")
    return JSONResponse({"ok": True})
