"""Build-time code highlighting: classes not styles, unknown languages escaped, a CSS asset."""

from __future__ import annotations

import pytest

from builder.markdown.highlight import Highlighter, highlight_css, language_of


@pytest.fixture(scope="module")
def highlighter() -> Highlighter:
    return Highlighter()


@pytest.mark.parametrize(
    ("info", "lang"),
    [
        ("python", "python"),
        ("  JSON ", "json"),
        ("js{4}", "js"),
        ("vue:line-numbers", "vue"),
        ("python title=app.py", "python"),
        ("c++", "c++"),
        ("`text", ""),
        ("", ""),
    ],
)
def test_language_is_the_first_word_of_the_info_string(info: str, lang: str) -> None:
    assert language_of(info) == lang


def test_known_language_gets_pygments_classes(highlighter: Highlighter) -> None:
    html = highlighter.highlight("def f():\n    return 1\n", "python")
    assert '<span class="k">def</span>' in html
    assert "style=" not in html


def test_unknown_and_plain_languages_are_escaped_text(highlighter: Highlighter) -> None:
    for lang in ("no-such-language", "text", ""):
        assert highlighter.highlight("<b>&</b>\n", lang) == "&lt;b&gt;&amp;&lt;/b&gt;\n"


def test_writers_aliases_resolve(highlighter: Highlighter) -> None:
    for lang in ("vue-html", "curl", "sh-vue", "ps", "golang", "md", "hcl", "yml"):
        assert highlighter.lexer_for(lang) is not None, lang


def test_lexer_lookup_is_cached(highlighter: Highlighter) -> None:
    assert highlighter.lexer_for("yaml") is highlighter.lexer_for("yaml")


def test_console_without_prompts_reads_as_bash(highlighter: Highlighter) -> None:
    bare = highlighter.highlight("openstack network list --long\n", "console")
    assert '<span class="go">' not in bare  # not "program output"
    assert "openstack" in bare
    session = highlighter.highlight("$ ls\nfile.txt\n", "console")
    assert '<span class="gp">$ </span>' in session
    assert '<span class="go">file.txt</span>' in session


def test_css_has_scoped_light_and_dark_rules() -> None:
    css = highlight_css()
    assert ".highlight .k {" in css
    assert '[data-theme="dark"] .highlight .k {' in css
    # Pygments' unscoped `pre { … }` would restyle every <pre> of the theme.
    assert all(".highlight" in line for line in css.splitlines() if line.strip())
