"""The markdown stage: what a reader gets in HTML, and what the pipeline learns from a body."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builder.markdown.renderer import LinkRef, MarkdownRenderer, ParsedMarkdown, RenderedMarkdown
from builder.model import Heading, Section

RU_TITLES = {
    "note": "Примечание",
    "tip": "Совет",
    "warning": "Внимание",
    "danger": "Опасно",
    "details": "Подробнее",
}


@pytest.fixture(scope="module")
def md() -> MarkdownRenderer:
    return MarkdownRenderer()


@pytest.fixture(scope="module")
def md_ru() -> MarkdownRenderer:
    return MarkdownRenderer(RU_TITLES, anchor_label="Ссылка на раздел")


def keep(_: LinkRef) -> str | None:
    return None


def html_of(
    md: MarkdownRenderer, text: str, rewrite: Callable[[LinkRef], str | None] = keep
) -> str:
    return md.render(md.parse(text), rewrite).html


def both(md: MarkdownRenderer, text: str) -> tuple[ParsedMarkdown, RenderedMarkdown]:
    parsed = md.parse(text)
    return parsed, md.render(parsed, keep)


# --- CommonMark, GFM, raw HTML -------------------------------------------------------------


def test_commonmark_basics(md: MarkdownRenderer) -> None:
    html = html_of(md, "Some *emphasis*, **strong** and `code`.\n\n- one\n- two\n")
    assert "<p>Some <em>emphasis</em>, <strong>strong</strong> and <code>code</code>.</p>" in html
    assert "<ul>\n<li>one</li>\n<li>two</li>\n</ul>" in html


def test_html5_void_tags_not_xhtml(md: MarkdownRenderer) -> None:
    assert html_of(md, "a  \nb\n\n---\n") == "<p>a<br>\nb</p>\n<hr>\n"


def test_strikethrough(md: MarkdownRenderer) -> None:
    assert html_of(md, "~~old~~ new") == "<p><s>old</s> new</p>\n"


def test_table_is_wrapped_for_scrolling_and_keeps_br(md: MarkdownRenderer) -> None:
    html = html_of(md, "| a | b |\n|---|--:|\n| 1<br>2 | 3 |\n")
    assert html.startswith('<div class="table-wrap" tabindex="0">\n<table>\n')
    assert html.endswith("</table>\n</div>\n")
    assert "<td>1<br>2</td>" in html
    assert '<td style="text-align:right">3</td>' in html


def test_footnotes(md: MarkdownRenderer) -> None:
    parsed, rendered = both(md, "Claim[^src].\n\n[^src]: The source.\n")
    assert '<sup class="footnote-ref"><a href="#fn1" id="fnref1">[1]</a></sup>' in rendered.html
    assert '<li id="fn1" class="footnote-item"><p>The source.' in rendered.html
    assert {"fn1", "fnref1"} <= parsed.anchors


def test_raw_html_passes_through_when_writers_are_trusted() -> None:
    # The default sanitises raw HTML (markdown/test_raw_html.py); `trusted` keeps every byte.
    text = (
        "Press <kbd>Ctrl</kbd>+<kbd>C</kbd>, m<sup>2</sup>.\n\n"
        "<table><tr><td>raw</td></tr></table>\n"
    )
    html = html_of(MarkdownRenderer(raw_html="trusted"), text)
    assert "<kbd>Ctrl</kbd>+<kbd>C</kbd>, m<sup>2</sup>" in html
    assert "<table><tr><td>raw</td></tr></table>" in html


def test_no_linkify_and_no_front_matter_plugin(md: MarkdownRenderer) -> None:
    assert html_of(md, "see https://example.com") == "<p>see https://example.com</p>\n"
    # The caller strips front matter; a leftover block is ordinary markdown, not swallowed.
    assert "title: x" in html_of(md, "---\ntitle: x\n---\n")


# --- headings and anchors ------------------------------------------------------------------


def test_explicit_anchor_is_used_and_removed_from_text(md: MarkdownRenderer) -> None:
    parsed, rendered = both(md, "## Сроки {#deadlines}\n")
    assert parsed.headings == [Heading(level=2, text="Сроки", anchor="deadlines", line=1)]
    assert rendered.html.startswith('<h2 id="deadlines">Сроки <a class="heading-anchor"')
    assert "{#" not in rendered.html


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Сроки сдачи НДС", "сроки-сдачи-ндс"),
        ("Ещё раз: всё — о налогах?!", "ещё-раз-всё-о-налогах"),
        ("  Hello,   World!  ", "hello-world"),
        ("snake_case and 2FA", "snake-case-and-2fa"),
        ("C++ / C#", "c-c"),
        ("?!", "section"),
    ],
)
def test_slugs_keep_letters_readable(md: MarkdownRenderer, title: str, slug: str) -> None:
    assert md.parse(f"## {title}\n").headings[0].anchor == slug


def test_duplicate_slugs_are_numbered(md: MarkdownRenderer) -> None:
    parsed = md.parse("## Шаги\n\n## Шаги\n\n### Шаги\n")
    assert [h.anchor for h in parsed.headings] == ["шаги", "шаги-1", "шаги-2"]


def test_explicit_id_wins_over_an_earlier_slug(md: MarkdownRenderer) -> None:
    parsed = md.parse("## Deadlines\n\n## Сроки {#deadlines}\n")
    assert [h.anchor for h in parsed.headings] == ["deadlines-1", "deadlines"]
    assert parsed.problems == []


def test_repeated_explicit_id_is_reported_and_made_unique(md: MarkdownRenderer) -> None:
    parsed = md.parse("## A {#x}\n\n## B {#x}\n", first_line=5)
    assert [h.anchor for h in parsed.headings] == ["x", "x-1"]
    assert [(p.line, p.message) for p in parsed.problems] == [(7, "duplicate anchor {#x}")]


def test_heading_text_is_plain_and_h1_is_demoted(md: MarkdownRenderer) -> None:
    parsed, rendered = both(md, "# Top\n\n### Use `pip` *now*\n\n###### Deep\n")
    assert [(h.level, h.text) for h in parsed.headings] == [
        (2, "Top"),
        (3, "Use pip now"),
        (6, "Deep"),
    ]
    assert '<h2 id="top">Top ' in rendered.html
    assert "<h1" not in rendered.html
    assert '<h3 id="use-pip-now">Use <code>pip</code> <em>now</em> <a' in rendered.html


def test_heading_lines_are_lines_of_the_source_file(md: MarkdownRenderer) -> None:
    parsed = md.parse("Intro\n\n## One\n\ntext\n\n## Two\n", first_line=6)
    assert [h.line for h in parsed.headings] == [8, 12]


def test_heading_self_link_is_accessible(md: MarkdownRenderer, md_ru: MarkdownRenderer) -> None:
    assert html_of(md, "## Hi\n") == (
        '<h2 id="hi">Hi <a class="heading-anchor" href="#hi"><span aria-hidden="true">#</span>'
        '<span class="visually-hidden">Link to this section</span></a></h2>\n'
    )
    assert '<span class="visually-hidden">Ссылка на раздел</span>' in html_of(md_ru, "## Hi\n")


def test_heading_inside_a_list_item_keeps_its_anchor(md: MarkdownRenderer) -> None:
    parsed, rendered = both(md, "1. Step\n\n   ## Getting a token {#get-token}\n")
    assert parsed.headings[0].anchor == "get-token"
    assert '<h2 id="get-token">Getting a token <a' in rendered.html


def test_inline_explicit_anchor_becomes_a_target(md: MarkdownRenderer) -> None:
    parsed, rendered = both(md, "**Single measure {#one}**\n\n- Two {#two}\n")
    assert '<strong>Single measure<span id="one"></span></strong>' in rendered.html
    assert '<li>Two<span id="two"></span></li>' in rendered.html
    assert {"one", "two"} <= parsed.anchors


def test_repeated_inline_anchor_is_dropped_once_reported(md: MarkdownRenderer) -> None:
    parsed, rendered = both(md, "**A {#wizard}**\n\n**B {#wizard}**\n")
    assert rendered.html.count('id="wizard"') == 1
    assert [p.line for p in parsed.problems] == [3]


def test_title_placeholder_link_reads_as_the_target(md: MarkdownRenderer) -> None:
    html = html_of(md, "See the [{#T}](../../dataset/data-model.md#aggregation) table.")
    assert '<a href="../../dataset/data-model.md#aggregation">data model</a>' in html


def test_anchors_include_ids_in_raw_html(md: MarkdownRenderer) -> None:
    parsed = md.parse('<div id="raw-block">x</div>\n\nText <a name="old-style"></a>.\n')
    assert {"raw-block", "old-style"} <= parsed.anchors


def test_anchor_syntax_in_code_is_left_alone(md: MarkdownRenderer) -> None:
    parsed, rendered = both(md, "Use `{#id}` after a heading.\n\n```md\n## T {#x}\n```\n")
    assert "<code>{#id}</code>" in rendered.html
    assert "## T {#x}" in rendered.html
    assert parsed.headings == [] and "x" not in parsed.anchors


# --- containers ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["note", "tip", "warning", "danger"])
def test_callout_with_default_title(md_ru: MarkdownRenderer, name: str) -> None:
    html = html_of(md_ru, f"::: {name}\nBody *text*.\n:::\n")
    assert html == (
        f'<div class="callout callout-{name}" role="note">\n'
        f'<p class="callout-title">{RU_TITLES[name]}</p>\n'
        "<p>Body <em>text</em>.</p>\n</div>\n"
    )


def test_english_default_titles(md: MarkdownRenderer) -> None:
    assert '<p class="callout-title">Warning</p>' in html_of(md, "::: warning\nx\n:::\n")
    assert "<summary>Details</summary>" in html_of(md, "::: details\nx\n:::\n")


def test_callout_with_own_title_in_markdown(md: MarkdownRenderer) -> None:
    html = html_of(md, "::: tip Use `uv` here\nx\n:::\n")
    assert '<p class="callout-title">Use <code>uv</code> here</p>' in html


def test_details_is_a_native_disclosure(md: MarkdownRenderer) -> None:
    assert html_of(md, "::: details Пример ответа\n```json\n{}\n```\n:::\n") == (
        '<details id="пример-ответа" class="callout callout-details">\n'
        "<summary>Пример ответа</summary>\n"

        '<pre class="highlight"><code class="language-json"><span class="p">{}</span>\n'
        "</code></pre>\n</details>\n"
    )


def test_outer_container_with_more_colons_nests(md: MarkdownRenderer) -> None:
    text = ":::: details Outer\nbefore\n::: warning\ninner\n:::\nafter\n::::\nlast\n"
    html = html_of(md, text)
    assert html == (
        '<details id="outer" class="callout callout-details">\n<summary>Outer</summary>\n'
        "<p>before</p>\n"
        '<div class="callout callout-warning" role="note">\n'
        '<p class="callout-title">Warning</p>\n<p>inner</p>\n</div>\n'
        "<p>after</p>\n</details>\n<p>last</p>\n"
    )


def test_three_levels_of_nesting(md: MarkdownRenderer) -> None:
    html = html_of(md, "::::: details A\n:::: details B\n::: note\ndeep\n:::\n::::\n:::::\n")
    assert html.count("<details") == 2 and html.count("</details>") == 2
    assert "<p>deep</p>\n</div>\n</details>\n</details>\n" in html


def test_same_colon_count_still_nests(md: MarkdownRenderer) -> None:
    # The documented way is more colons outside; writers forget, and nothing should leak.
    html = html_of(md, "::: details Outer\n::: note\ninner\n:::\nafter\n:::\n")
    assert html == (
        '<details id="outer" class="callout callout-details">\n<summary>Outer</summary>\n'
        '<div class="callout callout-note" role="note">\n'
        '<p class="callout-title">Note</p>\n<p>inner</p>\n</div>\n'
        "<p>after</p>\n</details>\n"
    )


def test_marker_inside_a_code_fence_does_not_close_the_container(md: MarkdownRenderer) -> None:
    text = "::: tip How to write a note\n```md\n::: note\nText\n:::\n```\n:::\nafter\n"
    html = html_of(md, text)
    assert '<code class="language-md">::: note\nText\n:::\n</code></pre>\n</div>\n' in html
    assert html.endswith("<p>after</p>\n")


def test_unclosed_fence_in_a_list_item_ends_with_the_item(md: MarkdownRenderer) -> None:
    text = "::: note\n1. Step\n\n   ```yaml\n   a: 1\n\n2. Next\n:::\nafter\n"
    html = html_of(md, text)
    assert html.endswith("</ol>\n</div>\n<p>after</p>\n")
    # …also when the closing marker itself is the line that ends the item.
    html = html_of(md, "::: note\n1. Step\n\n   ```yaml\n   a: 1\n:::\nafter\n")
    assert html.endswith("</ol>\n</div>\n<p>after</p>\n")


def test_container_inside_a_list_item(md: MarkdownRenderer) -> None:
    html = html_of(md, "1. Step one.\n\n   ::: note\n   Careful.\n   :::\n\n1. Step two.\n")
    assert '<li>\n<p>Step one.</p>\n<div class="callout callout-note" role="note">' in html
    assert "<p>Careful.</p>\n</div>\n</li>\n<li>\n<p>Step two.</p>" in html


def test_unknown_container_keeps_its_content(md: MarkdownRenderer) -> None:
    assert html_of(md, "::: Info\nkept\n:::\n") == (
        '<div class="callout callout-info" role="note">\n<p>kept</p>\n</div>\n'
    )
    assert '<p class="callout-title">Heads up</p>' in html_of(md, "::: info Heads up\nx\n:::\n")


def test_container_titles_can_be_given_for_extra_names() -> None:
    md = MarkdownRenderer({"info": "Информация"})
    assert '<p class="callout-title">Информация</p>' in html_of(md, "::: info\nx\n:::\n")


def test_stray_and_unclosed_markers_lose_nothing(md: MarkdownRenderer) -> None:
    assert html_of(md, "text\n\n:::\n") == "<p>text</p>\n<p>:::</p>\n"
    unclosed = html_of(md, "::: note\nstill here\n")
    assert "<p>still here</p>\n</div>\n" in unclosed


# --- code, images, links -------------------------------------------------------------------


def test_fenced_code_is_highlighted_with_classes(md: MarkdownRenderer) -> None:
    html = html_of(md, "```python\nimport os\n```\n")
    assert html == (
        '<pre class="highlight"><code class="language-python">'
        '<span class="kn">import</span><span class="w"> </span><span class="nn">os</span>\n'
        "</code></pre>\n"
    )


def test_code_in_unknown_or_no_language_is_escaped(md: MarkdownRenderer) -> None:
    assert html_of(md, "```klingon\n<b>&\n```\n") == (
        '<pre class="highlight"><code class="language-klingon">&lt;b&gt;&amp;\n</code></pre>\n'
    )
    plain = '<pre class="highlight"><code>&lt;b&gt;\n</code></pre>\n'
    assert html_of(md, "```\n<b>\n```\n") == plain
    assert html_of(md, "    <i>\n") == '<pre class="highlight"><code>&lt;i&gt;\n</code></pre>\n'


def test_fence_info_with_line_marks(md: MarkdownRenderer) -> None:
    assert '<code class="language-js"><span class="kd">const</span>' in html_of(
        md, "```js{1}\nconst a = 1\n```\n"
    )


def test_image_is_lazy_with_alt(md: MarkdownRenderer) -> None:
    html = html_of(md, '![Счёт *за* май](schet.svg "Счёт")')
    assert html == ('<p><img src="schet.svg" alt="Счёт за май" title="Счёт" loading="lazy"></p>\n')


def test_external_links_get_noopener_only(md: MarkdownRenderer) -> None:
    html = html_of(md, "[a](https://x.org) [b](//cdn.x/y) [c](mailto:a@b.c) [d](page.md)")
    assert '<a href="https://x.org" rel="noopener">a</a>' in html
    assert '<a href="//cdn.x/y" rel="noopener">b</a>' in html
    assert '<a href="mailto:a@b.c">c</a>' in html
    assert '<a href="page.md">d</a>' in html


def test_relative_links_and_images_are_collected_with_lines(md: MarkdownRenderer) -> None:
    text = (
        "Intro [a](../nds/kak.md#sroki) and [ext](https://x.org)\n"
        "continued [b](#deadlines) ![img](schet.svg).\n"
        "\n"
        "| x | y |\n|---|---|\n| 1 | [c](c.md) |\n"
        "\n"
        "[d][ref] [e](mailto:a@b.c) [f](tel:+7)\n"
        "\n"
        "[ref]: other/_index.md\n"
    )
    parsed = md.parse(text, first_line=4)
    assert parsed.links == [
        LinkRef("../nds/kak.md#sroki", 4, "link"),
        LinkRef("#deadlines", 5, "link"),
        LinkRef("schet.svg", 5, "image"),
        LinkRef("c.md", 9, "link"),
        LinkRef("other/_index.md", 11, "link"),
    ]


def test_link_hrefs_are_reported_as_written_not_percent_encoded(md: MarkdownRenderer) -> None:
    parsed, rendered = both(md, "[x](#сроки-сдачи) [y](../a%20b.md)")
    assert [link.href for link in parsed.links] == ["#сроки-сдачи", "../a b.md"]
    # …while the HTML keeps a valid, encoded URL when nothing rewrites it.
    assert 'href="#%D1%81%D1%80%D0%BE%D0%BA%D0%B8-%D1%81%D0%B4%D0%B0%D1%87%D0%B8"' in rendered.html


def test_links_in_container_titles_and_footnotes_are_collected(md: MarkdownRenderer) -> None:
    parsed = md.parse("::: details See [x](x.md)\nbody\n:::\n\nA[^1]\n\n[^1]: [y](y.md)\n")
    assert [(link.href, link.line) for link in parsed.links] == [("x.md", 1), ("y.md", 7)]


def test_rewrite_substitutes_relative_hrefs_only(md: MarkdownRenderer) -> None:
    seen: list[LinkRef] = []

    def rewrite(ref: LinkRef) -> str | None:
        seen.append(ref)
        return "/ru/nds/kak/#sroki" if ref.href.endswith("#sroki") else None

    text = "[a](kak.md#sroki) [b](#local) [c](https://x.org) ![i](pic.png)"
    html = html_of(md, text, rewrite)
    assert [ref.href for ref in seen] == ["kak.md#sroki", "#local", "pic.png"]
    assert '<a href="/ru/nds/kak/#sroki">a</a>' in html
    assert '<a href="#local">b</a>' in html
    assert '<img src="pic.png"' in html


def test_render_does_not_change_the_parsed_page(md: MarkdownRenderer) -> None:
    parsed = md.parse("[a](a.md)")
    first = md.render(parsed, lambda ref: "/one/").html
    second = md.render(parsed, lambda ref: "/two/").html
    assert 'href="/one/"' in first and 'href="/two/"' in second


# --- sections for search -------------------------------------------------------------------


def test_sections_split_at_h2_and_h3(md_ru: MarkdownRenderer) -> None:
    text = (
        "Вступление с **жирным**\nи переносом.\n\n"
        "## Сроки {#deadlines}\n\nДо 25-го.\n\n#### Детали\n\nВнутри.\n\n"
        "### Код\n\n```python\nprint( 1 )\n```\n\n"
        "::: note\nЗаметка.\n:::\n\n::: tip Свой заголовок\nx\n:::\n"
    )
    sections = md_ru.render(md_ru.parse(text), keep).sections
    assert sections == [
        Section(None, "", "Вступление с жирным и переносом."),
        Section("deadlines", "Сроки", "До 25-го. Детали Внутри."),
        Section("код", "Код", "print( 1 ) Заметка. Свой заголовок x"),
    ]


FAQ = (
    "Ответы на частые вопросы.\n\n"
    "::: details Как управлять PTR-записями?\n\nОбратитесь в **поддержку**.\n\n:::\n\n"
    "Текст после вопроса.\n\n"
    "## Оплата\n\n"
    "::: details Как вернуть деньги?\n\n1. Откройте баланс.\n\n"
    "   ::: details Пример\n   Внутри шага.\n   :::\n\n:::\n\n"
    "::: details\nБез заголовка.\n:::\n"
)


def test_a_faq_question_is_a_section_of_its_own(md_ru: MarkdownRenderer) -> None:
    # A top-level collapsible with a summary (a FAQ's question) is its own search section, so
    # the question, not the whole long page, is what a search finds; the text around it stays
    # with its heading, and a collapsible inside a step or without a title stays in its parent.
    sections = md_ru.render(md_ru.parse(FAQ), keep).sections
    assert sections == [
        Section(None, "", "Ответы на частые вопросы. Текст после вопроса."),
        Section("как-управлять-ptr-записями", "Как управлять PTR-записями?",
                "Обратитесь в поддержку."),
        Section("оплата", "Оплата", "Без заголовка."),
        Section("как-вернуть-деньги", "Как вернуть деньги?",
                "Откройте баланс. Пример Внутри шага."),
    ]


def test_a_faq_question_can_be_linked_to(md_ru: MarkdownRenderer) -> None:
    parsed = md_ru.parse("## Вопрос\n\n::: details Вопрос\nответ\n:::\n\n[тот](#вопрос-1)\n")
    html = md_ru.render(parsed, keep).html
    # the heading keeps the id it had before collapsibles had any; the question gets the next
    assert '<h2 id="вопрос"' in html and '<details id="вопрос-1" class=' in html
    assert {"вопрос", "вопрос-1"} <= parsed.anchors
    assert parsed.problems == []


def test_a_faq_question_can_name_its_anchor(md_ru: MarkdownRenderer) -> None:
    parsed = md_ru.parse("::: details Как управлять PTR? {#ptr}\nответ\n:::\n")
    rendered = md_ru.render(parsed, keep)
    assert rendered.html.startswith(
        '<details id="ptr" class="callout callout-details">\n<summary>Как управлять PTR?</summary>')
    assert rendered.sections[1] == Section("ptr", "Как управлять PTR?", "ответ")
    assert "ptr" in parsed.anchors


def test_sections_read_tables_and_raw_html_as_text(md: MarkdownRenderer) -> None:
    text = (
        "| a | b |\n|---|---|\n| one<br>two | &amp; m<sup>2</sup> |\n\n"
        "<table><tr><td>raw&nbsp;cell</td></tr></table>\n"
    )
    (intro,) = md.render(md.parse(text), keep).sections
    assert intro == Section(None, "", "a b one two & m2 raw cell")


def test_empty_body(md: MarkdownRenderer) -> None:
    parsed, rendered = both(md, "")
    assert (parsed.headings, parsed.links, rendered.html) == ([], [], "")
    assert rendered.sections == [Section(None, "", "")]


# --- robustness and the real corpora -------------------------------------------------------

# One markdown fragment per line, joined at random: openers without closers, closers without
# openers, fences across containers, anchors in odd places.
MARKDOWN_BITS = r"""::: note
::: details T
:::: warning
:::
::::
:::x
## H {#x}
# {#}
{#T}
[a](b.md#c)
[{#T}](x.md)
![i](j.png)
```python
```
~~~
    code
| a | b |
|---|---|
| 1<br> | 2 |
[^1]
[^1]: note
^[inline]
- item
1. step
   ::: tip
> quote
<div id='x'>
</div>
**b {#y}**
---

[ref]: /u
<!--
-->
`{#z}`
##
###### Ё ё
	::: danger
\
&amp;""".splitlines()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.text(max_size=200),
        st.lists(st.sampled_from(MARKDOWN_BITS), max_size=25).map("\n".join),
        st.lists(st.one_of(st.sampled_from(MARKDOWN_BITS), st.text(max_size=8)), max_size=15).map(
            " ".join
        ),
    )
)
def test_parse_and_render_never_raise(text: str) -> None:
    md = _FUZZ_RENDERER
    parsed = md.parse(text, first_line=3)
    rendered = md.render(parsed, lambda ref: f"/x/{ref.line}/")
    assert isinstance(rendered.html, str)
    assert len({h.anchor for h in parsed.headings}) == len(parsed.headings)
    assert all(link.line >= 3 for link in parsed.links)


_FUZZ_RENDERER = MarkdownRenderer()

_LEFTOVER = re.compile(r":::|\{#")
_CODE = re.compile(r"<pre.*?</pre>|<code>.*?</code>", re.S)


@pytest.mark.corpus
@pytest.mark.parametrize("corpus", ["vkcloud", "datalens", "vuejs"])
def test_corpus_syntax_never_leaks_into_html(corpus_root: Path, corpus: str) -> None:
    """The pages with the most containers and `{#…}` anchors render without leftover syntax."""
    files = sorted((corpus_root / corpus / "content").rglob("*.md"))
    scored = []
    for path in files:
        text = path.read_text("utf-8")
        scored.append((text.count(":::") + 5 * text.count("{#"), str(path), text))
    scored.sort(reverse=True)
    md = MarkdownRenderer()
    for _, name, text in scored[:5]:
        body = text.split("\n---\n", 1)[1] if text.startswith("---\n") else text
        html = _CODE.sub("", md.render(md.parse(body), keep).html)
        assert not _LEFTOVER.findall(html), name


def test_a_hostile_faq_question_cannot_break_out_of_its_id(md: MarkdownRenderer) -> None:
    html = html_of(md, '::: details <img src=x onerror=alert(1)> "q" {#a"onmouseover="x}\nx\n:::\n')
    opener = html.splitlines()[0]
    assert opener == '<details id="a&quot;onmouseover=&quot;x" class="callout callout-details">'
    assert "onerror" not in html
