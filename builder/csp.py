"""The site's Content-Security-Policy: no inline script but the theme's own, by hash.

Every page carries the policy in a `<meta http-equiv>` (any static host), and the build writes
it to `site/_data/csp.txt` for a server that sends it as a header (the chat sidecar, when it
serves the site: there pages share an origin with the operator page). The theme's two small
inline scripts (the colour scheme before the first paint, the root page's language redirect)
are allowed by their SHA-256; whatever else gets into a page as inline script does not run.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from urllib.parse import urlsplit

# Only in a header: browsers ignore these in a <meta> policy (and say so in the console).
HEADER_ONLY = "frame-ancestors 'self'"


def script_hash(source: str) -> str:
    """The CSP source that allows exactly this inline script: 'sha256-…'."""
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def origin(url: str) -> str:
    """ "https://chat.example.com/x" → "https://chat.example.com"; "" for no URL."""
    if not url:
        return ""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def site_policy(inline_scripts: Iterable[str], chat_url: str = "",
                identity_url: str = "") -> str:
    """The policy of every page. The chat widget (when `chat.url` is set) loads its script and
    styles from the sidecar, shows attachment images from it and talks to it over HTTP and a
    websocket; with `chat.identity_url` it also asks that endpoint of the host product who is
    logged in (connect-src only: nothing from there runs or shows). `blob:` scripts: the search
    worker runs the site's own scripts from blob: URLs (search-worker.js) when a header policy
    reaches it; only running script can make one."""
    chat = origin(chat_url)
    identity = origin(identity_url) if chat else ""
    socket = chat.replace("http", "ws", 1) if chat else ""
    hashes = sorted({script_hash(source) for source in inline_scripts})

    def sources(*extra: str) -> str:
        return " ".join(["'self'", *(s for s in extra if s)])

    return "; ".join([
        "default-src 'self'",
        f"script-src {sources('blob:', *hashes, chat)}",
        f"style-src {sources(chat)} 'unsafe-inline'",  # brand colours, table alignment
        f"img-src {sources(chat)} data:",
        f"connect-src {sources(*dict.fromkeys([chat, socket, identity]))}",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ])


def header_policy(meta_policy: str) -> str:
    """What a server sends as the header: the pages' policy and what only a header can say."""
    return f"{meta_policy}; {HEADER_ONLY}"
