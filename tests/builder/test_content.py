"""content/ as a tree: languages, nested collections, articles, translations, assets, problems."""

from __future__ import annotations

from pathlib import Path

from builder.config.loader import load_config
from builder.content import ContentTree, load_content
from builder.model import Article, Collection

CONFIG = """\
site: {title: Help}
languages: [ru, en]
authors:
  anna: {name: Анна, email: anna@example.com}
"""


def article(title: str, extra: str = "", body: str = "Text.\n") -> str:
    return f"---\ntitle: {title}\n{extra}---\n{body}"


def make_project(root: Path, files: dict[str, str | bytes], config: str = CONFIG) -> Path:
    (root / "config.yml").write_text(config, encoding="utf-8")
    for rel, data in files.items():
        target = root / "content" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            target.write_bytes(data)
        else:
            target.write_text(data, encoding="utf-8")
    return root / "config.yml"


def load(root: Path, files: dict[str, str | bytes], *, drafts: bool = False,
         config: str = CONFIG) -> ContentTree:
    return load_content(load_config(make_project(root, files, config)), include_drafts=drafts)


def messages(tree: ContentTree) -> list[str]:
    return [str(p) for p in sorted(tree.problems)]


def titles(pages: list[Article] | list[Collection]) -> list[str]:
    return [p.title for p in pages]


SAMPLE: dict[str, str | bytes] = {
    "ru/_index.md": "---\ntitle: Справка\ndescription: Ответы\n---\nДобро пожаловать.\n",
    "ru/nds/_index.md": "---\ntitle: НДС\ndescription: Налог\nicon: 🧾\norder: 1\n---\n",
    "ru/nds/deklaraciya.md": article("Декларация", "author: anna\ntags: [ндс]\n"),
    "ru/nds/vychety/_index.md": "---\ntitle: Вычеты\n---\n",
    "ru/nds/vychety/schet-faktura.md": article("Счёт-фактура"),
    "ru/oplata/_index.md": "---\ntitle: Оплата\norder: 2\n---\n",
    "ru/oplata/tarify.md": article("Тарифы"),
    "en/nds/_index.md": "---\ntitle: VAT\n---\n",
    "en/nds/deklaraciya.md": article("VAT return"),
}


def test_tree_of_languages_collections_and_articles(tmp_path: Path) -> None:
    tree = load(tmp_path, SAMPLE)
    assert messages(tree) == []
    assert list(tree.sites) == ["ru", "en"]
    ru = tree.sites["ru"]
    assert (ru.title, ru.description, ru.url) == ("Справка", "Ответы", "/ru/")
    assert ru.intro_text == "Добро пожаловать.\n"
    assert ru.source_rel == "content/ru/_index.md"
    assert titles(ru.collections) == ["НДС", "Оплата"]
    nds = ru.collections[0]
    assert (nds.path, nds.url, nds.icon, nds.description) == ("nds", "/ru/nds/", "🧾", "Налог")
    assert titles(nds.articles) == ["Декларация"]
    assert titles(nds.children) == ["Вычеты"]
    assert [a.path for a in ru.articles] == [
        "nds/deklaraciya", "nds/vychety/schet-faktura", "oplata/tarify"]


def test_an_article_knows_where_it_lives(tmp_path: Path) -> None:
    tree = load(tmp_path, SAMPLE)
    ru = tree.sites["ru"]
    first = ru.articles[0]
    assert first.lang == "ru"
    assert first.path == "nds/deklaraciya"
    assert first.slug == "deklaraciya"
    assert first.url == "/ru/nds/deklaraciya/"
    assert first.id == "nds/deklaraciya"
    assert first.source_rel == "content/ru/nds/deklaraciya.md"
    assert first.source == (tmp_path / "content/ru/nds/deklaraciya.md").resolve()
    assert first.author is not None and first.author.name == "Анна"
    assert first.tags == ("ндс",)
    assert first.collection is ru.collections[0]
    assert first.body_text == "Text.\n"
    assert first.body_line == 6


def test_nested_collections_know_their_parents(tmp_path: Path) -> None:
    tree = load(tmp_path, SAMPLE)
    ru = tree.sites["ru"]
    nds = ru.collections[0]
    vychety = nds.children[0]
    assert vychety.path == "nds/vychety"
    assert vychety.url == "/ru/nds/vychety/"
    assert vychety.parent is nds
    assert vychety.ancestors() == [nds]
    assert vychety.articles[0].collection is vychety
    assert titles(nds.all_articles()) == ["Декларация", "Счёт-фактура"]
    assert [c.path for c in ru.all_collections()] == ["nds", "nds/vychety", "oplata"]


