"""Links writers type between files become relative site URLs; broken ones are file:line errors."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote, unquote

import pytest

from builder.markdown.links import AnchorCheck, LinkIndex, LinkResolver, LinkTarget, check_anchors
from builder.markdown.renderer import LinkRef
from builder.model import Project
from builder.project import load_project

CONFIG = """\
site: {title: T}
languages: [ru, en]
authors:
  anna: {name: Анна, email: anna@example.com}
"""


def make_project(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "config.yml").write_text(CONFIG, encoding="utf-8")
    for rel, text in files.items():
        target = root / "content" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root / "config.yml"


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPCENTER_CACHE", str(tmp_path / "cache"))


def load(root: Path, files: dict[str, str]) -> Project:
    return load_project(make_project(root / "project", files))


def hrefs(project: Project, lang: str, path: str) -> list[str]:
    article = next(a for a in project.sites[lang].articles if a.path == path)
    return re.findall(r'<a href="([^"]*)"', article.body_html)


def errors(project: Project) -> list[str]:
    return [str(p) for p in project.errors]


FILES = {
    "ru/nds/_index.md": "---\ntitle: НДС\n---\nНачните с [декларации](deklaraciya.md#sroki).\n",
    "ru/nds/deklaraciya.md": (
        "---\ntitle: Декларация\n---\n"
        "\n"
        "## Сроки {#sroki}\n"
        "\n"
        "## Как заполнить\n"
        "\n"
        "См. [ставки](../stavki/nds.md#ставки-2025), [раздел](../stavki/),"
        " [оглавление](#как-заполнить), [главная](../_index.md), [бланк](blank.pdf)"
        " и [поиск](../stavki/nds.md?from=x#ставки-2025).\n"
    ),
    "ru/nds/blank.pdf": "%PDF-1.4",
    "ru/stavki/_index.md": "---\ntitle: Ставки\n---\n",
    "ru/stavki/nds.md": "---\ntitle: Ставки НДС\n---\n## Ставки 2025\n\nТекст.\n",
    "ru/статьи/пример.md": "---\ntitle: Пример\n---\n[назад](../nds/deklaraciya.md)\n",
    "ru/nds/k-primeru.md": "---\ntitle: К примеру\n---\n[пример](../статьи/пример.md)\n",
    "en/nds/deklaraciya.md": (
        "---\ntitle: VAT return\n---\nThe [Russian original](../../ru/nds/deklaraciya.md#sroki)."
        "\n"
    ),
}


def test_md_links_with_anchors_become_relative_urls(tmp_path: Path) -> None:
    project = load(tmp_path, FILES)
    assert errors(project) == []
    # a fragment may be percent-encoded or not: browsers match either against the id
    assert [unquote(h) for h in hrefs(project, "ru", "nds/deklaraciya")] == [
        "../../../ru/stavki/nds/#ставки-2025",
        "../../../ru/stavki/",
        "#как-заполнить",
        "../../../ru/",
        "../../../ru/nds/blank.pdf",
        "../../../ru/stavki/nds/?from=x#ставки-2025",
    ]


def test_links_from_a_collection_intro(tmp_path: Path) -> None:
    project = load(tmp_path, FILES)
    nds = project.sites["ru"].collections[0]
    assert 'href="../../ru/nds/deklaraciya/#sroki"' in nds.body_html


def test_links_across_languages(tmp_path: Path) -> None:
    project = load(tmp_path, FILES)
    assert hrefs(project, "en", "nds/deklaraciya") == ["../../../ru/nds/deklaraciya/#sroki"]


def test_cyrillic_paths_are_percent_encoded(tmp_path: Path) -> None:
    project = load(tmp_path, FILES)
    [href] = hrefs(project, "ru", "nds/k-primeru")
    assert href == "../../../ru/" + quote("статьи") + "/" + quote("пример") + "/"
    assert href.isascii()
    assert hrefs(project, "ru", "статьи/пример") == ["../../../ru/nds/deklaraciya/"]


def test_relative_urls_resolve_to_the_target_page() -> None:
    """What a browser does with the href from the page's own URL gives the target's URL."""
    from urllib.parse import urljoin

    page = "https://h.example/ru/nds/deklaraciya/"
    assert unquote(urljoin(page, "../../../ru/stavki/nds/#x")) == "https://h.example/ru/stavki/nds/#x"


def test_broken_link_names_file_and_line(tmp_path: Path) -> None:
    project = load(tmp_path, {
        **FILES,
        "ru/nds/bad.md": "---\ntitle: B\n---\nline 4\n\nline 6 [нет](../nds/net-takoj.md)\n"
                         "[картинка](img/missing.png)\n",
    })
    assert errors(project) == [
        "content/ru/nds/bad.md:6: broken link: ../nds/net-takoj.md (no such article: "
        "net-takoj.md)",
        "content/ru/nds/bad.md:7: broken link: img/missing.png (no such file: img/missing.png)",
    ]


def test_broken_anchor_into_another_page(tmp_path: Path) -> None:
    project = load(tmp_path, {
        **FILES,
        "ru/nds/bad.md": "---\ntitle: B\n---\n\n\n[сроки](deklaraciya.md#deadlines)\n",
    })
    assert errors(project) == [
        "content/ru/nds/bad.md:6: broken anchor: #deadlines is not a heading of "
        "content/ru/nds/deklaraciya.md"
    ]


def test_broken_anchor_on_the_same_page(tmp_path: Path) -> None:
    project = load(tmp_path, {
        **FILES,
        "ru/nds/bad.md": "---\ntitle: B\n---\n## Есть\n\n[нет](#нет-такого)\n[есть](#есть)\n",
    })
    assert errors(project) == [
        "content/ru/nds/bad.md:6: broken anchor: #нет-такого is not a heading on this page"
    ]


def test_external_links_are_left_alone(tmp_path: Path) -> None:
    project = load(tmp_path, {
        **FILES,
        "ru/nds/ext.md": "---\ntitle: E\n---\n[ФНС](https://www.nalog.gov.ru/) "
                         "[почта](mailto:help@example.com)\n",
    })
    assert errors(project) == []
    assert hrefs(project, "ru", "nds/ext") == ["https://www.nalog.gov.ru/",
                                               "mailto:help@example.com"]


# --- the resolver and the anchor check on their own ------------------------------------------


def resolver(tmp_path: Path) -> LinkResolver:
    source = tmp_path / "content/ru/a/x.md"
    target = str(tmp_path / "content/ru/b/y.md")
    index = LinkIndex(
        pages={target: LinkTarget("/ru/b/y/", target, "content/ru/b/y.md")},
        files={str(tmp_path / "content/ru/a/pic.png"): "/ru/a/pic.png"},
    )
    return LinkResolver(index, source, "/ru/a/x/", frozenset({"top"}), "content/ru/a/x.md")


def test_resolver_records_what_it_resolved(tmp_path: Path) -> None:
    resolve = resolver(tmp_path)
    assert resolve(LinkRef("../b/y.md#part", 3, "link")) == "../../../ru/b/y/#part"
    assert resolve(LinkRef("pic.png", 4, "image")) == "../../../ru/a/pic.png"
    assert resolve(LinkRef("#top", 5, "link")) is None
    assert resolve(LinkRef("gone.md", 6, "link")) is None
    assert resolve.checks == [AnchorCheck(3, str(tmp_path / "content/ru/b/y.md"),
                                          "content/ru/b/y.md", "part")]
    assert resolve.resolved == {
        str(tmp_path / "content/ru/b/y.md"): "/ru/b/y/",
        str(tmp_path / "content/ru/a/pic.png"): "/ru/a/pic.png",
        str(tmp_path / "content/ru/a/gone.md"): None,
    }
    assert [str(p) for p in resolve.problems] == [
        "content/ru/a/x.md:6: broken link: gone.md (no such article: gone.md)"]


def test_check_anchors_only_judges_pages_it_knows() -> None:
    checks = [AnchorCheck(2, "/k/y.md", "content/y.md", "ok"),
              AnchorCheck(3, "/k/y.md", "content/y.md", "nope"),
              AnchorCheck(4, "/k/unknown.md", "content/unknown.md", "whatever")]
    problems = check_anchors("content/x.md", checks, {"/k/y.md": frozenset({"ok"})})
    assert [str(p) for p in problems] == [
        "content/x.md:3: broken anchor: #nope is not a heading of content/y.md"]
