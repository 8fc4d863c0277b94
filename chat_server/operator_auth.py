"""Operator login, logout and the checks every operator request goes through."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response

from chat_server import auth, limits
from chat_server.client_address import client_address
from chat_server.settings import origin_of
from chat_server.store import Record

MAX_JSON_BYTES = 32 * 1024
Endpoint = Callable[[Request], Awaitable[Response]]


def operator_view(operator: Record) -> Record:
    return {k: operator[k] for k in ("id", "email", "name", "groups", "status")}


async def current_operator(conn: HTTPConnection) -> Record | None:
    """The operator named by a valid session cookie, if their password has not changed."""
    session = conn.app.state.signer.session_operator(conn.cookies.get(auth.SESSION_COOKIE))
    if session is None:
        return None
    operator = await conn.app.state.chat.store.get_operator(session[0])
    if operator is None or operator["disabled"]:
        return None
    if not auth.password_matches_session(operator["password_hash"], session[1]):
        return None
    return operator


def same_origin(conn: HTTPConnection) -> bool:
    """State changes come from the operator page itself, never from another site."""
    origin = conn.headers.get("origin")
    if origin is None:
        return True  # not a browser; the CSRF token still has to match
    # A websocket handshake arrives as ws(s)://, the page that opens it is http(s)://.
    scheme = {"ws": "http", "wss": "https"}.get(conn.url.scheme, conn.url.scheme)
    own = f"{scheme}://{conn.headers.get('host', '')}".lower()
    return origin_of(origin) == own


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
        return json.loads(body or b"null")
    except ValueError as exc:
        raise BodyError(400, "bad_json") from exc


class BodyError(Exception):
    def __init__(self, status: int, code: str) -> None:
        super().__init__(code)
        self.status = status
        self.code = code


def operator_only(endpoint: Callable[[Request, Record], Awaitable[Response]]) -> Endpoint:
    """Require a session; for state changes also same origin and the CSRF header."""

    async def wrapped(request: Request) -> Response:
        operator = await current_operator(request)
        if operator is None:
            return json_error(401, "login_required")
        if request.method not in ("GET", "HEAD"):
            cookie = request.cookies.get(auth.SESSION_COOKIE)
            if not same_origin(request) or not request.app.state.signer.check_csrf(
                cookie, request.headers.get(auth.CSRF_HEADER)
            ):
                return json_error(403, "csrf")
        try:
            return await endpoint(request, operator)
        except BodyError as exc:
            return json_error(exc.status, exc.code)

    wrapped.__name__ = endpoint.__name__
    return wrapped


async def login(request: Request) -> Response:
    if not same_origin(request):
        return json_error(403, "origin")
    client = client_address(request)
    try:
        data = await read_json(request, 4096)
    except BodyError as exc:
        return json_error(exc.status, exc.code)
    if not isinstance(data, dict):
        return json_error(400, "bad_request")
    email = str(data.get("email", "")).strip().lower()[:254]
    password = str(data.get("password", ""))[:1024]
    budget = request.app.state.limits
    # Both the address and the account have a budget: guessing one password across many
    # accounts and many passwords for one account are both slowed down.
    if not (await budget.allow(limits.LOGIN, "ip:" + client)
            and await budget.allow(limits.LOGIN, "email:" + email)):
        return json_error(429, "too_many_attempts")
    operator = await request.app.state.chat.store.operator_by_email(email)
    password_hash = operator["password_hash"] if operator else auth.DUMMY_HASH
    if not auth.verify_password(password_hash, password) or operator is None or operator[
            "disabled"]:
        return json_error(401, "bad_credentials")
    cookie = request.app.state.signer.session(operator["id"], operator["password_hash"])
    response = JSONResponse({"operator": operator_view(operator),
                             "csrf": request.app.state.signer.csrf_token(cookie)})
    response.set_cookie(
        auth.SESSION_COOKIE, cookie, max_age=auth.SESSION_MAX_AGE, httponly=True,
        samesite="strict", secure=request.app.state.chat.settings.secure_cookies, path="/",
    )
    return response


async def me(request: Request) -> Response:
    operator = await current_operator(request)
    if operator is None:
        return json_error(401, "login_required")
    cookie = request.cookies.get(auth.SESSION_COOKIE, "")
    return JSONResponse({"operator": operator_view(operator),
                         "csrf": request.app.state.signer.csrf_token(cookie)})


@operator_only
async def logout(request: Request, operator: Record) -> Response:
    response = JSONResponse({"ok": True})
    response.delete_cookie(auth.SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response