def test_collection_without_index_is_named_after_its_folder(tmp_path: Path) -> None:
    tree = load(tmp_path, {"ru/chasto-zadavaemye/q.md": article("Q"), "en/x.md": article("X")})
    assert messages(tree) == []
    [collection] = tree.sites["ru"].collections
    assert collection.title == "Chasto zadavaemye"
    assert collection.source_rel == "content/ru/chasto-zadavaemye"


def test_articles_at_the_language_root_have_no_collection(tmp_path: Path) -> None:
    tree = load(tmp_path, {"ru/faq.md": article("FAQ"), "en/faq.md": article("FAQ")})
    [faq] = tree.sites["ru"].articles
    assert faq.collection is None
    assert faq.url == "/ru/faq/"


def test_order_first_then_title_ignoring_case(tmp_path: Path) -> None:
    tree = load(tmp_path, {
        "ru/a/_index.md": "---\ntitle: A\n---\n",
        "ru/a/one.md": article("яблоко"),
        "ru/a/two.md": article("Банан"),
        "ru/a/three.md": article("последняя", "order: 10\n"),
        "ru/a/four.md": article("первая", "order: -1\n"),
        "ru/a/five.md": article("арбуз"),
        "ru/b/_index.md": "---\ntitle: Zeta\norder: 1\n---\n",
        "ru/c/_index.md": "---\ntitle: alpha\n---\n",
        "ru/d/_index.md": "---\ntitle: Beta\n---\n",
        "en/x.md": article("X"),
    })
    ru = tree.sites["ru"]
    assert titles(ru.collections) == ["Zeta", "A", "alpha", "Beta"]
    a = next(c for c in ru.collections if c.path == "a")
    assert titles(a.articles) == ["первая", "последняя", "арбуз", "Банан", "яблоко"]


def test_translations_are_linked_by_same_relative_path(tmp_path: Path) -> None:
    tree = load(tmp_path, {**SAMPLE, "en/only-en.md": article("Only in English")})
    ru, en = tree.sites["ru"], tree.sites["en"]
    ru_article = ru.articles[0]
    en_article = next(a for a in en.articles if a.path == "nds/deklaraciya")
    assert ru_article.translations == {"en": en_article}
    assert en_article.translations == {"ru": ru_article}
    assert ru.collections[0].translations == {"en": en.collections[0]}
    assert next(a for a in en.articles if a.path == "only-en").translations == {}
    assert ru.articles[-1].translations == {}


def test_duplicate_id_in_one_language_is_an_error(tmp_path: Path) -> None:
    tree = load(tmp_path, {
        "ru/a.md": article("A", "id: vat\n"),
        "ru/b.md": article("B", "id: vat\n"),
        "en/a.md": article("A", "id: vat\n"),  # the translation shares it: that is the point
    })
    assert messages(tree) == ["content/ru/b.md:1: id: 'vat' is already used by content/ru/a.md"]


def test_an_explicit_id_may_equal_nothing_else(tmp_path: Path) -> None:
    tree = load(tmp_path, {"ru/a.md": article("A"), "ru/b.md": article("B", "id: a\n"),
                           "en/a.md": article("A")})
    assert messages(tree) == ["content/ru/b.md:1: id: 'a' is already used by content/ru/a.md"]


def test_article_and_folder_of_the_same_name_clash(tmp_path: Path) -> None:
    tree = load(tmp_path, {
        "ru/nds.md": article("НДС"),
        "ru/nds/_index.md": "---\ntitle: НДС\n---\n",
        "ru/nds/x.md": article("X"),
        "en/x.md": article("X"),
    })
    assert messages(tree) == [
        "content/ru/nds.md:1: URL /ru/nds/ is also used by content/ru/nds/_index.md"
    ]


def test_drafts_are_left_out_unless_asked_for(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        "ru/a/_index.md": "---\ntitle: A\n---\n",
        "ru/a/done.md": article("Done"),
        "ru/a/wip.md": article("Work in progress", "draft: true\n"),
        "ru/secret/_index.md": "---\ntitle: Secret\ndraft: true\n---\n",
        "ru/secret/inside.md": article("Inside"),
        "en/x.md": article("X"),
    }
    tree = load(tmp_path, files)
    ru = tree.sites["ru"]
    assert [a.path for a in ru.articles] == ["a/done"]
    assert titles(ru.collections) == ["A"]
    with_drafts = load(tmp_path, files, drafts=True).sites["ru"]
    assert [a.path for a in with_drafts.articles] == ["a/done", "a/wip", "secret/inside"]
    assert titles(with_drafts.collections) == ["A", "Secret"]
    assert next(a for a in with_drafts.articles if a.path == "a/wip").draft is True


