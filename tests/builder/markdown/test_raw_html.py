"""Raw HTML in articles: sanitised by default (formatting kept, scripts and handlers gone),
published as written only when the project says its writers are trusted, or shown as text."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.config.loader import load_config
from builder.errors import ConfigError
from builder.markdown.renderer import LinkRef, MarkdownRenderer
from builder.pipeline import build


def keep(_: LinkRef) -> str | None:
    return None


def html(text: str, mode: str = "sanitize") -> str:
    md = MarkdownRenderer(raw_html=mode)
    return md.render(md.parse(text), keep).html


HOSTILE = """\
Intro <img src="pic.png" onerror="alert(1)"> and <a href="javascript:alert(2)">a link</a>.

<script>alert(3)</script>

<div onclick="alert(4)" class="box" style="color: red; background: url(https://evil/x)">Box</div>

<iframe src="https://evil.example/"></iframe>

<style>body { display: none }</style>

<svg onload="alert(5)"><a xlink:href="javascript:alert(6)">x</a></svg>

<a href="  JaVaScRiPt:alert(7)">spaced</a> <img src=x onerror=alert(8)//>
"""


def test_scripts_handlers_and_javascript_links_are_removed_by_default() -> None:
    out = html(HOSTILE).lower()
    for gone in ("<script", "alert(", "onerror", "onclick", "onload", "javascript:", "<iframe",
                 "<style", "<svg", "url("):
        assert gone not in out, (gone, out)


def test_formatting_the_writer_meant_is_kept() -> None:
    out = html(HOSTILE)
    assert '<img src="pic.png">' in out
    assert '<div class="box" style="color:red">Box</div>' in out
    assert "a link</a>" in out


def test_details_around_markdown_keep_the_markdown_inside() -> None:
    out = html("<details>\n<summary>Подробнее</summary>\n\n**Внутри** и `код`.\n\n</details>\n\n"
               "После.\n")
    assert out == ("<details>\n<summary>Подробнее</summary>\n<p><strong>Внутри</strong> и "
                   "<code>код</code>.</p>\n</details>\n<p>После.</p>\n")


def test_tables_line_breaks_and_old_style_anchors_are_kept() -> None:
    out = html('<a name="old"></a>\n\n<table><tr><td colspan="2">a<br>b</td></tr></table>\n\n'
               "Text<sup>2</sup> <kbd>Ctrl</kbd>\n")
    assert '<a name="old"></a>' in out
    assert '<table><tbody><tr><td colspan="2">a<br>b</td></tr></tbody></table>' in out
    assert "Text<sup>2</sup> <kbd>Ctrl</kbd>" in out


def test_a_stray_closing_tag_cannot_close_the_page_around_the_article() -> None:
    out = html("Text.\n\n</div></main></body>\n\nMore.\n")
    assert "</div>" not in out and "</main>" not in out and "More." in out


def test_ids_the_theme_scripts_look_up_cannot_be_taken() -> None:
    out = html('<div id="helpcenter-search-config">{"worker": "https://evil/x.js"}</div>\n\n'
               '<span id="hc-feedback-title">x</span> <span id="mine">y</span>\n')
    assert "helpcenter-search-config" not in out and "hc-feedback-title" not in out
    assert '<span id="mine">y</span>' in out


def test_what_markdown_itself_renders_is_untouched() -> None:
    text = ("## Шаг {#step}\n\n| a | b |\n|--:|---|\n| 1 | 2 |\n\n::: note\nЗаметка <b>!</b>\n"
            ":::\n\n```python\nprint('<script>')\n```\n")
    plain = text.replace(" <b>!</b>", "")
    assert html(text).replace(" <b>!</b>", "") == html(plain, "trusted")
    assert "<b>!</b>" in html(text)


def test_trusted_publishes_raw_html_as_written() -> None:
    assert "<script>alert(3)</script>" in html(HOSTILE, "trusted")


def test_escape_shows_raw_html_as_text() -> None:
    out = html(HOSTILE, "escape")
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in out and "<script" not in out


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def make_project(root: Path, extra: str = "") -> Path:
    write(root / "config.yml", f"site: {{title: Help}}\nlanguages: [ru]\n{extra}")
    write(root / "content/ru/a.md", "---\ntitle: A\n---\n<script>alert(1)</script>\n\nТекст.\n")
    return root / "config.yml"


def test_the_policy_is_a_setting_and_a_change_rebuilds_cached_pages(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPCENTER_CACHE", str(tmp_path / "cache"))
    config = make_project(tmp_path / "p")
    build(config, tmp_path / "site", force=True)
    page = tmp_path / "site/ru/a/index.html"
    assert "alert(1)" not in page.read_text()
    make_project(tmp_path / "p", "markdown: {raw_html: trusted}\n")
    build(config, tmp_path / "site", force=True)  # same markdown cache, other policy
    assert "<script>alert(1)</script>" in page.read_text()


def test_an_unknown_policy_is_a_config_error(tmp_path: Path) -> None:
    config = make_project(tmp_path, "markdown:\n  raw_html: allow\n")
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    assert [str(p) for p in caught.value.problems] == [
        "config.yml:4: markdown.raw_html: expected one of sanitize, trusted, escape, "
        "got 'allow'"]
