"""The operator page (`/operator`) and the Content-Security-Policy it is served with.

The page is static/operator/index.html and ES modules beside it; its libraries (Preact, htm)
are vendored in static/operator/vendor/ and found through an import map, the page's only
inline script, which the policy allows by its hash.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response

PAGE = Path(__file__).parent / "static" / "operator" / "index.html"
_IMPORT_MAP = re.compile(r'<script type="importmap">(.*?)</script>', re.S)


def import_map_hash(page: Path) -> str:
    """'sha256-…' of the page's import map, as a CSP source."""
    found = _IMPORT_MAP.search(page.read_text(encoding="utf-8"))
    if found is None:
        raise ValueError(f"{page}: no import map")
    digest = hashlib.sha256(found.group(1).encode()).digest()
    return "sha256-" + base64.b64encode(digest).decode()


# Only the page's own files and its import map: no other inline script or style, no other
# origin, no framing. What people wrote reaches the page as data and goes on it as text.
OPERATOR_CSP = (
    f"default-src 'none'; script-src 'self' '{import_map_hash(PAGE)}'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; media-src 'self' data:; font-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


async def operator_page(request: Request) -> Response:
    return FileResponse(PAGE)
