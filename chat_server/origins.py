"""The own-origin rule, once: which page may call the sidecar or open its sockets.

A browser names the page it runs in with the Origin header. The sidecar's own origin (scheme
and Host of the request, a websocket's ws(s) counted as http(s)) is always allowed; the site's
origins (settings.origins) are allowed where readers come from. No Origin at all is not a
browser page, so no page's cookies or tokens ride along.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection

from chat_server.settings import origin_of


def own_origin(conn: HTTPConnection) -> str:
    scheme = {"ws": "http", "wss": "https"}.get(conn.url.scheme, conn.url.scheme)
    return f"{scheme}://{conn.headers.get('host', '')}".lower()


def request_origin(conn: HTTPConnection) -> str | None:
    """The Origin header, normalised (None when there is none)."""
    origin = conn.headers.get("origin")
    return None if origin is None else (origin_of(origin) or origin.lower())


def origin_allowed(conn: HTTPConnection, allowed: frozenset[str]) -> bool:
    """No Origin, the sidecar's own, or one of `allowed` (the help center's origins)."""
    origin = request_origin(conn)
    return origin is None or origin == own_origin(conn) or origin in allowed


def same_origin(conn: HTTPConnection) -> bool:
    """State changes come from the operator page itself, never from another site (a request
    without Origin is not a browser's; the CSRF token still has to match)."""
    return origin_allowed(conn, frozenset())
