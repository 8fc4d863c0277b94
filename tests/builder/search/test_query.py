"""The browser's query module (search-core.js) in node on the hand-made sample site: word forms,
ё, stop words, punctuation, prefixes, typos below exact matches, keyboard layout, snippets."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.search_sample import sample_site

from builder.model import Article, Collection, LanguageSite, Section
from builder.search.command import NodeSearch, format_results
from builder.search.files import build_search_files


@contextlib.contextmanager
def searching(site: LanguageSite, out: Path) -> Iterator[NodeSearch]:
    """The search of a site of the test's own, in node."""
    for name, data in build_search_files(site, compress=False).items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(data)
    with NodeSearch() as runner:
        runner.load(out / "_search" / site.lang)
        yield runner


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeSearch]:
    with searching(sample_site(), tmp_path_factory.mktemp("sample-search")) as runner:
        yield runner


def titles(found: dict[str, Any]) -> list[str]:
    return [r["title"] + (" › " + r["heading"] if r["heading"] else "") for r in found["results"]]


def test_word_forms_punctuation_and_stop_words(engine: NodeSearch) -> None:
    found = engine.search("Налоговую декларацию?")
    assert titles(found)[0] == "Налоговая декларация по НДС"
    assert [w["word"] for w in found["words"]] == ["налоговую", "декларацию"]
    assert titles(engine.search("как подать декларацию по НДС"))[0].startswith(
        "Налоговая декларация"
    )


def test_yo_and_ye_are_the_same_letter(engine: NodeSearch) -> None:
    assert (
        titles(engine.search("учет расходов"))[0] == "Налоговая декларация по НДС › Учёт расходов"
    )
    assert titles(engine.search("отчётность фирмы")) == titles(engine.search("отчетность фирмы"))
    assert titles(engine.search("объём диска"))[0].startswith("Объем диска виртуальной машины")


def test_results_group_by_article_and_open_at_the_section(engine: NodeSearch) -> None:
    found = engine.search("сроки подачи декларации")
    first = found["results"][0]
    assert first["url"] == "ru/nalogi/nds/deklaraciya/#deadlines"
    assert first["path"] == "Налоги › НДС"
    assert first["source"] == "content/ru/nalogi/nds/deklaraciya.md"
    urls = [r["url"].split("#")[0] for r in found["results"]]
    assert len(urls) == len(set(urls)), "one result per article"


def test_last_word_is_a_prefix_while_typing(engine: NodeSearch) -> None:
    typing = engine.search("налоговый выч", typing=True)
    assert titles(typing)[0] == "Налоговый вычет"
    assert titles(engine.search("kube", typing=True))[0].endswith("Диски в Kubernetes")


def test_typos_are_forgiven_but_rank_below_exact(engine: NodeSearch) -> None:
    assert titles(engine.search("деклорацию"))[0] == "Налоговая декларация по НДС"
    assert titles(engine.search("вычте"))[0] == "Налоговый вычет"  # swapped letters
    found = engine.search("расходв")  # one letter missing
    assert found["results"] and found["results"][0]["exact"] == 0
    both = engine.search("налоговая деклорация")
    assert (both["results"][0]["covered"], both["results"][0]["exact"]) == (2, 1)


def test_wrong_keyboard_layout_is_switched_and_said(engine: NodeSearch) -> None:
    found = engine.search("dsxtn")  # "вычет" typed in the English layout
    assert found["switched"] == "вычет"
    assert titles(found)[0] == "Налоговый вычет"
    assert engine.search("Kubernetes")["switched"] is None  # a real Latin word stays


def test_snippets_mark_the_matched_words(engine: NodeSearch) -> None:
    found = engine.search("сроки декларации", snippets=True)
    hits = [s["text"] for r in found["results"] for s in r["snippet"] if s["hit"]]
    assert "Декларацию" in hits
    assert "[Декларацию]" in format_results(found)


def test_a_pasted_paragraph_searches_its_first_thirty_words(engine: NodeSearch) -> None:
    filler = " ".join(f"слово{n}" for n in range(40))
    found = engine.search("налоговую декларацию " + filler)
    assert len(found["words"]) == 30  # a bounded query: one bit per word in the ranking
    assert titles(found)[0] == "Налоговая декларация по НДС"
    assert titles(engine.search(filler + " налоговую декларацию")) == []


def test_nothing_found_is_empty(engine: NodeSearch) -> None:
    found = engine.search("зюзюкабракадабра")
    assert found["results"] == [] and found["switched"] is None