def test_files_next_to_articles_are_collected_as_assets(tmp_path: Path) -> None:
    tree = load(tmp_path, {
        "ru/oplata/_index.md": "---\ntitle: Оплата\n---\n",
        "ru/oplata/schet.md": article("Счёт"),
        "ru/oplata/schet.svg": "<svg/>",
        "ru/oplata/img/step-1.png": b"\x89PNG\r\n",
        "ru/oplata/.DS_Store": b"junk",
        "ru/oplata/_draft-notes.txt": "private",
        "en/x.md": article("X"),
    })
    assert messages(tree) == []
    found = sorted((a.out_path, a.source_rel) for a in tree.assets)
    assert found == [
        ("ru/oplata/img/step-1.png", "content/ru/oplata/img/step-1.png"),
        ("ru/oplata/schet.svg", "content/ru/oplata/schet.svg"),
    ]
    assert all(a.source.is_file() for a in tree.assets)


def test_folder_that_is_not_a_language_is_a_warning(tmp_path: Path) -> None:
    tree = load(tmp_path, {"ru/x.md": article("X"), "en/x.md": article("X"),
                           "de/x.md": article("X")})
    [problem] = tree.problems
    assert problem.warning
    assert str(problem) == ("content/de: warning: folder 'de' is not a language of config.yml "
                            "(languages: ru, en); it is not built")
    assert "de" not in tree.sites


def test_missing_language_folder_is_an_error(tmp_path: Path) -> None:
    tree = load(tmp_path, {"ru/x.md": article("X")})
    assert messages(tree) == ["content/en: folder for language 'en' is missing"]


def test_missing_content_folder_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "config.yml").write_text(CONFIG, encoding="utf-8")
    tree = load_content(load_config(tmp_path / "config.yml"))
    assert messages(tree) == ["content: content folder is missing (expected next to config.yml)"]


def test_problems_of_several_files_are_all_collected(tmp_path: Path) -> None:
    tree = load(tmp_path, {
        "ru/a.md": "---\ndescription: no title\n---\n",
        "ru/b.md": article("B", "author: nobody\n"),
        "ru/c/_index.md": "---\ndescription: a collection needs a title\n---\n",
        "en/d.md": "---\ntitle: D\n\n\nweird: 1\n---\n",
        "en/e.md": "no front matter at all\n",
    })
    got = messages(tree)
    assert "content/ru/a.md:2: title: missing (required)" in got
    assert "content/ru/b.md:3: author: unknown author 'nobody' (known: anna)" in got
    assert "content/ru/c/_index.md:2: title: missing (required)" in got
    assert any(m.startswith("content/en/d.md:5: weird: unknown front matter field") for m in got)
    assert any(m.startswith("content/en/e.md:1: missing front matter") for m in got)


def test_an_article_with_problems_still_appears_with_a_fallback_title(tmp_path: Path) -> None:
    tree = load(tmp_path, {"ru/kak-oplatit.md": "---\ndescription: d\n---\n",
                           "en/x.md": article("X")})
    [a] = tree.sites["ru"].articles
    assert a.title == "Kak oplatit"


def test_language_home_is_optional(tmp_path: Path) -> None:
    tree = load(tmp_path, {"ru/x.md": article("X"), "en/x.md": article("X")})
    assert messages(tree) == []
    assert tree.sites["ru"].title == "Help"
    assert tree.sites["ru"].source_rel == ""


def test_translations_with_the_same_explicit_id_share_it(tmp_path: Path) -> None:
    tree = load(tmp_path, {"ru/a.md": article("А", "id: vat-return\n"),
                           "en/a.md": article("A", "id: vat-return\n")})
    assert messages(tree) == []
    assert {s.articles[0].id for s in tree.sites.values()} == {"vat-return"}


def test_a_translation_without_id_shares_the_originals_id(tmp_path: Path) -> None:
    tree = load(tmp_path, {"ru/a.md": article("А", "id: vat-return\n"),
                           "en/a.md": article("A")})
    assert messages(tree) == []
    assert tree.sites["en"].articles[0].id == "vat-return"
