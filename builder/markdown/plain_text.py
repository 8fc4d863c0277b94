"""Plain text of parsed markdown: heading titles and the per-section text the search indexes.

Text is what a reader sees, without markup: emphasis and links flattened, inline and block
code kept as text, raw HTML reduced to its text, whitespace collapsed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import unescape

from markdown_it.token import Token

from builder.markdown.containers import CLOSE as DETAILS_CLOSE
from builder.markdown.containers import OPEN as DETAILS_OPEN
from builder.model import Section

_TAG = re.compile(r"<[^>]*>")
# Raw tags that separate words (`one<br>two`); inline ones (`m<sup>2</sup>`) join them.
_BREAKING_TAG = re.compile(r"<\s*/?\s*(?:br|p|div|li|td|th|tr|hr|table)\b", re.I)
SECTION_TAGS = ("h2", "h3")  # h4–h6 stay inside the section above them


def plain_inline(children: Sequence[Token]) -> str:
    parts: list[str] = []
    for child in children:
        kind = child.type
        if kind == "text" or kind == "code_inline":
            parts.append(child.content)
        elif kind == "softbreak" or kind == "hardbreak":
            parts.append(" ")
        elif kind == "html_inline" and _BREAKING_TAG.match(child.content):
            parts.append(" ")
        elif kind == "image" and child.children:
            parts.append(plain_inline(child.children))
    return "".join(parts)


def sections_of(tokens: Sequence[Token]) -> list[Section]:
    """Intro, then one section per h2/h3, and one per top-level collapsible with a summary
    (a FAQ's question: `::: details Как …?`): the plain text a reader sees in that slice.
    A collapsible's section follows the one it sits in, whose text goes on after it."""
    slices: list[_Slice] = [_Slice(None, "")]
    current = slices[0]  # the heading's slice being read
    details: _Slice | None = None
    skip_inline = False
    for token in tokens:
        kind = token.type
        if kind == "heading_open" and token.tag in SECTION_TAGS and details is None:
            current = _Slice(token.meta.get("anchor"), token.meta.get("text", ""))
            slices.append(current)
            skip_inline = True  # the heading's own text is the section's title, not its body
        elif kind == DETAILS_OPEN and token.meta.get("anchor") and details is None:
            details = _Slice(token.meta["anchor"], token.meta["summary"])
            slices.append(details)
            skip_inline = True  # the summary is the section's title
        elif kind == DETAILS_CLOSE and token.level == 0 and details is not None:
            details = None
        elif kind == "inline":
            if not skip_inline and not token.meta.get("default_title"):
                (details or current).parts.append(plain_inline(token.children or []))
            skip_inline = False
        elif kind in ("fence", "code_block", "html_block"):
            (details or current).parts.append(_block_text(token))
    return [Section(s.anchor, s.heading, _collapse(s.parts)) for s in slices]


class _Slice:
    __slots__ = ("anchor", "heading", "parts")

    def __init__(self, anchor: str | None, heading: str) -> None:
        self.anchor = anchor
        self.heading = heading
        self.parts: list[str] = []


def _block_text(token: Token) -> str:
    if token.type == "html_block":
        return unescape(_TAG.sub(" ", token.content))
    return token.content  # code, kept as text


def _collapse(parts: list[str]) -> str:
    return " ".join(" ".join(parts).split())
