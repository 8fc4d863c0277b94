"""Parsed markdown as a chat message: the plain text a chat window shows as it is.

A chat message carries no markup, so the structure has to survive as text: paragraphs (and
headings, callouts, code) are separated by a blank line, list items start with "- " or "1. ",
nested items are indented, and a link reads `text (URL)` so the reader still gets the URL.
Emphasis is flattened; raw HTML keeps only its text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from html import unescape

from markdown_it.token import Token

from builder.markdown.plain_text import plain_inline

# link_open or image token → the URL the message shows ("" when there is none to show)
ResolveLink = Callable[[Token], str]

_TAG = re.compile(r"<[^>]*>")
_LINE_BREAK_TAG = re.compile(r"<\s*br\b", re.I)
_WORD_BREAK_TAG = re.compile(r"<\s*/?\s*(?:p|div|li|td|th|tr|hr|table)\b", re.I)
INDENT = "   "  # under "1. ", so a nested item lines up with its parent's text


def chat_text(tokens: Sequence[Token], resolve: ResolveLink) -> str:
    return _ChatText(resolve).run(tokens)


class _ChatText:
    def __init__(self, resolve: ResolveLink) -> None:
        self._resolve = resolve
        self._blocks: list[str] = []
        self._lists: list[list[int]] = []  # per open list: [] bullets, [next number] ordered
        self._lines: list[str] = []  # lines of the outermost open list or table
        self._marker: str | None = None  # of the list item whose first line comes next
        self._row: list[str] | None = None  # cells of the table row being read

    def run(self, tokens: Sequence[Token]) -> str:
        for token in tokens:
            self._token(token)
        return "\n\n".join(block for block in self._blocks if block)

    def _token(self, token: Token) -> None:
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            start = token.attrGet("start")
            self._lists.append([] if kind == "bullet_list_open" else [int(start or 1)])
        elif kind in ("bullet_list_close", "ordered_list_close"):
            self._lists.pop()
            if not self._lists:
                self._end_group()
        elif kind == "list_item_open":
            self._marker = self._next_marker()
        elif kind == "tr_open":
            self._row = []
        elif kind == "tr_close" and self._row is not None:
            self._lines.append(" | ".join(self._row))
            self._row = None
        elif kind == "table_close":
            self._end_group()
        elif kind == "inline" and not token.meta.get("default_title"):
            self._text(self._inline(token.children or []))
        elif kind in ("fence", "code_block"):
            self._text(token.content.rstrip("\n"))
        elif kind == "html_block":
            self._text(" ".join(unescape(_TAG.sub(" ", token.content)).split()))

    def _next_marker(self) -> str:
        current = self._lists[-1] if self._lists else []
        indent = INDENT * (len(self._lists) - 1)
        if not current:
            return f"{indent}- "
        number = current[0]
        current[0] += 1
        return f"{indent}{number}. "

    def _text(self, text: str) -> None:
        if self._row is not None:
            self._row.append(" ".join(text.split()))
        elif self._lists:
            # an item's first line gets its marker; its further paragraphs line up under it
            lead = self._marker or INDENT * len(self._lists)
            self._marker = None
            pad = "\n" + " " * len(lead)
            self._lines.append(lead + pad.join(text.split("\n")))
        elif text:
            self._blocks.append(text)

    def _end_group(self) -> None:
        self._blocks.append("\n".join(self._lines))
        self._lines = []

    def _inline(self, children: Sequence[Token]) -> str:
        parts: list[str] = []
        link_start, link_url = -1, ""  # an autolink (`<https://…>`) shows its text only
        for child in children:
            kind = child.type
            if kind in ("text", "code_inline"):
                parts.append(child.content)
            elif kind == "softbreak":
                parts.append(" ")  # a wrapped source line is one line in the message
            elif kind == "hardbreak":
                parts.append("\n")
            elif kind == "html_inline":
                parts.append(_html_inline(child.content))
            elif kind == "link_open":
                link_start = len(parts)
                link_url = "" if child.markup == "autolink" else self._resolve(child)
            elif kind == "link_close" and link_start >= 0:
                parts[link_start:] = [with_url("".join(parts[link_start:]), link_url)]
                link_start = -1
            elif kind == "image":
                parts.append(with_url(plain_inline(child.children or []), self._resolve(child)))
        lines = "".join(parts).split("\n")
        return "\n".join(line.strip() for line in lines).strip()


def with_url(text: str, url: str) -> str:
    """`text (URL)`; the text alone when it is the URL already (`<https://…>`, `<a@b.ru>`)."""
    text = text.strip()
    if not url or text in (url, url.removeprefix("mailto:")):
        return text
    return f"{text} ({url})" if text else url


def _html_inline(tag: str) -> str:
    if _LINE_BREAK_TAG.match(tag):
        return "\n"
    return " " if _WORD_BREAK_TAG.match(tag) else ""
