"""Heading ids: readable slugs, and unique ones handed out in linear time however many repeat."""

from __future__ import annotations

import time

from builder.markdown.anchors import AnchorSet, slugify
from builder.markdown.renderer import MarkdownRenderer


def test_repeats_get_the_smallest_free_number() -> None:
    ids = AnchorSet()
    ids.add("шаг-2")  # taken by an explicit {#шаг-2} earlier on the page
    assert [ids.unique(base) for base in ("шаг", "шаг", "шаг-1", "шаг", "шаг", "итог")] == [
        "шаг", "шаг-1", "шаг-1-1", "шаг-3", "шаг-4", "итог"]


def test_fifty_thousand_repeats_take_linear_time() -> None:
    ids = AnchorSet()
    started = time.perf_counter()
    handed = [ids.unique("шаг") for _ in range(50_000)]
    assert time.perf_counter() - started < 5  # counting from 1 each time was minutes
    assert handed[-1] == "шаг-49999" and len(set(handed)) == 50_000


def test_twenty_thousand_identical_headings_render_with_distinct_ids() -> None:
    body = "## Шаг\n\nТекст.\n\n" * 20_000
    started = time.perf_counter()
    parsed = MarkdownRenderer().parse(body)
    assert time.perf_counter() - started < 20  # 49 s before; a few seconds of markdown-it now
    anchors = [h.anchor for h in parsed.headings]
    assert anchors[:3] == ["шаг", "шаг-1", "шаг-2"] and anchors[-1] == "шаг-19999"


def test_slugs_keep_cyrillic_and_join_words_with_dashes() -> None:
    assert slugify("Сроки сдачи НДС") == "сроки-сдачи-ндс"
    assert slugify("!!!") == "section"


def test_a_hundred_thousand_inline_anchors_take_linear_time() -> None:
    body = "{#a} " * 100_000  # 0.5 MB; each anchor trimmed a copy of all before it: 113 s
    started = time.perf_counter()
    parsed = MarkdownRenderer().parse(body)
    assert time.perf_counter() - started < 20
    assert "a" in parsed.anchors and len(parsed.problems) == 99_999  # the repeats, reported
