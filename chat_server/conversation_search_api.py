"""`GET /api/operator/conversations`: search every conversation, as JSON pages or as a CSV or
XLSX export of the whole result (up to export.EXPORT_CAP rows).

Parameters (all optional, every one narrows): `q` (words, in any of their forms, all in one
message or note), `tag` (repeatable: all of them), `operator` (an operator's id, or `none`
for unassigned), `group`, `state` (open | snoozed | closed), `from` and `to` (YYYY-MM-DD, UTC,
both inclusive, on the day the conversation started), `rating` (happy | neutral | sad),
`limit` (1-100, JSON only), `offset`, `format` (json | csv | xlsx) and `lang` (ru | en: the
export's column names). A bad value is 400 with `bad_<parameter>`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from chat_server import export
from chat_server.conversations import RATING_VALUES
from chat_server.http_json import json_error
from chat_server.operator_auth import operator_only
from chat_server.protocol import MAX_ID
from chat_server.store import Record, Store
from chat_server.store.conversation_search import SearchFilters

STATES = ("open", "snoozed", "closed")
FORMATS = ("json", "csv", "xlsx")
MAX_Q_CHARS = 200
MAX_TAGS, MAX_TAG_CHARS, MAX_GROUP_CHARS = 5, 40, 64
MAX_LIMIT, DEFAULT_LIMIT, MAX_OFFSET = 100, 20, 1_000_000
# Every parameter parse() reads; docs/protocol.md lists the same (a test keeps them equal).
PARAMETERS = ("q", "tag", "operator", "group", "state", "from", "to", "rating", "limit",
              "offset", "format", "lang")


class BadParameter(ValueError):
    """A query parameter out of shape; its name makes the error code."""


@dataclass(frozen=True)
class SearchRequest:
    filters: SearchFilters
    limit: int
    offset: int
    format: str
    lang: str


@operator_only
async def conversations(request: Request, operator: Record) -> Response:
    try:
        wanted = parse(request.query_params)
    except BadParameter as exc:
        return json_error(400, f"bad_{exc}")
    store: Store = request.app.state.chat.store
    if wanted.format == "json":
        hits, total = await store.search_conversations(wanted.filters, wanted.limit,
                                                       wanted.offset)
        return JSONResponse({"hits": hits, "total": total, "limit": wanted.limit,
                             "offset": wanted.offset,
                             "more": wanted.offset + len(hits) < total})
    return await _export(store, wanted)


async def _export(store: Store, wanted: SearchRequest) -> Response:
    hits, total = await store.search_conversations(wanted.filters, export.EXPORT_CAP, 0,
                                                   snippets=False)
    write, media = ((export.to_csv, export.CSV_TYPE) if wanted.format == "csv"
                    else (export.to_xlsx, export.XLSX_TYPE))
    # 10,000 rows take up to ~1.5 s of openpyxl: off the event loop, which serves the chat.
    body = await asyncio.to_thread(write, hits, total, wanted.lang)
    suffix = wanted.format
    name = f"conversations-{datetime.now(UTC):%Y-%m-%d}.{suffix}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"',
               "X-Total-Count": str(total), "X-Export-Rows": str(len(hits)),
               "Cache-Control": "no-store"}
    if total > len(hits):
        headers["X-Export-Truncated"] = "true"
    return Response(body, media_type=media, headers=headers)


def parse(params: QueryParams) -> SearchRequest:
    """The request's parameters, checked; BadParameter names the first bad one."""
    q = params.get("q", "")
    if len(q) > MAX_Q_CHARS:
        raise BadParameter("q")
    start, end = _day(params, "from"), _day(params, "to")
    if start is not None and end is not None and start > end:
        raise BadParameter("to")
    operator = params.get("operator")
    filters = SearchFilters(
        q=q, tags=_tags(params.getlist("tag")),
        operator_id=None if operator in (None, "none") else _int(operator, "operator", MAX_ID),
        unassigned=operator == "none",
        group=_text(params, "group", MAX_GROUP_CHARS),
        state=_choice(params, "state", STATES), rating=_choice(params, "rating", RATING_VALUES),
        created_from=_ms(start), created_to=_day_after(end))
    limit = params.get("limit")
    offset = params.get("offset")
    return SearchRequest(
        filters=filters,
        limit=DEFAULT_LIMIT if limit is None else _int(limit, "limit", MAX_LIMIT, low=1),
        offset=0 if offset is None else _int(offset, "offset", MAX_OFFSET),
        format=_choice(params, "format", FORMATS) or "json",
        lang=_choice(params, "lang", ("en", "ru")) or "en")


def _int(text: str, name: str, high: int, low: int = 0) -> int:
    if not text.isascii() or not text.isdigit() or not low <= int(text) <= high:
        raise BadParameter(name)
    return int(text)


def _choice(params: QueryParams, name: str, allowed: tuple[str, ...]) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if value not in allowed:
        raise BadParameter(name)
    return value


def _text(params: QueryParams, name: str, limit: int) -> str | None:
    value = params.get(name)
    if value is not None and not _plain(value, limit):
        raise BadParameter(name)
    return value or None


def _tags(values: list[str]) -> tuple[str, ...]:
    tags = tuple(dict.fromkeys(v for v in values if v))
    if len(tags) > MAX_TAGS or not all(_plain(tag, MAX_TAG_CHARS) for tag in tags):
        raise BadParameter("tag")
    return tags


def _plain(value: str, limit: int) -> bool:
    """A name to compare: not too long, and no control characters (PostgreSQL's text cannot
    even hold a NUL, so the query would fail instead of finding nothing)."""
    return len(value) <= limit and value.isprintable()


def _day(params: QueryParams, name: str) -> date | None:
    value = params.get(name)
    if not value:
        return None
    try:
        if len(value) != 10:  # fromisoformat also takes 20261204, which nobody means here
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise BadParameter(name) from None


def _day_after(day: date | None) -> int | None:
    """`to` is inclusive: the search stops where the next day starts."""
    if day is None:
        return None
    if day == date.max:
        raise BadParameter("to")
    return _ms(day + timedelta(days=1))


def _ms(day: date | None) -> int | None:
    if day is None:
        return None
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)
