"""Search forgives more (issue 11), in node with the real lunr.js on small hand-made help
centres: a typo beside a correct word, a query naming a product or section, Russian typed in
Latin letters."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from builder.model import Article, Collection, LanguageSite, Section
from builder.search.command import NodeSearch
from builder.search.files import build_search_files

ROOT = Path("/forgiving")


class Site:
    """A help centre made in code: collections by path, articles with one text each."""

    def __init__(self) -> None:
        self.site = LanguageSite(lang="ru", title="Справка", url="/ru/")
        self.collections: dict[str, Collection] = {}

    def collection(self, path: str, title: str, parent: str | None = None) -> None:
        up = self.collections[parent] if parent else None
        made = Collection("ru", path, ROOT / path, f"content/ru/{path}/_index.md", title,
                          url=f"/ru/{path}/", parent=up)  # fmt: skip
        (up.children if up else self.site.collections).append(made)
        self.collections[path] = made

    def article(self, collection: str, slug: str, title: str, text: str) -> None:
        coll = self.collections[collection]
        path = f"{collection}/{slug}"
        made = Article("ru", path, ROOT / f"{path}.md", f"content/ru/{path}.md", title,
                       url=f"/ru/{path}/", id=path, slug=slug, collection=coll,
                       sections=[Section(None, "", text)])  # fmt: skip
        coll.articles.append(made)
        self.site.articles.append(made)


def open_search(site: Site, folder: Path) -> NodeSearch:
    site.site.articles.sort(key=lambda a: a.path)
    for name, data in build_search_files(site.site, compress=False).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    runner = NodeSearch()
    runner.load(folder / "_search" / "ru")
    return runner


def urls(found: dict[str, Any]) -> list[str]:
    return [r["url"].split("#")[0] for r in found["results"]]


@pytest.fixture(scope="module")
def typos(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeSearch]:
    site = Site()
    site.collection("projects", "Аккаунт")
    site.article("projects", "settings", "Проект и его настройки",
                 "Проект объединяет ресурсы. Настройки проекта: имя проекта, квоты проекта, "
                 "участники проекта.")  # fmt: skip
    site.article("projects", "new", "Новый проект",
                 "Чтобы создать проект, нажмите кнопку в личном кабинете.")  # fmt: skip
    site.article("projects", "keys", "Ключи доступа", "Создайте ключ доступа к API.")
    with open_search(site, tmp_path_factory.mktemp("typos")) as runner:
        yield runner


def test_a_typo_beside_a_matching_word_is_corrected_not_dropped(typos: NodeSearch) -> None:
    # "созадть" is two edits from its stem's neighbour "созда" but one from the prefix
    # "созда" of what the reader meant; "проект" alone would rank the settings page first.
    assert urls(typos.search("проект"))[0] == "ru/projects/settings/"
    found = typos.search("созадть проект")
    assert urls(found)[0] == "ru/projects/new/"
    first = found["results"][0]
    assert (first["covered"], first["exact"]) == (2, 1)  # both words, one of them corrected
    assert "созда" in found["words"][0]["corrections"]
    # the other order, and a typo in the other word
    assert urls(typos.search("проект созадть"))[0] == "ru/projects/new/"
    assert urls(typos.search("создать проетк"))[0] == "ru/projects/new/"


@pytest.fixture(scope="module")
def products(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeSearch]:
    site = Site()
    site.collection("storage", "Хранение данных")
    site.collection("storage/s3", "Объектное хранилище", parent="storage")
    site.article("storage/s3", "buckets", "Бакеты", "Бакет хранит файлы. Создайте бакет.")
    site.article("storage/s3", "keys", "Ключи доступа", "Ключ даёт доступ к бакету по API.")
    site.collection("k8s", "Kubernetes")
    site.article("k8s", "nodes", "Узлы кластера", "Добавьте узлы в группу узлов.")
    site.article("k8s", "ingress", "Балансировка трафика", "Ingress направляет запросы к подам.")
    site.collection("net", "Сети")
    site.article("net", "lb", "Балансировщик нагрузки",
                 "Балансировщик работает с Kubernetes: Kubernetes Ingress, сервисы Kubernetes. "
                 "Логи балансировщика можно хранить в объектном хранилище; объектное "
                 "хранилище подключают в настройках.")  # fmt: skip
    with open_search(site, tmp_path_factory.mktemp("products")) as runner:
        yield runner


def test_a_query_naming_a_product_ranks_its_articles_first(products: NodeSearch) -> None:
    found = urls(products.search("Kubernetes"))
    # the product's page and both its articles, though neither article says "Kubernetes",
    # come before the page that only mentions it (three times)
    assert set(found[:3]) == {"ru/k8s/", "ru/k8s/nodes/", "ru/k8s/ingress/"}
    assert found.index("ru/net/lb/") == 3


def test_a_query_naming_a_nested_section_ranks_its_articles_first(products: NodeSearch) -> None:
    found = urls(products.search("Объектное хранилище"))
    assert set(found[:3]) == {"ru/storage/s3/", "ru/storage/s3/buckets/", "ru/storage/s3/keys/"}
    assert "ru/net/lb/" in found[3:]
    # the section's words with a detail: the detail picks the article within the section
    assert urls(products.search("ключи объектного хранилища"))[0] == "ru/storage/s3/keys/"


def test_a_product_word_beside_other_words_does_not_outrank_them(products: NodeSearch) -> None:
    # "балансировщик" is in the Сети article's title; the product word only adds to it
    found = urls(products.search("балансировщик kubernetes"))
    assert found[0] == "ru/net/lb/"


@pytest.fixture(scope="module")
def translit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeSearch]:
    site = Site()
    site.collection("billing", "Оплата")
    site.article("billing", "refund", "Как вернуть деньги",
                 "Вернуть деньги за неиспользованные услуги можно по заявлению.")  # fmt: skip
    site.article("billing", "vat", "НДС в счетах", "Счёт-фактура с НДС приходит каждый месяц.")
    site.article("billing", "pay", "Оплата картой", "Оплатите счёт картой или переводом.")
    site.collection("storage", "Объектное хранилище")
    site.article("storage", "journal", "Журнал запросов",
                 "Журнал хранилища записывает каждый запрос к объектам.")  # fmt: skip
    site.article("storage", "kubernetes", "Хранилище для Kubernetes",
                 "Подключите хранилище к кластеру Kubernetes.")  # fmt: skip
    with open_search(site, tmp_path_factory.mktemp("translit")) as runner:
        yield runner


@pytest.mark.parametrize(
    ("query", "reading", "first"),
    [
        ("kak vernut dengi", "как вернуть деньги", "ru/billing/refund/"),  # soft signs left out
        ("nds", "ндс", "ru/billing/vat/"),
        ("schyot-faktura", "счет фактура", "ru/billing/vat/"),  # Wikipedia's scheme
        ("oplata kartoy", "оплата картой", "ru/billing/pay/"),  # y for й
        ("zhurnal zaprosov", "журнал запросов", "ru/storage/journal/"),
        ("jurnal", "журнал", "ru/storage/journal/"),  # j for ж (Telegram)
        ("khranilishche dlya kubernetes", "хранилище для kubernetes", "ru/storage/kubernetes/"),
        ("hranilishe dlja kubernetes", "хранилище для kubernetes", "ru/storage/kubernetes/"),
    ],
)
def test_russian_typed_in_latin_letters_finds_the_russian_articles(
    translit: NodeSearch, query: str, reading: str, first: str
) -> None:
    found = translit.search(query)
    assert urls(found)[0] == first
    assert found["switched"] is not None
    assert " ".join(w["word"] for w in found["words"]) != query  # searched as Cyrillic
    assert reading.split()[0][:4] == found["switched"].split()[0][:4]


def test_transliteration_leaves_known_latin_words_and_layout_alone(translit: NodeSearch) -> None:
    assert translit.search("kubernetes")["switched"] is None
    assert urls(translit.search("kubernetes"))[0] == "ru/storage/kubernetes/"
    layout = translit.search("ylc")  # "ндс" typed in the English layout: still the layout
    assert layout["switched"] == "ндс"
    typing = translit.search("kak vernut den", typing=True)  # the last word unfinished
    assert urls(typing)[0] == "ru/billing/refund/"
