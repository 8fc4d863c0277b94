"""Raw HTML written in articles: sanitised (the default), trusted as written, or shown as text.

When one origin serves the site and the operator page, an article's `<script>` would run with
an operator's session; not every writer of a help center is an operator. So by default the
HTML a writer types keeps its formatting (tables, details/summary, img, links, sup, kbd…) and
loses scripts, styles, iframes, `on*` handlers and `javascript:` URLs. nh3 (the Rust ammonia
sanitiser) decides what stays.

Only the raw HTML is sanitised, not what markdown rendered around it: that is ours and already
escaped, and sanitising whole pages would cost the build time on every page. But raw HTML is
not balanced token by token (`<details>` in one block, the markdown inside, `</details>` in
another), so the sanitiser must see the raw pieces in order, with the markdown between them.
The render rules fence each raw piece with NUL (markdown-it turns NUL in the source into
U+FFFD, so no other text can hold one); `clean` then hands nh3 the raw pieces with a random
placeholder word for each rendered stretch, and puts the rendered HTML back where the
placeholder landed (always as text: a placeholder in an attribute value is dropped with it).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

MODES = ("sanitize", "trusted", "escape")
DEFAULT_MODE = "sanitize"
_MARK = "\x00"
_SLOT = "hcslot"
# The theme's scripts look these up by id; a writer's element with such an id would be found
# first (DOM clobbering), e.g. a fake search configuration pointing the worker elsewhere.
RESERVED_ID_PREFIXES = ("helpcenter-", "hc-")

TAGS = nh3.ALLOWED_TAGS | {"tfoot"}
# Gone with everything inside them; other unknown tags are dropped and their text kept.
CLEAN_CONTENT_TAGS = {"script", "style", "template", "svg", "math", "iframe", "object", "embed",
                      "noscript", "noembed", "noframes", "xmp", "title", "textarea", "select"}
ATTRIBUTES: dict[str, set[str]] = {
    **{tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()},
    "*": {"class", "id", "title", "lang", "dir", "style"},
    "a": {"href", "hreflang", "name"},
    "img": {"src", "alt", "width", "height", "align", "loading"},
    "details": {"open"},
    # presentational attributes of tables pasted from office suites (vkcloud has them)
    "table": nh3.ALLOWED_ATTRIBUTES["table"] | {"width", "border", "cellpadding", "cellspacing"},
    "td": nh3.ALLOWED_ATTRIBUTES["td"] | {"width", "height", "valign"},
    "th": nh3.ALLOWED_ATTRIBUTES["th"] | {"width", "height", "valign"},
    "col": nh3.ALLOWED_ATTRIBUTES["col"] | {"width"},
    "ol": {"start", "type", "reversed"},
    "li": {"value"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
# Presentation only: no url() (background, list-style-image…), no positioning over the page.
STYLE_PROPERTIES = {
    "color", "background-color", "text-align", "vertical-align", "font-weight", "font-style",
    "font-size", "text-decoration", "white-space", "width", "height", "max-width", "min-width",
    "margin", "margin-top", "margin-bottom", "margin-left", "margin-right", "padding",
    "padding-top", "padding-bottom", "padding-left", "padding-right", "border", "border-color",
    "border-style", "border-width", "border-collapse", "display", "float", "clear",
}


def use_raw_html(md: MarkdownIt, mode: str) -> None:
    """Make `md` fence raw HTML for `RawHtml.clean` (sanitize); trusted and escape need no rule
    (escape is markdown-it's `html: False`, chosen when the parser is made)."""
    if mode == "sanitize":
        md.add_render_rule("html_block", _fenced)
        md.add_render_rule("html_inline", _fenced)


def _fenced(self: Any, tokens: Sequence[Token], idx: int, _options: Any, _env: Any) -> str:
    return _MARK + tokens[idx].content + _MARK


class RawHtml:
    """The sanitiser of one renderer: `clean` the HTML of a page rendered with `use_raw_html`."""

    def __init__(self) -> None:
        self._cleaner = nh3.Cleaner(
            tags=TAGS,
            clean_content_tags=CLEAN_CONTENT_TAGS,
            attributes=ATTRIBUTES,
            attribute_filter=_attribute_filter,
            link_rel=None,  # no target= is allowed, so no rel is needed; links stay as written
            url_schemes=URL_SCHEMES,
            filter_style_properties=STYLE_PROPERTIES,
        )

    def clean(self, html: str) -> str:
        if _MARK not in html:
            return html  # no raw HTML on this page: nothing to do (most pages)
        parts = html.split(_MARK)  # rendered, raw, rendered, raw, …, rendered
        nonce = secrets.token_hex(8)  # unguessable, so a writer cannot fake a placeholder
        skeleton = [part if index % 2 else f"{_SLOT}{nonce}n{index}e" if part else ""
                    for index, part in enumerate(parts)]
        cleaned = self._cleaner.clean("".join(skeleton))
        return re.sub(rf"{_SLOT}{nonce}n(\d+)e", lambda found: parts[int(found.group(1))],
                      cleaned)


def _attribute_filter(_element: str, attribute: str, value: str) -> str | None:
    if _SLOT in value:
        return None  # raw HTML ended inside a tag and swallowed rendered markdown: drop it
    if attribute in ("id", "name") and value.lower().startswith(RESERVED_ID_PREFIXES):
        return None
    return value
