"""API tokens for scripts and the host product's back end: `Authorization: Bearer …`.

A token is shown once when it is made (`python -m chat_server add-token`); the store keeps
only its SHA-256, so a copy of the database gives nobody a working token. A token acts as
its operator with that operator's role, needs no CSRF token (no browser sends it by
itself), and stops working when it is revoked or its operator is disabled.
"""

from __future__ import annotations

import hashlib
import secrets

from starlette.requests import HTTPConnection

from chat_server import limits
from chat_server.client_address import client_address
from chat_server.store import Record

PREFIX = "hct_"  # tells a help-center token apart in a leaked-secrets scan
MAX_TOKEN_CHARS = 100


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def bearer(conn: HTTPConnection) -> str | None:
    """The token of an `Authorization: Bearer` header; '' for a header of another kind."""
    header = conn.headers.get("authorization")
    if header is None:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


async def token_operator(conn: HTTPConnection, token: str) -> Record | None:
    """The token's operator; guesses are limited per address (in Redis when shared)."""
    if not await conn.app.state.limits.allow(limits.TOKEN, client_address(conn)):
        return None
    if not token.startswith(PREFIX) or len(token) > MAX_TOKEN_CHARS:
        return None
    found: Record | None = await conn.app.state.chat.store.token_operator(token_hash(token))
    return found
