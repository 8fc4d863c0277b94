"""The markdown stage: an article body → tokens, headings, links (parse) → HTML, sections (render).

Parsing and rendering are split so the pipeline can first learn every page's anchors and
links (to resolve and validate cross-links), then render each page with a `rewrite` callback
that turns `../x.md#a` into a site URL. Nothing here is fatal: odd markdown renders as text.

Syntax: CommonMark, GFM tables and strikethrough, footnotes, raw HTML (sanitised, trusted or
escaped: `raw_html`), `{#id}` anchors (`anchors`), `:::` callouts (`containers`),
Pygments code (`highlight`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from html import unescape

from markdown_it import MarkdownIt
from markdown_it.common import normalize_url
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

from builder.markdown.anchors import ANCHOR, AnchorSet, slugify, use_explicit_anchors
from builder.markdown.containers import OPEN, TITLE_OPEN, use_containers
from builder.markdown.highlight import Highlighter, highlight_css
from builder.markdown.html import is_absolute, use_html_rules
from builder.markdown.plain_text import plain_inline, sections_of
from builder.markdown.raw_html import DEFAULT_MODE, RawHtml, use_raw_html
from builder.model import Heading, Section

__all__ = [
    "LinkRef",
    "MarkdownProblem",
    "MarkdownRenderer",
    "ParsedMarkdown",
    "RenderedMarkdown",
    "highlight_css",  # the theme writes it as an asset; it lives in builder.markdown.highlight
    "is_absolute",
]

DEFAULT_ANCHOR_LABEL = "Link to this section"
LINK_CACHE = 8192
# The YFM placeholder `[{#T}](other.md)` means "the title of the linked page".
TITLE_PLACEHOLDER = "T"

# ids in raw HTML count as anchors too: `<a name="x">`, `<div id="x">`.
_HTML_ID = re.compile(r"""\s(?:id|name)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""", re.I)


@dataclass(frozen=True)
class LinkRef:
    href: str  # as written (percent-escapes decoded), e.g. "../nds/kak.md#sroki", "#deadlines"
    line: int  # 1-based line in the source file
    kind: str  # "link" (<a href>) or "image" (<img src>)


@dataclass(frozen=True)
class MarkdownProblem:
    """Something a writer should fix; never fatal (the page still renders)."""

    line: int
    message: str


@dataclass
class ParsedMarkdown:
    tokens: list[Token]
    headings: list[Heading]
    links: list[LinkRef]
    anchors: set[str]
    problems: list[MarkdownProblem] = field(default_factory=list)


@dataclass(frozen=True)
class RenderedMarkdown:
    html: str
    sections: list[Section]


Rewrite = Callable[[LinkRef], "str | None"]


class MarkdownRenderer:
    """One configured markdown-it per language; `parse` and `render` any number of bodies."""

    def __init__(
        self,
        container_titles: Mapping[str, str] | None = None,
        *,
        anchor_label: str = DEFAULT_ANCHOR_LABEL,
        highlighter: Highlighter | None = None,
        raw_html: str = DEFAULT_MODE,
    ) -> None:
        """`highlighter`: share one between languages, so a snippet repeated in a
        translation is highlighted once. `raw_html`: sanitize, trusted or escape."""
        self._md = _make_markdown_it(container_titles or {}, anchor_label,
                                     highlighter or Highlighter(), raw_html)
        self._raw_html = RawHtml() if raw_html == "sanitize" else None

    def parse(self, text: str, *, first_line: int = 1) -> ParsedMarkdown:
        tokens = self._md.parse(text, {})
        return _Analysis(self._md, first_line).run(tokens)

    def render(self, parsed: ParsedMarkdown, rewrite: Rewrite) -> RenderedMarkdown:
        html = self._md.renderer.render(parsed.tokens, self._md.options, {"rewrite": rewrite})
        if self._raw_html is not None:
            html = self._raw_html.clean(html)
        return RenderedMarkdown(html=html, sections=sections_of(parsed.tokens))


def _make_markdown_it(
    titles: Mapping[str, str], anchor_label: str, highlighter: Highlighter, raw_html: str
) -> MarkdownIt:
    # HTML5 output (`<br>`, not `<br />`): the commonmark preset defaults to XHTML.
    md = _CachedLinksMarkdownIt("commonmark", {"html": raw_html != "escape", "xhtmlOut": False})
    md.enable(["table", "strikethrough"])
    footnote_plugin(md)
    use_containers(md, titles)
    use_explicit_anchors(md)
    use_html_rules(md, highlighter, anchor_label)
    use_raw_html(md, raw_html)
    return md


# Percent-encoding a URL costs ~65 µs (mdurl parses it) and two thirds of the links in a
# real help center repeat (vkcloud: 16,108 links, 4,963 distinct); both are pure functions.
_normalize_link = lru_cache(maxsize=LINK_CACHE)(normalize_url.normalizeLink)
_normalize_link_text = lru_cache(maxsize=LINK_CACHE)(normalize_url.normalizeLinkText)


class _CachedLinksMarkdownIt(MarkdownIt):
    """markdown-it with its two URL normalisers cached."""

    def normalizeLink(self, url: str) -> str:
        return _normalize_link(url)

    def normalizeLinkText(self, link: str) -> str:
        return _normalize_link_text(link)


class _Analysis:
    """One walk over fresh tokens: headings get ids, links get lines, anchors are gathered."""

    def __init__(self, md: MarkdownIt, first_line: int) -> None:
        self._md = md
        self._offset = first_line  # token maps are 0-based lines of the body
        self._line = first_line
        self._used = AnchorSet()
        self._links: list[LinkRef] = []
        self._problems: list[MarkdownProblem] = []
        # heading_open, heading_close, text, line, anchor (None until slugged)
        self._headings: list[tuple[Token, Token, str, int, str | None]] = []
        # a top-level `::: details` with a summary: opener, summary text, `{#id}` (if any)
        self._details: list[tuple[Token, str, str | None]] = []

    def run(self, tokens: list[Token]) -> ParsedMarkdown:
        for index, token in enumerate(tokens):
            if token.map is not None:
                self._line = token.map[0] + self._offset
            if token.type == "heading_open" and index + 2 < len(tokens):
                self._heading(token, tokens[index + 1], tokens[index + 2])
            elif _is_titled_details(tokens, index):
                summary = tokens[index + 2]
                summary.meta["heading"] = True  # read here, not again as body text below
                self._details.append((token, *self._title(summary)))
            elif token.type == "inline" and not token.meta.get("heading"):
                self._inline(token)
            elif token.type == "html_block":
                self._html_ids(token.content)
            elif token.type == "footnote_open":
                self._used.add(f"fn{token.meta.get('id', 0) + 1}")
        headings = []
        for opener, closer, text, line, explicit in self._headings:
            anchor = explicit or self._used.unique(slugify(text))
            opener.attrSet("id", anchor)
            opener.meta["anchor"] = closer.meta["anchor"] = anchor
            level = int(opener.tag[1])
            headings.append(Heading(level=level, text=text, anchor=anchor, line=line))
        self._name_details()
        return ParsedMarkdown(tokens, headings, self._links, set(self._used.ids), self._problems)

    def _heading(self, opener: Token, inline: Token, closer: Token) -> None:
        if opener.tag == "h1":  # the page title is the h1; a body h1 reads as a section
            opener.tag = closer.tag = "h2"
        inline.meta = {"heading": True}
        text, explicit = self._title(inline)
        self._headings.append((opener, closer, text, self._line, explicit))
        opener.meta = {"text": text}

    def _title(self, inline: Token) -> tuple[str, str | None]:
        """A heading's or a FAQ question's text, and the `{#id}` it ends with (claimed)."""
        children = inline.children or []
        explicit: str | None = None
        if children and children[-1].type == ANCHOR:
            explicit = children.pop().meta["id"]
            _trim_trailing_space(children)
        self._inline(inline)
        if explicit is not None:
            explicit = self._claim(explicit, unique_on_clash=True)
        return plain_inline(children).strip(), explicit

    def _name_details(self) -> None:
        """A top-level collapsible with a summary is a question of a FAQ (or a block a writer
        titled): it gets an id after the headings got theirs, so a link or a search result can
        open it, and heading ids stay what they were."""
        for opener, text, explicit in self._details:
            if text:
                opener.meta["anchor"] = explicit or self._used.unique(slugify(text))
                opener.meta["summary"] = text

    def _claim(self, anchor: str, *, unique_on_clash: bool) -> str | None:
        """Reserve an explicit id; the first use keeps it, a repeat is reported."""
        if anchor not in self._used:
            self._used.add(anchor)
            return anchor
        self._problems.append(MarkdownProblem(self._line, f"duplicate anchor {{#{anchor}}}"))
        return self._used.unique(anchor) if unique_on_clash else None

    def _inline(self, inline: Token) -> None:
        children = inline.children
        if not children:
            return
        base = self._line
        breaks = 0
        href = ""
        for position, child in enumerate(children):
            kind = child.type
            self._line = base + breaks
            if kind == "softbreak" or kind == "hardbreak":
                breaks += 1
            elif kind == "link_open":
                href = str(child.attrs.get("href", ""))
                self._link(child, href, "link")
            elif kind == "link_close":
                href = ""
            elif kind == "image":
                self._link(child, str(child.attrs.get("src", "")), "image")
            elif kind == ANCHOR:
                self._anchor(children, position, href)
            elif kind == "html_inline":
                self._html_ids(child.content)
                breaks += child.content.count("\n")
            elif kind == "footnote_ref":
                self._used.add(f"fnref{_footnote_ref_name(child)}")
            elif kind == "text":
                breaks += child.content.count("\n")
        self._line = base

    def _link(self, token: Token, href: str, kind: str) -> None:
        if is_absolute(href):
            return
        # markdown-it percent-encodes hrefs ("#сроки" → "#%D1%81…"); the pipeline compares
        # them with file names and anchors as written, so hand it the decoded form.
        ref = LinkRef(self._md.normalizeLinkText(href), self._line, kind)
        token.meta = {**token.meta, "ref": ref}
        self._links.append(ref)

    def _anchor(self, children: list[Token], position: int, href: str) -> None:
        token = children[position]
        anchor = token.meta["id"]
        if href and anchor == TITLE_PLACEHOLDER:
            token.type = "text"
            token.content = _title_from_href(self._md.normalizeLinkText(href))
            return
        if position > 0:  # the token before, not a copy of all before it (quadratic)
            _trim_trailing_space(children[position - 1:position])
        token.meta = {"id": self._claim(anchor, unique_on_clash=False)}

    def _html_ids(self, html: str) -> None:
        for found in _HTML_ID.finditer(html):
            self._used.add(unescape(next(group for group in found.groups() if group is not None)))


def _is_titled_details(tokens: list[Token], index: int) -> bool:
    token = tokens[index]
    return (
        token.type == OPEN
        and token.level == 0
        and token.meta.get("kind") == "details"
        and index + 2 < len(tokens)
        and tokens[index + 1].type == TITLE_OPEN
        and not tokens[index + 2].meta.get("default_title")
    )


def _footnote_ref_name(token: Token) -> str:
    sub = token.meta.get("subId", 0)
    name = str(token.meta.get("id", 0) + 1)
    return f"{name}:{sub}" if sub > 0 else name


def _trim_trailing_space(children: list[Token]) -> None:
    # `Title {#id}` leaves "Title " behind; the space would end up before the anchor.
    last = children[-1] if children else None
    if last is not None and last.type == "text":
        last.content = last.content.rstrip()


def _title_from_href(href: str) -> str:
    """A readable stand-in for `{#T}`: `../dataset/data-model.md#x` → "data model"."""
    path = href.split("#", 1)[0].rstrip("/")
    parts = [part for part in path.split("/") if part not in ("", ".", "..")]
    if parts and parts[-1] == "_index.md":
        parts.pop()
    stem = parts[-1].removesuffix(".md") if parts else href.partition("#")[2]
    return re.sub(r"[-_]+", " ", stem).strip() or href
