"""URL arithmetic for the rendered site.

Page URLs in the model are site-root-relative directories ("/ru/nds/x/"). Pages never link with
them directly: every link is made relative to the page that carries it, so the site works under
any path prefix and on any static host. Only canonical links, Open Graph and the sitemap use
absolute URLs, and only when `site.base_url` is known.
"""

from __future__ import annotations

from urllib.parse import quote


def output_path(url: str) -> str:
    """The file a directory URL is served from: "/ru/nds/x/" → "ru/nds/x/index.html"."""
    path = url.strip("/")
    return f"{path}/index.html" if path else "index.html"


def root_of(url: str) -> str:
    """The relative way from a page to the site root, ending in "/": "/ru/x/" → "../../"."""
    depth = url.strip("/").count("/") + 1 if url.strip("/") else 0
    return "../" * depth if depth else "./"


def relative(root: str, url: str) -> str:
    """A link from the page whose root is `root` to the site URL `url`.

    Non-ASCII path segments (Cyrillic slugs) are percent-encoded so that every browser and
    static host agrees on them; the fragment keeps its readable form for the same reason
    anchors do in the body.
    """
    path, _, fragment = url.partition("#")
    target = root + quote(path.lstrip("/"), safe="/")
    if target.startswith("./") and len(target) > 2:
        target = target[2:]
    return f"{target}#{fragment}" if fragment else target


def absolute(base_url: str, url: str) -> str:
    """The public URL of a site URL, or "" when the base URL is not configured."""
    if not base_url:
        return ""
    return base_url + quote(url.lstrip("/"), safe="/#")


def base_path(base_url: str) -> str:
    """The path part of the base URL ("https://x.com/help/" → "/help/"), "/" without one.

    The 404 page is served by static hosts at any depth, so it cannot link relatively; it
    links from the site's own path instead.
    """
    if not base_url:
        return "/"
    rest = base_url.split("://", 1)[-1]
    slash = rest.find("/")
    return rest[slash:] if slash >= 0 else "/"
