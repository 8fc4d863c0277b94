"""Front matter as writers type it: problems name the line in the FILE, not in the YAML block."""

from __future__ import annotations

import pytest

from builder import frontmatter
from builder.frontmatter import ARTICLE_FIELDS, COLLECTION_FIELDS, FrontMatter

SHOWN = "content/ru/nds/x.md"
AUTHORS = {"anna", "igor"}


def read(text: str, *, allowed: frozenset[str] = ARTICLE_FIELDS,
         title_required: bool = True) -> tuple[dict[str, object], FrontMatter, list[str]]:
    fm = frontmatter.split(text, SHOWN)
    fields = frontmatter.check_fields(fm, SHOWN, allowed, AUTHORS, title_required=title_required)
    return fields, fm, [str(p) for p in fm.problems]


def test_a_good_article() -> None:
    fields, fm, problems = read(
        "---\n"
        "title: Как подать декларацию\n"
        "description: Пошагово\n"
        "author: anna\n"
        "tags: [ндс, декларация]\n"
        "keywords: [vat]\n"
        "order: 2\n"
        "draft: false\n"
        "id: vat-return\n"
        "---\n"
        "Текст.\n"
    )
    assert problems == []
    assert fields == {
        "title": "Как подать декларацию",
        "description": "Пошагово",
        "author": "anna",
        "tags": ("ндс", "декларация"),
        "keywords": ("vat",),
        "order": 2,
        "draft": False,
        "id": "vat-return",
    }
    assert fm.body == "Текст.\n"
    assert fm.body_line == 11


def test_body_line_counts_the_front_matter() -> None:
    _, fm, _ = read("---\ntitle: A\n---\n\n## Heading\n")
    assert fm.body_line == 4
    assert fm.body == "\n## Heading\n"


def test_missing_front_matter() -> None:
    fields, fm, problems = read("# Just a heading\n\nText.\n")
    assert fields == {}
    assert fm.body == "# Just a heading\n\nText.\n"
    assert problems[0] == (
        f"{SHOWN}:1: missing front matter: the file must start with '---', then 'title: ...', "
        "then '---'"
    )


def test_unclosed_front_matter() -> None:
    _, _, problems = read("---\ntitle: A\n\nBody that never closed the fence.\n")
    assert problems[0] == f"{SHOWN}:1: front matter is not closed: add a line '---' after it"


def test_bad_yaml_names_the_line_in_the_file() -> None:
    text = "---\ntitle: A\ndescription: d\n  bad: indentation\n---\nbody\n"
    _, fm, problems = read(text)
    assert problems[0] == f"{SHOWN}:4: bad YAML: mapping values are not allowed in this context"
    assert fm.body == "body\n"
    assert fm.body_line == 6


def test_unreadable_front_matter_is_one_problem_not_two() -> None:
    _, _, bad_yaml = read("---\ntitle: A\n  bad: x\n---\nbody\n")
    _, _, unclosed = read("---\ntitle: A\nbody\n")
    assert len(bad_yaml) == 1, bad_yaml
    assert len(unclosed) == 1, unclosed


def test_front_matter_must_be_a_mapping() -> None:
    _, _, problems = read("---\n- title\n- A\n---\n")
    assert f"{SHOWN}:2: front matter must be a mapping like 'title: ...'" in problems


def test_unknown_field_names_its_line_and_the_known_ones() -> None:
    fields, _, problems = read("---\ntitle: A\ncolour: red\n---\n")
    assert fields == {"title": "A"}
    assert problems == [
        f"{SHOWN}:3: colour: unknown front matter field (known: author, description, draft, id, "
        "keywords, order, tags, title)"
    ]


def test_collection_fields_differ_from_article_fields() -> None:
    _, _, problems = read("---\ntitle: A\nicon: 🧾\n---\n")
    assert problems == [f"{SHOWN}:3: icon: unknown front matter field (known: author, "
                        "description, draft, id, keywords, order, tags, title)"]
    fields, _, problems = read("---\ntitle: A\nicon: 🧾\n---\n", allowed=COLLECTION_FIELDS)
    assert problems == []
    assert fields == {"title": "A", "icon": "🧾"}


