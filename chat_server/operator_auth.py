"""Operator login, logout and the checks every operator request goes through.

Sessions are server-side (operator_sessions.py): every request looks its cookie up. Logins
back off per (email, address) (login_throttle.py) within a budget per address
(limits.LOGIN_ADDRESS); argon2 runs in threads (auth.Passwords), never on the event loop.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable

from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response

from chat_server import api_tokens, auth, limits
from chat_server.client_address import client_address
from chat_server.http_json import BodyError, json_error, read_json
from chat_server.operator_sessions import Session
from chat_server.origins import same_origin
from chat_server.protocol import MAX_ID
from chat_server.store import Record

Endpoint = Callable[[Request], Awaitable[Response]]


def operator_view(operator: Record) -> Record:
    return {k: operator[k] for k in ("id", "email", "name", "groups", "status", "role")}


async def current_session(conn: HTTPConnection) -> Session | None:
    """The live session the request's cookie names, with its enabled operator."""
    sessions = conn.app.state.sessions
    session: Session | None = await sessions.lookup(conn.cookies.get(auth.SESSION_COOKIE))
    return session


async def current_operator(conn: HTTPConnection) -> Record | None:
    session = await current_session(conn)
    return session.operator if session else None


def operator_only(endpoint: Callable[[Request, Record], Awaitable[Response]]) -> Endpoint:
    """Require a session (for state changes also same origin and the session's CSRF token),
    or an API token in `Authorization: Bearer` (api_tokens.py), which needs no CSRF."""

    async def wrapped(request: Request) -> Response:
        operator = await _authenticated(request)
        if isinstance(operator, Response):
            return operator
        if not ids_in_range(request):
            return json_error(404, "not_found")
        try:
            return await endpoint(request, operator)
        except BodyError as exc:
            return json_error(exc.status, exc.code)

    wrapped.__name__ = endpoint.__name__
    return wrapped


def admin_only(endpoint: Callable[[Request, Record], Awaitable[Response]]) -> Endpoint:
    """operator_only, for an admin: the team's shared tags (accounts, roles and tokens are the
    server owner's, through `python -m chat_server`)."""

    async def for_admins(request: Request, operator: Record) -> Response:
        if not is_admin(operator):
            return json_error(403, "admin_only")
        return await endpoint(request, operator)

    for_admins.__name__ = endpoint.__name__
    return operator_only(for_admins)


def is_admin(operator: Record) -> bool:
    return operator.get("role") == "admin"


async def _authenticated(request: Request) -> Record | Response:
    token = api_tokens.bearer(request)
    if token is not None:
        found = await api_tokens.token_operator(request, token) if token else None
        if found is None:
            return json_error(401, "bad_token")
        request.state.operator_session = None
        return found
    session = await current_session(request)
    if session is None:
        return json_error(401, "login_required")
    if request.method not in ("GET", "HEAD") and not (
            same_origin(request) and request.app.state.signer.check_csrf(
                session.id, request.headers.get(auth.CSRF_HEADER))):
        return json_error(403, "csrf")
    request.state.operator_session = session
    return session.operator


def ids_in_range(request: Request) -> bool:
    """Path ids ({id:int}) a row can have: a larger one would make the query raise."""
    return all(0 <= value <= MAX_ID for value in request.path_params.values()
               if isinstance(value, int))


def too_many_attempts(seconds: float) -> JSONResponse:
    response = json_error(429, "too_many_attempts")
    response.headers["Retry-After"] = str(max(1, math.ceil(seconds)))
    return response


def login_pair(request: Request, email: str) -> str:
    """What the back-off counts by: one address trying one email."""
    return f"{client_address(request)} {email}"


async def refuse_login(request: Request, email: str) -> Response | None:
    """429 while this address backs off on this email, or has spent its budget. The pair
    comes first: tries it refuses cost the address nothing, so an address's neighbours
    behind the same NAT keep their budget while one of them hammers one account."""
    wait = await request.app.state.login_throttle.attempt(login_pair(request, email))
    if wait > 0:
        return too_many_attempts(wait)
    if not await request.app.state.limits.allow(limits.LOGIN_ADDRESS, client_address(request)):
        return too_many_attempts(1 / limits.LOGIN_ADDRESS.rate)
    return None


async def login(request: Request) -> Response:
    if not same_origin(request):
        return json_error(403, "origin")
    try:
        data = await read_json(request, 4096)
    except BodyError as exc:
        return json_error(exc.status, exc.code)
    fields = data if isinstance(data, dict) else {}
    email, password = fields.get("email"), fields.get("password")
    # Strings only: str() of a 1000-deep list raises RecursionError.
    if not (isinstance(email, str) and isinstance(password, str)):
        return json_error(400, "bad_request")
    email, password = email.strip().lower()[:254], password[:1024]
    refused = await refuse_login(request, email)
    if refused is not None:
        return refused
    state = request.app.state
    operator = await state.chat.store.operator_by_email(email)
    right = await state.passwords.verify(operator["password_hash"] if operator else None,
                                         password)
    if not right or operator is None or operator["disabled"]:
        return json_error(401, "bad_credentials")
    await state.login_throttle.succeeded(login_pair(request, email))
    # Logging in is coming to work: online (until they say away), shown while a page is open.
    await state.chat.store.update_operator(operator["id"], status="online")
    operator = {**operator, "status": "online"}
    session_id = await state.sessions.start(operator)
    response = JSONResponse({"operator": operator_view(operator),
                             "csrf": state.signer.csrf_token(session_id)})
    response.set_cookie(
        auth.SESSION_COOKIE, session_id, max_age=auth.SESSION_MAX_AGE, httponly=True,
        samesite="strict", secure=state.chat.settings.secure_cookies, path="/",
    )
    return response


async def me(request: Request) -> Response:
    session = await current_session(request)
    if session is None:
        return json_error(401, "login_required")
    return JSONResponse({"operator": operator_view(session.operator),
                         "csrf": request.app.state.signer.csrf_token(session.id)})


@operator_only
async def logout(request: Request, operator: Record) -> Response:
    """Ends this session everywhere: its cookie stops working and its sockets close."""
    if request.state.operator_session is None:
        return json_error(400, "not_a_session")  # a token is revoked, not logged out
    await request.app.state.sessions.end(request.state.operator_session)
    # Offline now, not when the sockets' leases expire (presence.py).
    await request.app.state.chat.presence.logged_out(request.state.operator_session.hash)
    response = JSONResponse({"ok": True})
    response.delete_cookie(auth.SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response
