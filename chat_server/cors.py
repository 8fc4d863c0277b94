"""Origin checks and CORS for the public endpoints the static site calls from its pages."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from chat_server import limits
from chat_server.client_address import client_address
from chat_server.http_json import BodyError, read_json
from chat_server.origins import origin_allowed, request_origin


def origin_ok(request: Request) -> bool:
    """No Origin: not a browser page (curl, a server). Otherwise one of the site's origins."""
    return origin_allowed(request, request.app.state.chat.settings.origins)


def with_cors(request: Request, response: Response) -> Response:
    origin = request_origin(request)
    if origin is not None and origin_ok(request):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Methods"] = "GET, POST"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
        response.headers["Access-Control-Max-Age"] = "600"
    response.headers["Vary"] = "Origin"
    return response


async def preflight(request: Request) -> Response:
    if not origin_ok(request):
        return Response(status_code=403)
    return with_cors(request, Response(status_code=204))


async def public_refusal(request: Request, bucket: str) -> Response | None:
    """What every public endpoint does first: check the Origin and count the client against
    the endpoint's rate limit. A Response means: answer with it."""
    if not origin_ok(request):
        return JSONResponse({"error": "origin"}, status_code=403)
    client = client_address(request)
    if not await request.app.state.limits.allow(limits.PUBLIC, f"{bucket}:{client}"):
        return with_cors(request, JSONResponse({"error": "rate_limited"}, status_code=429))
    return None


async def public_json(request: Request, bucket: str, max_body: int) -> dict[str, object] | Response:
    """`public_refusal`, then a size-limited JSON object."""
    refused = await public_refusal(request, bucket)
    if refused is not None:
        return refused
    try:
        data = await read_json(request, max_body)
    except BodyError as exc:
        return with_cors(request, JSONResponse({"error": exc.code}, status_code=exc.status))
    return data if isinstance(data, dict) else {}