def test_unknown_author_lists_the_known_ones() -> None:
    fields, _, problems = read("---\ntitle: A\n\nauthor: bob\n---\n")
    assert "author" not in fields
    assert problems == [f"{SHOWN}:4: author: unknown author 'bob' (known: anna, igor)"]


def test_unknown_author_without_authors_section_says_where_to_add_them() -> None:
    fm = frontmatter.split("---\ntitle: A\nauthor: bob\n---\n", SHOWN)
    frontmatter.check_fields(fm, SHOWN, ARTICLE_FIELDS, set())
    assert [str(p) for p in fm.problems] == [
        f"{SHOWN}:3: author: unknown author 'bob' (known: none: add an 'authors:' section to "
        "config.yml)"
    ]


def test_tags_as_a_comma_separated_string() -> None:
    fields, _, problems = read("---\ntitle: A\ntags: ндс, вычеты ,  \nkeywords: VAT\n---\n")
    assert problems == []
    assert fields["tags"] == ("ндс", "вычеты")
    assert fields["keywords"] == ("VAT",)


def test_tags_as_a_mapping_is_an_error() -> None:
    _, _, problems = read("---\ntitle: A\ntags: {a: 1}\n---\n")
    assert problems == [f"{SHOWN}:3: tags: expected a list like [vat, returns]"]


def test_wrong_kinds_each_on_their_line() -> None:
    _, _, problems = read("---\ntitle: [A]\norder: first\ndraft: maybe\ndescription: {}\n---\n")
    assert problems == [
        f"{SHOWN}:2: title: expected text",
        f"{SHOWN}:3: order: expected a whole number, got 'first'",
        f"{SHOWN}:4: draft: expected true or false, got 'maybe'",
        f"{SHOWN}:5: description: expected text",
    ]


def test_missing_title_is_required_for_articles_only() -> None:
    _, _, problems = read("---\ndescription: d\n---\n")
    assert problems == [f"{SHOWN}:2: title: missing (required)"]
    _, _, problems = read("---\ndescription: d\n---\n", allowed=COLLECTION_FIELDS,
                          title_required=False)
    assert problems == []


def test_empty_title_is_an_error() -> None:
    _, _, problems = read("---\ntitle: '  '\n---\n")
    assert problems == [f"{SHOWN}:2: title: must not be empty"]


def test_blank_id_is_a_warning_not_an_error() -> None:
    fields, fm, problems = read("---\ntitle: A\nid: ''\n---\n")
    assert problems == [f"{SHOWN}:3: warning: id: blank, so the path is used as the id"]
    assert all(p.warning for p in fm.problems)
    assert fields["id"] == ""


def test_numeric_id_is_kept_as_text() -> None:
    fields, _, problems = read("---\ntitle: A\nid: 12345\n---\n")
    assert problems == []
    assert fields["id"] == "12345"


@pytest.mark.parametrize(
    "text",
    [
        "\ufeff---\ntitle: A\n---\nbody",  # a BOM from a Windows editor
        "---\r\ntitle: A\r\n---\r\nbody",  # CRLF line ends
        "---\ntitle: A\n...\nbody",  # YAML's own end-of-document marker
    ],
)
def test_editor_variants_are_accepted(text: str) -> None:
    fields, fm, problems = read(text)
    assert problems == []
    assert fields == {"title": "A"}
    assert fm.body == "body"
    assert fm.body_line == 4


def test_a_dashes_line_in_the_body_is_not_the_fence() -> None:
    _, fm, problems = read("---\ntitle: A\n---\nIntro\n\n---\n\nMore\n")
    assert problems == []
    assert fm.body == "Intro\n\n---\n\nMore\n"


def test_crlf_file_problems_name_the_right_line() -> None:
    _, fm, problems = read("---\r\ntitle: A\r\nauthor: bob\r\n---\r\nbody\r\n")
    assert fm.body_line == 5
    assert problems == [f"{SHOWN}:3: author: unknown author 'bob' (known: anna, igor)"]
