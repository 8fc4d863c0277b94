"""The HTML a reader gets for the parts we render differently from markdown-it's defaults.

Headings carry a self-link, fences are highlighted at build time, tables scroll inside a
wrapper, images load lazily, external links get `rel="noopener"`, and relative links and images
go through the pipeline's `rewrite` (passed in the render env, so the tokens stay untouched and
a page can be rendered again).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token

from builder.markdown.highlight import Highlighter, language_of

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


def is_absolute(href: str) -> bool:
    """True for `https://x`, `//cdn/x`, `mailto:a@b`: hrefs the pipeline leaves alone."""
    return href.startswith("//") or _SCHEME.match(href) is not None


def use_html_rules(md: MarkdownIt, highlighter: Highlighter, anchor_label: str) -> None:
    label = escapeHtml(anchor_label)

    def heading_close(self: Any, tokens: Sequence[Token], idx: int, _o: Any, _e: Any) -> str:
        token = tokens[idx]
        anchor = escapeHtml(token.meta.get("anchor", ""))
        # The "#" is decoration; screen readers hear the label instead (axe: link-name).
        return (
            f' <a class="heading-anchor" href="#{anchor}"><span aria-hidden="true">#</span>'
            f'<span class="visually-hidden">{label}</span></a></{token.tag}>\n'
        )

    def fence(self: Any, tokens: Sequence[Token], idx: int, _o: Any, _e: Any) -> str:
        token = tokens[idx]
        lang = language_of(token.info)
        css = f' class="language-{escapeHtml(lang)}"' if lang else ""
        code = highlighter.highlight(token.content, lang)
        return f'<pre class="highlight"><code{css}>{code}</code></pre>\n'

    def link_open(self: Any, tokens: Sequence[Token], idx: int, _o: Any, env: Any) -> str:
        attrs = _rewritten(md, tokens[idx], "href", env)
        href = str(attrs.get("href", ""))
        if is_absolute(href) and not href.startswith(("mailto:", "tel:")):
            attrs["rel"] = "noopener"
        return f"<a{_attributes(attrs)}>"

    def image(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        token = tokens[idx]
        attrs = _rewritten(md, token, "src", env)
        attrs["alt"] = self.renderInlineAsText(token.children or [], options, env)
        attrs["loading"] = "lazy"
        return f"<img{_attributes(attrs)}>"

    md.add_render_rule("heading_close", heading_close)
    md.add_render_rule("fence", fence)
    md.add_render_rule("code_block", _code_block)
    md.add_render_rule("table_open", _table_open)
    md.add_render_rule("table_close", _table_close)
    md.add_render_rule("link_open", link_open)
    md.add_render_rule("image", image)


def _code_block(self: Any, tokens: Sequence[Token], idx: int, _o: Any, _e: Any) -> str:
    return f'<pre class="highlight"><code>{escapeHtml(tokens[idx].content)}</code></pre>\n'


def _table_open(self: Any, tokens: Sequence[Token], idx: int, _o: Any, _e: Any) -> str:
    # Wide tables scroll inside the wrapper on phones; tabindex lets keyboard users scroll it
    # (axe: scrollable-region-focusable).
    return '<div class="table-wrap" tabindex="0">\n<table>\n'


def _table_close(self: Any, tokens: Sequence[Token], idx: int, _o: Any, _e: Any) -> str:
    return "</table>\n</div>\n"


def _attributes(attrs: Mapping[str, Any]) -> str:
    return "".join(f' {name}="{escapeHtml(str(value))}"' for name, value in attrs.items())


def _rewritten(md: MarkdownIt, token: Token, attr: str, env: Mapping[str, Any]) -> dict[str, Any]:
    """The token's attributes with `attr` replaced by the pipeline's rewrite, if any."""
    attrs = dict(token.attrs)
    ref = token.meta.get("ref")
    rewrite = env.get("rewrite")
    if ref is not None and rewrite is not None:
        new = rewrite(ref)
        if new is not None:
            # Encoded like any href markdown-it writes (existing %XX escapes are kept).
            attrs[attr] = md.normalizeLink(new)
    return attrs