def test_cli_prints_url_title_and_source(tmp_path: Path, engine: NodeSearch) -> None:
    from argparse import ArgumentParser

    from builder.search import command

    for name, data in build_search_files(sample_site(), compress=False).items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    parser = ArgumentParser()
    command.add_arguments(parser)
    args = parser.parse_args(["--site", str(tmp_path), "--lang", "ru", "--json", "вычет"])
    assert command.run(args) == 0
    args = parser.parse_args(["--site", str(tmp_path / "missing"), "--lang", "ru", "x"])
    assert command.run(args) == 2


def product_site() -> LanguageSite:
    """Two products whose pages share titles, as a real help centre's do."""
    root = Path("/products")
    site = LanguageSite(lang="ru", title="Справка", url="/ru/")
    products = {}
    for slug, name in (("adb", "Arenadata DB"), ("kafka", "Cloud Kafka")):
        products[slug] = Collection("ru", slug, root / slug, f"content/ru/{slug}/_index.md", name,
                                    "", url=f"/ru/{slug}/")  # fmt: skip
    site.collections = list(products.values())

    def article(product: str, slug: str, title: str, text: str) -> None:
        coll = products[product]
        path = f"{product}/{slug}"
        made = Article("ru", path, root / f"{path}.md", f"content/ru/{path}.md", title,
                       url=f"/ru/{path}/", id=path, slug=slug, collection=coll,
                       sections=[Section(None, "", text)])  # fmt: skip
        coll.articles.append(made)
        site.articles.append(made)

    article("adb", "tariffication", "Тарификация", "Стоимость кластера зависит от числа узлов.")
    article("kafka", "tariffication", "Тарификация", "Стоимость экземпляра зависит от брокеров.")
    article("adb", "monitoring", "Установка и настройка сервиса Мониторинг для Arenadata DB",
            "Мониторинг Arenadata DB подключают отдельно; его стоимость входит в тариф кластера.")
    site.articles.sort(key=lambda a: a.path)
    return site


def test_a_shared_title_is_known_by_its_product(tmp_path: Path) -> None:
    # «Тарификация» is the title of a page in every product: the reader names the product, and
    # the product's pricing page comes before a page that has the product in its own title and
    # mentions the price in passing.
    with searching(product_site(), tmp_path) as runner:
        found = runner.search("стоимость arenadata db")
        kafka = runner.search("стоимость cloud kafka")
    assert [r["url"] for r in found["results"]][:2] == [
        "ru/adb/tariffication/", "ru/adb/monitoring/"]  # fmt: skip
    assert kafka["results"][0]["url"] == "ru/kafka/tariffication/"


def disks_site() -> LanguageSite:
    """A how-to and a concepts page whose section touches the how-to's topic."""
    root = Path("/disks")
    site = LanguageSite(lang="ru", title="Справка", url="/ru/")
    coll = Collection("ru", "disks", root / "disks", "content/ru/disks/_index.md", "Диски", "",
                      url="/ru/disks/")  # fmt: skip
    site.collections = [coll]
    pages = {
        "create": ("Новый диск", [
            Section(None, "", "Диск создают в личном кабинете: отдельно от виртуальной машины "
                              "или вместе с ней, когда создают машину."),
            Section("size", "Размер", "Размер выбирают при создании; увеличить его можно позже."),
        ]),
        "modes": ("Режимы дисков", [
            Section(None, "", "Диски работают в двух режимах."),
            Section("with-vm", "Диск вместе с машиной",
                    "В этом режиме диск создают вместе с машиной и удаляют вместе с ней; "
                    "созданный отдельно диск переживает машину."),
        ]),
        "delete": ("Удаление диска", [Section(None, "", "Диск удаляют в личном кабинете.")]),
        "snapshots": ("Снимки диска", [Section(None, "", "Снимок диска создают по расписанию.")]),
    }  # fmt: skip
    for slug, (title, sections) in pages.items():
        made = Article("ru", f"disks/{slug}", root / f"{slug}.md", f"content/ru/disks/{slug}.md",
                       title, url=f"/ru/disks/{slug}/", id=f"disks/{slug}", slug=slug,
                       collection=coll, sections=sections)  # fmt: skip
        coll.articles.append(made)
        site.articles.append(made)
    return site


def test_a_page_that_answers_comes_before_a_section_that_touches_it(tmp_path: Path) -> None:
    # Both cover every word; the section of «Режимы дисков» scores a little higher, but a
    # reader asking how to create a disk on its own wants the page about new disks, not a
    # detail of another topic: a page's top counts as twice its score against a section.
    with searching(disks_site(), tmp_path) as runner:
        found = runner.search("создать диск отдельно от машины")
    first, second = found["results"][:2]
    assert (first["url"], second["url"]) == ("ru/disks/create/", "ru/disks/modes/#with-vm")
    assert first["score"] < second["score"]  # the section does score more
