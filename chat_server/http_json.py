"""JSON over HTTP for every endpoint: reading a bounded body, answering an error by its code."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse

MAX_JSON_BYTES = 32 * 1024


class BodyError(Exception):
    def __init__(self, status: int, code: str) -> None:
        super().__init__(code)
        self.status = status
        self.code = code


def json_error(status: int, code: str) -> JSONResponse:
    return JSONResponse({"error": code}, status_code=status)


async def read_json(request: Request, limit: int = MAX_JSON_BYTES) -> Any:
    """The request body as JSON, refusing oversize bodies before reading them whole."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise BodyError(413, "too_large")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BodyError(413, "too_large")
    try:
        # orjson: nesting deeper than 1024 is an error like any other (json.loads raised
        # RecursionError), and so is an integer over 64 bits.
        return orjson.loads(body or b"null")
    except orjson.JSONDecodeError as exc:
        raise BodyError(400, "bad_json") from exc
