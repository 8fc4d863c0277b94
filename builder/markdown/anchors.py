"""Anchors: heading slugs, explicit `{#id}` anchors, and keeping every id on a page unique.

`{#id}` is parsed by one inline rule wherever it is written (after a heading's text, or inside
a paragraph or a list item, as the datalens corpus does with `**Single measure {#one}**`).
The markdown stage then moves a heading's trailing anchor onto the heading itself; any other
anchor renders as an empty `<span id>` at its place, so links to it land there.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

ANCHOR = "explicit_anchor"
# An id may hold any character but whitespace and braces (HTML allows all but whitespace);
# the corpora have ids like `vision-changelog-16.12.22` and Cyrillic letters in ids.
_EXPLICIT = re.compile(r"\{#([^\s{}]+)\}")
# `\w` keeps letters and digits of every script (Cyrillic, ё included); `_` joins the
# punctuation that becomes a dash.
_NOT_WORD = re.compile(r"[\W_]+")
FALLBACK_SLUG = "section"


def slugify(text: str) -> str:
    """`"Сроки сдачи НДС"` → `"сроки-сдачи-ндс"`: lowercase, readable letters, dashes between."""
    # NFC first, so a "й" typed as "и" + combining breve stays one letter, not "и-".
    slug = _NOT_WORD.sub("-", unicodedata.normalize("NFC", text).lower()).strip("-")
    return slug or FALLBACK_SLUG


class AnchorSet:
    """The ids taken on one page, handing out free ones in linear time.

    `unique("шаг")` is "шаг", then "шаг-1", "шаг-2"…: whichever is free first. Ids are never
    given back, so a number tried once for a base stays taken and the next search for that
    base starts after it (20,000 headings "Шаг" were 49 s of counting from 1 every time).
    """

    def __init__(self) -> None:
        self.ids: set[str] = set()
        self._last: dict[str, int] = {}  # base → the highest number tried for it

    def __contains__(self, anchor: str) -> bool:
        return anchor in self.ids

    def add(self, anchor: str) -> None:
        self.ids.add(anchor)

    def unique(self, base: str) -> str:
        """`base`, or `base-N` with the smallest free N; the result is taken."""
        candidate = base
        number = self._last.get(base, 0)
        if number:
            candidate = f"{base}-{number}"
        while candidate in self.ids:
            number += 1
            candidate = f"{base}-{number}"
        self._last[base] = number
        self.ids.add(candidate)
        return candidate


def use_explicit_anchors(md: MarkdownIt) -> None:
    md.inline.ruler.before("emphasis", "explicit_anchor", _explicit_anchor)
    md.add_render_rule(ANCHOR, _render_anchor)


def _explicit_anchor(state: StateInline, silent: bool) -> bool:
    if not state.src.startswith("{#", state.pos):
        return False
    found = _EXPLICIT.match(state.src, state.pos)
    if found is None:
        return False
    if not silent:
        token = state.push(ANCHOR, "span", 0)
        token.meta = {"id": found.group(1)}
        token.markup = found.group(0)
    state.pos = found.end()
    return True


def _render_anchor(self: Any, tokens: Sequence[Token], idx: int, _options: Any, _env: Any) -> str:
    anchor = tokens[idx].meta.get("id")
    # A duplicate id was dropped at parse time: render nothing rather than an invalid page.
    return f'<span id="{escapeHtml(anchor)}"></span>' if anchor else ""
