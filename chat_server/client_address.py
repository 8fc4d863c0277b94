"""Who is on the other end: the client's address and scheme, past the proxies we trust.

Every per-address limit keys on `client_address(conn)`. `X-Forwarded-For` and
`X-Forwarded-Proto` are believed only from the proxies named in CHAT_TRUSTED_PROXIES (none by
default): from anyone else they are text a client typed. uvicorn's own proxy handling trusts
127.0.0.1 unless told otherwise and takes a malformed entry as an address, so the sidecar runs
uvicorn without it and `ForwardedHeaders` (below) does the job inside the app, where
in-process tests see it too.

`X-Forwarded-For` is read from the right: each proxy appends the peer it saw, so the first
address that is not a trusted proxy is the client, whatever the client wrote to its left.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_HOPS = 32  # a longer chain is not a deployment; stop reading instead of paying for it
SCHEMES = {"http": "http", "https": "https", "ws": "http", "wss": "https"}


@dataclass(frozen=True)
class TrustedProxies:
    networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> TrustedProxies:
        """'10.0.0.1', '10.0.0.0/8', '2001:db8::/32'; ValueError names a bad entry."""
        networks = []
        for entry in entries:
            try:
                networks.append(ipaddress.ip_network(entry.strip(), strict=False))
            except ValueError as exc:
                raise ValueError(f"{entry.strip()!r} is not an IP address or network") from exc
        return cls(tuple(networks))

    def __bool__(self) -> bool:
        return bool(self.networks)

    def trusts(self, address: Address) -> bool:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        return any(address in network for network in self.networks)


def parse_address(text: str) -> Address | None:
    """An address as proxies write it: '203.0.113.5', '203.0.113.5:4711', '[2001:db8::1]:443'."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def forwarded_client(peer: str, forwarded_for: str, proxies: TrustedProxies) -> str:
    """The client's address: `peer` itself, unless it is a trusted proxy that said whom it
    forwards in `forwarded_for`."""
    address = parse_address(peer)
    if address is None or not proxies.trusts(address):
        return peer
    current = str(address)
    for entry in reversed(forwarded_for.split(",")[-MAX_HOPS:]):
        address = parse_address(entry)
        if address is None:  # "unknown", an obfuscated name: the hop before it is all we know
            break
        current = str(address)
        if not proxies.trusts(address):
            break
    return current


def forwarded_scheme(forwarded_proto: str) -> str | None:
    """http or https from the nearest proxy's X-Forwarded-Proto (the rightmost value)."""
    return SCHEMES.get(forwarded_proto.rpartition(",")[2].strip().lower())


class ForwardedHeaders:
    """ASGI middleware: for a connection from a trusted proxy, the scope's `client` and
    `scheme` become the client's, so the origin checks (which compare the page's Origin with
    scheme://Host) see https behind a TLS proxy, and the limits see the reader."""

    def __init__(self, app: ASGIApp, proxies: TrustedProxies) -> None:
        self.app = app
        self.proxies = proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.proxies and scope["type"] in ("http", "websocket") and scope.get("client"):
            peer = parse_address(scope["client"][0])
            if peer is not None and self.proxies.trusts(peer):
                scope = self._as_forwarded(scope, str(peer))
        await self.app(scope, receive, send)

    def _as_forwarded(self, scope: Scope, peer: str) -> Scope:
        forwarded_for: list[str] = []
        proto = ""
        for name, value in scope["headers"]:
            if name == b"x-forwarded-for":
                forwarded_for.append(value.decode("latin-1"))
            elif name == b"x-forwarded-proto":
                proto = value.decode("latin-1")
        scope = dict(scope)
        scope["client"] = (forwarded_client(peer, ",".join(forwarded_for), self.proxies), 0)
        scheme = forwarded_scheme(proto)
        if scheme is not None:
            websocket = scope["type"] == "websocket"
            scope["scheme"] = scheme.replace("http", "ws") if websocket else scheme
        return scope


def client_address(conn: HTTPConnection) -> str:
    """The address limits count the client by (a reader, or an operator logging in)."""
    return conn.client.host if conn.client else "?"
