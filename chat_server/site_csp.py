"""The Content-Security-Policy of the help center's pages when the sidecar serves them.

Those pages share an origin with the operator page, so a script that got into an article
would run with a logged-in operator's cookie: read the inbox, reply as them. The policy
forbids inline script. The build may write the site's own policy to `site/_data/csp.txt`
(it knows its pages); until then, and whenever that file is missing, a safe default made
from the settings applies.
"""

from __future__ import annotations

import logging
from pathlib import Path

from chat_server.settings import ChatSettings, origin_of

log = logging.getLogger(__name__)

POLICY_FILE = Path("_data") / "csp.txt"


def default_policy(settings: ChatSettings) -> str:
    """Scripts, connections and images from the site and the chat sidecar; no inline
    script, no plugins, framed only by the site itself. `blob:` scripts: the search worker
    runs the site's own scripts, fetched at once, from blob: URLs (search-worker.js); only
    a script already running can make one, so it opens nothing to injected markup."""
    chat = origin_of(settings.url)
    sockets = chat.replace("http", "ws", 1) if chat else ""

    def sources(*extra: str) -> str:
        return " ".join(["'self'", *(s for s in extra if s)])

    return (f"default-src 'self'; script-src {sources(chat, 'blob:')}; "
            f"connect-src {sources(chat, sockets)}; img-src {sources(chat)} data:; "
            "style-src 'self' 'unsafe-inline'; frame-ancestors 'self'; base-uri 'self'; "
            "object-src 'none'")


class SitePolicy:
    """The policy for the site's responses: the build's file when there is one (read again
    when it changes, as a rebuild may), else `default_policy`."""

    def __init__(self, settings: ChatSettings) -> None:
        assert settings.site_dir is not None
        self._file = settings.site_dir / POLICY_FILE
        self._default = default_policy(settings)
        self._read: tuple[int, str] | None = None  # (mtime in ns, policy)

    def current(self) -> str:
        try:
            stamp = self._file.stat().st_mtime_ns
        except OSError:
            return self._default
        if self._read is None or self._read[0] != stamp:
            self._read = (stamp, self._load())
        return self._read[1]

    def _load(self) -> str:
        try:
            text = " ".join(self._file.read_text(encoding="utf-8").split())
        except (OSError, UnicodeDecodeError) as exc:
            log.warning("%s: %s; using the default policy", self._file, exc)
            return self._default
        # A header value is printable ASCII on one line; anything else is not a policy.
        if not text or not text.isascii() or not text.isprintable():
            log.warning("%s: not a policy; using the default policy", self._file)
            return self._default
        return text
