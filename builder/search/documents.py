"""What a language's search is made of: article intros, article sections (heading + anchor)
and collections, each a document with its index terms."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from builder.model import Article, Collection, LanguageSite
from builder.search.words import index_terms


@dataclass(frozen=True)
class SearchDoc:
    """One searchable unit: an article section or a collection page."""

    kind: str  # "a" article section, "c" collection
    url: str  # site-root-relative without the leading slash, "#anchor" for sections
    title: str  # the article's (or collection's) title
    heading: str  # the section heading, "" for the intro and for collections
    path: int  # index into the collection-path table
    source: str  # "content/ru/nds/x.md"
    keywords: str
    description: str
    body: str
    qualifier: str = ""  # a shared title's collection ("Тарификация" of «Arenadata DB»)


def collection_path(collection: Collection | None) -> str:
    if collection is None:
        return ""
    return " › ".join(node.title for node in [*collection.ancestors(), collection])


def site_documents(site: LanguageSite) -> tuple[list[SearchDoc], list[str]]:
    """Every published article's intro and every collection first (the title index covers
    exactly these), then every article section; and the table of collection paths."""
    heads: list[SearchDoc] = []
    sections: list[SearchDoc] = []
    paths: dict[str, int] = {}

    def path_id(collection: Collection | None) -> int:
        return paths.setdefault(collection_path(collection), len(paths))

    qualify = _Qualifier(site)
    for article in sorted(site.articles, key=lambda a: a.path):
        if not article.draft:
            qualifier = qualify(article.title, article.collection)
            for doc in _article_docs(article, path_id(article.collection), qualifier):
                (sections if doc.heading else heads).append(doc)
    for collection in sorted(site.all_collections(), key=lambda c: c.path):
        heads.append(
            SearchDoc(
                kind="c",
                url=collection.url.lstrip("/"),
                title=collection.title,
                heading="",
                path=path_id(collection.parent),
                source=collection.source_rel,
                keywords="",
                description=collection.description,
                body="",
                qualifier=qualify(collection.title, collection.parent),
            )
        )
    return heads + sections, list(paths)


def is_head(doc: SearchDoc) -> bool:
    return not doc.heading


class _Qualifier:
    """A title that several pages share ("Тарификация", "Вопросы и ответы", "Концепции") is
    known by its collection, as the sidebar shows it: it is searched with the titles of its
    collections up to the first one that is not shared ("Arenadata DB"), so that "стоимость
    arenadata db" can find «Тарификация» of that product by its title."""

    def __init__(self, site: LanguageSite) -> None:
        published = [article for article in site.articles if not article.draft]
        self.count: Counter[str] = Counter(
            _key(page.title) for page in [*published, *site.all_collections()]
        )

    def __call__(self, title: str, collection: Collection | None) -> str:
        names: list[str] = []
        shared = self.count[_key(title)] > 1
        while shared and collection is not None:
            names.append(collection.title)
            shared = self.count[_key(collection.title)] > 1
            collection = collection.parent
        return " ".join(names)


def _key(title: str) -> str:
    return " ".join(title.casefold().split())


def _article_docs(article: Article, path: int, qualifier: str = "") -> Iterable[SearchDoc]:
    url = article.url.lstrip("/")
    sections = article.sections or []
    if not sections or sections[0].anchor is not None:
        # An article whose body starts with a heading still gets a document for its title.
        yield SearchDoc("a", url, article.title, "", path, article.source_rel,
                        " ".join(article.keywords), article.description, "",
                        qualifier)  # fmt: skip
    for section in sections:
        intro = section.anchor is None
        yield SearchDoc(
            kind="a",
            url=url if intro else f"{url}#{section.anchor}",
            title=article.title,
            heading="" if intro else section.heading or article.title,
            path=path,
            source=article.source_rel,
            keywords=" ".join(article.keywords) if intro else "",
            description=article.description if intro else "",
            body=section.text,
            qualifier=qualifier if intro else "",
        )


HEAD_FIELDS = ("title", "keywords", "description")


BODY_FIELDS = ("headings", "body")


def document_terms(docs: Sequence[SearchDoc]) -> list[dict[str, Any]]:
    """Index terms of every field of every document, computed once for both indexes.

    Title, keywords and description belong to an article's intro document (or a collection)
    only; headings and text to every document. The browser adds an article's title score to
    each of its sections, so a query naming the article and a detail finds that section.
    """
    return [
        {
            "ref": str(number),
            "title": _head_title_terms(doc) if is_head(doc) else [],
            "keywords": index_terms(doc.keywords),
            "description": index_terms(doc.description),
            "headings": _heading_terms(doc),
            "body": index_terms(doc.body),
        }
        for number, doc in enumerate(docs)
    ]


def _head_title_terms(doc: SearchDoc) -> list[str]:
    terms = index_terms(doc.title)
    if doc.qualifier:
        own = set(terms)
        terms += [term for term in index_terms(doc.qualifier) if term not in own]
    return terms


def _heading_terms(doc: SearchDoc) -> list[str]:
    """A section heading's terms, less those of its article's title: the browser credits the
    title to every section already, and counting a word twice put a how-to whose headings
    repeat its title ("1. Create a Spark cluster manifest") above the article of that title."""
    title = _title_terms(doc.title)
    return [term for term in index_terms(doc.heading) if term not in title]


@functools.lru_cache(maxsize=256)
def _title_terms(title: str) -> frozenset[str]:
    """Once per article, not once per section (its sections come one after another)."""
    return frozenset(index_terms(title))


TEXT_LIMIT = 3000  # characters of a section kept for snippets


def snippet_source(doc: SearchDoc) -> str:
    # The description comes first: when only it (not the body) matched, the snippet shows it.
    text = (
        f"{doc.description} — {doc.body}"
        if doc.description and doc.body
        else doc.body or doc.description
    )
    return text[:TEXT_LIMIT]
