"""Plain text of parsed markdown: heading titles and the per-section text the search indexes.

Text is what a reader sees, without markup: emphasis and links flattened, inline and block
code kept as text, raw HTML reduced to its text, whitespace collapsed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import unescape

from markdown_it.token import Token

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
    """Intro, then one section per h2/h3: the plain text a reader sees in that slice."""
    sections: list[Section] = []
    anchor: str | None = None
    heading = ""
    parts: list[str] = []
    skip_inline = False
    for token in tokens:
        kind = token.type
        if kind == "heading_open" and token.tag in SECTION_TAGS:
            sections.append(Section(anchor, heading, _collapse(parts)))
            anchor, heading, parts = token.meta.get("anchor"), token.meta.get("text", ""), []
            skip_inline = True  # the heading's own text is the section's title, not its body
        elif kind == "inline":
            if not skip_inline and not token.meta.get("default_title"):
                parts.append(plain_inline(token.children or []))
            skip_inline = False
        elif kind == "fence" or kind == "code_block":
            parts.append(token.content)
        elif kind == "html_block":
            parts.append(unescape(_TAG.sub(" ", token.content)))
    sections.append(Section(anchor, heading, _collapse(parts)))
    return sections


def _collapse(parts: list[str]) -> str:
    return " ".join(" ".join(parts).split())
