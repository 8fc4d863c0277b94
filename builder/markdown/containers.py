"""Callouts and collapsibles: `::: note|tip|warning|danger [title]` and `::: details Title`.

The block rule follows markdown-it-container (as ported in mdit-py-plugins) with three
differences that keep writers' mistakes from leaking `:::` into a page or cutting a callout
short: any name opens a container (an unknown one still renders its content); a `:::` inside a
fenced code block does not close it (pages that show the syntax itself); and containers with the
same number of colons nest by counting openers, although the documented way is more colons on
the outer one. A core rule then inserts the title as an ordinary inline token, so markdown in
titles (`code`, links) is parsed, link-checked and rendered like any other text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

OPEN = "container_callout_open"
CLOSE = "container_callout_close"
MARKER = ":"
MIN_MARKERS = 3
TITLE_OPEN = "callout_title_open"
TITLE_CLOSE = "callout_title_close"

DEFAULT_TITLES: Mapping[str, str] = {
    "note": "Note",
    "tip": "Tip",
    "warning": "Warning",
    "danger": "Danger",
    "details": "Details",
}

_CLASS_UNSAFE = re.compile(r"[^a-z0-9_-]+")


def split_params(params: str) -> tuple[str, str]:
    """`" tip Совет "` → ("tip", "Совет"): the container name (lowercased) and its title."""
    words = params.split(None, 1)
    if not words:
        return "", ""
    return words[0].lower(), words[1].strip() if len(words) > 1 else ""


def use_containers(md: MarkdownIt, titles: Mapping[str, str]) -> None:
    """Register the container syntax, its title tokens and its HTML on `md`."""
    md.block.ruler.before(
        "fence",
        "callout",
        _container_block,
        {"alt": ["paragraph", "reference", "blockquote", "list"]},
    )
    md.add_render_rule(OPEN, _render_container)
    md.add_render_rule(CLOSE, _render_container)
    md.add_render_rule(TITLE_OPEN, _render_title_open)
    md.add_render_rule(TITLE_CLOSE, _render_title_close)
    defaults = {**DEFAULT_TITLES, **titles}

    def insert_titles(state: StateCore) -> None:
        _insert_titles(state, defaults)

    md.core.ruler.before("inline", "callout_titles", insert_titles)


def _run(src: str, pos: int, end: int, char: str) -> int:
    """How many `char`s in a row start at `pos`."""
    count = 0
    while pos + count < end and src[pos + count] == char:
        count += 1
    return count


def _container_block(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    start = state.bMarks[start_line] + state.tShift[start_line]
    maximum = state.eMarks[start_line]
    # This rule runs on every line of every block: reject non-markers before anything else.
    if start >= maximum or state.src[start] != MARKER or state.is_code_block(start_line):
        return False
    markers = _run(state.src, start, maximum, MARKER)
    params = state.src[start + markers : maximum]
    # A bare `:::` opens nothing, so a stray closing marker stays text instead of swallowing
    # the rest of the page.
    if markers < MIN_MARKERS or not params.strip():
        return False
    if silent:
        return True
    close_line, closed = _find_close(state, start_line, end_line, markers)

    old_parent, old_line_max = state.parentType, state.lineMax
    state.parentType = "container"
    state.lineMax = close_line  # lazy continuation lines must not run past the closing marker
    token = state.push(OPEN, "div", 1)
    token.markup, token.block, token.info = state.src[start : start + markers], True, params
    token.map = [start_line, close_line]
    state.md.block.tokenize(state, start_line + 1, close_line)
    token = state.push(CLOSE, "div", -1)
    token.markup, token.block = MARKER * markers, True
    state.parentType, state.lineMax = old_parent, old_line_max
    state.line = close_line + (1 if closed else 0)
    return True


def _find_close(
    state: StateBlock, start_line: int, end_line: int, markers: int
) -> tuple[int, bool]:
    """The line of the matching closing marker (and True), or where the container ends unclosed."""
    src = state.src
    depth = 0
    fence = ""  # the opening run of an enclosing fenced code block, while inside one
    fence_indent = 0
    line = start_line
    while True:
        line += 1
        if line >= end_line:
            return line, False  # closed by the end of the document or of the parent block
        start = state.bMarks[line] + state.tShift[line]
        maximum = state.eMarks[line]
        if start >= maximum:
            continue
        if state.sCount[line] < state.blkIndent:
            return line, False  # a less indented line ends the list item holding us
        char = src[start]
        if fence and state.sCount[line] < fence_indent:
            fence = ""  # an unclosed fence in a list item ends with the item; read this line
        if fence:
            run = _run(src, start, maximum, fence[0]) if char == fence[0] else 0
            if run >= len(fence) and not src[start + run : maximum].strip():
                fence = ""
            continue
        if char in "`~":
            run = _run(src, start, maximum, char)
            if run >= 3 and not (char == "`" and "`" in src[start + run : maximum]):
                fence, fence_indent = char * run, state.sCount[line]
            continue
        if char != MARKER or state.is_code_block(line):
            continue
        run = _run(src, start, maximum, MARKER)
        if run < markers:
            continue
        if src[start + run : maximum].strip():
            depth += 1  # an inner container with as many colons: its closer is not ours
        elif depth:
            depth -= 1
        else:
            return line, True


def _insert_titles(state: StateCore, defaults: Mapping[str, str]) -> None:
    if not any(token.type == OPEN for token in state.tokens):
        return
    result: list[Token] = []
    open_kinds: list[str] = []  # the closer needs its opener's kind: </div> or </details>
    for token in state.tokens:
        result.append(token)
        if token.type == CLOSE:
            token.meta = {"kind": open_kinds.pop() if open_kinds else "callout"}
        if token.type != OPEN:
            continue
        name, title = split_params(token.info)
        kind = "details" if name == "details" else "callout"
        token.meta = {"name": _CLASS_UNSAFE.sub("", name) or "note", "kind": kind}
        open_kinds.append(kind)
        shown = title or defaults.get(name, "")
        if not shown:
            continue  # an unknown name without a title: no invented heading
        title_open = Token(TITLE_OPEN, "", 1, block=True, meta={"kind": kind})
        inline = Token("inline", "", 0, content=shown, map=token.map, children=[])
        inline.meta = {"default_title": not title}
        title_close = Token(TITLE_CLOSE, "", -1, block=True, meta={"kind": kind})
        result.extend((title_open, inline, title_close))
    state.tokens = result


def _render_container(
    self: Any, tokens: Sequence[Token], idx: int, _options: Any, _env: Any
) -> str:
    token = tokens[idx]
    if token.nesting == -1:
        return "</details>\n" if token.meta.get("kind") == "details" else "</div>\n"
    name = token.meta.get("name", "note")
    if token.meta.get("kind") == "details":
        anchor = token.meta.get("anchor")
        named = f' id="{escapeHtml(anchor)}"' if anchor else ""
        return f'<details{named} class="callout callout-details">\n'
    return f'<div class="callout callout-{escapeHtml(name)}" role="note">\n'


def _render_title_open(
    self: Any, tokens: Sequence[Token], idx: int, _options: Any, _env: Any
) -> str:
    return "<summary>" if tokens[idx].meta.get("kind") == "details" else '<p class="callout-title">'


def _render_title_close(
    self: Any, tokens: Sequence[Token], idx: int, _options: Any, _env: Any
) -> str:
    return "</summary>\n" if tokens[idx].meta.get("kind") == "details" else "</p>\n"
