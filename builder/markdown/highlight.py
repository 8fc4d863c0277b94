"""Build-time syntax highlighting of fenced code with Pygments (CSS classes, no inline styles).

The markdown stage hands every fence to one `Highlighter`; the theme writes `highlight_css()` as
an asset. Lexers are looked up once per language name (a lookup by alias walks Pygments'
registry), and highlighted snippets are cached, since the same commands recur across pages.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from markdown_it.common.utils import escapeHtml
from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import BashLexer, get_lexer_by_name
from pygments.util import ClassNotFound

LIGHT_STYLE = "default"
DARK_STYLE = "github-dark"
DARK_SELECTOR = '[data-theme="dark"]'

# Names writers use that Pygments does not know (or knows under another name), seen in the
# shared corpora. "plain" languages skip Pygments entirely: escaping is all they need.
ALIASES = {
    "vue-html": "vue",
    "curl": "bash",
    "sh-vue": "bash",
    "ps": "powershell",
    "golang": "go",
    "md": "markdown",
    "conf": "ini",
}
CACHE_SIZE = 4096
PLAIN = frozenset({"", "text", "txt", "plain", "plaintext", "log", "none", "output"})

# Only the language word of an info string counts: "js{4}", "vue:line-numbers", "python title=x".
_LANG = re.compile(r"[\w#+.-]+")
_PROMPT = re.compile(r"^\s*[$%>] ", re.MULTILINE)


def language_of(info: str) -> str:
    """The language name of a fence's info string, lowercased; "" when there is none."""
    found = _LANG.match(info.strip())
    return found.group(0).lower() if found else ""


class Highlighter:
    """Turns code into the inner HTML of `<code>`; unknown languages come back escaped."""

    def __init__(self) -> None:
        # nowrap: the markdown renderer writes the <pre><code> wrapper itself.
        self._formatter = HtmlFormatter(nowrap=True)
        self._lexers: dict[str, Lexer | None] = {}
        self._bash = BashLexer()
        # The same snippet recurs across translations and how-to pages (about 40% of the
        # vkcloud fences); a bounded cache per highlighter turns those into dict lookups.
        self.highlight: Callable[[str, str], str] = lru_cache(maxsize=CACHE_SIZE)(self._highlight)

    def lexer_for(self, lang: str) -> Lexer | None:
        if lang in self._lexers:
            return self._lexers[lang]
        lexer: Lexer | None = None
        if lang not in PLAIN:
            try:
                lexer = get_lexer_by_name(ALIASES.get(lang, lang))
            except ClassNotFound:
                lexer = None
        self._lexers[lang] = lexer
        return lexer

    def _highlight(self, code: str, lang: str) -> str:
        lexer = self.lexer_for(lang)
        if lexer is None:
            return escapeHtml(code)
        if lang == "console" and not _PROMPT.search(code):
            # "console" in the corpora mostly means bare commands without "$ " prompts; the
            # session lexer would render them all as program output, so read them as bash.
            lexer = self._bash
        return pygments_highlight(code, lexer, self._formatter)


def highlight_css() -> str:
    """The stylesheet for highlighted code: light by default, dark under `[data-theme="dark"]`."""
    light = HtmlFormatter(style=LIGHT_STYLE).get_style_defs(".highlight")
    dark = HtmlFormatter(style=DARK_STYLE).get_style_defs(f"{DARK_SELECTOR} .highlight")
    return _only_highlight_rules(light) + "\n" + _only_highlight_rules(dark) + "\n"


def _only_highlight_rules(css: str) -> str:
    # Pygments also emits unscoped rules for `pre` and line numbers; they would restyle every
    # <pre> of the theme (and the light ones would win over the dark), so keep scoped rules only.
    return "\n".join(line for line in css.splitlines() if ".highlight" in line)
