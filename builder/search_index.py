"""The search files of one language: Lunr indexes built in Python, loaded by lunr.js.

Every article intro, every article section (heading + anchor) and every collection page is
a document, so a result opens at the right place. Files written under `_search/<lang>/`:

- `index.json`: the title index (lunr.js 2.3.9 format; fields title, keywords, description)
  over article intros and collections, their result rows (kind, url, title, heading,
  collection path, source path), the collection paths and the stop words the browser must
  share with the builder. Small (158 KB gzip for vkcloud ru): it answers the first keystroke;
  fetched on the first focus of a search box.
- `body.json`: the body index (fields headings, body) over every document, and the section
  rows. Loaded in the background right after the title index.
- `text/<n>.json`: document texts in shards of `TEXT_SHARD`, fetched only for the results on
  screen (snippets and highlighting).

Terms are made by `builder.search_lang` (no lunr.py pipeline at index time, so nothing
depends on NLTK or the network); the indexes' search pipeline names one function,
`hc-term`, which the browser registers with the same behaviour before `lunr.Index.load`.
Every JSON file is written with sorted keys and compact separators, and precompressed
`.gz` (mtime 0) and `.br` copies are written beside it (setting `search.precompress`, default
on), so the same content gives the same bytes.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from lunr.builder import Builder
from lunr.field_ref import FieldRef
from lunr.idf import idf
from lunr.index import Index
from lunr.pipeline import Pipeline
from lunr.query import Query
from lunr.token import Token
from lunr.vector import Vector

from builder.model import Article, Collection, LanguageSite
from builder.search_lang import STOP_WORDS, index_terms, stem, tokenize

FORMAT = 1
TEXT_SHARD = 32
# Checked with bench/search_quality.py on vkcloud: title 6–24, headings 3–12, description 1–3
# all give overall MRR@10 0.92–0.93 and recall@5 0.99–1.00, because results are ordered by
# query words covered first; boosts only break ties between pages covering as many words.
FIELD_BOOSTS: dict[str, int] = {
    "title": 12,
    "keywords": 8,
    "headings": 6,
    "description": 3,
    "body": 1,
}


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


def hc_term(token: Token, i: int | None = None, tokens: list[Token] | None = None) -> Any:
    """Search pipeline function: a raw query word → its index term, or None for stop words.

    Only used when a lunr query string is searched (`index.search("...")`); the browser's
    query module builds clauses from `search_lang`-equivalent terms itself.
    """
    words = tokenize(str(token))
    if not words or words[0] in STOP_WORDS:
        return None
    return token.update(lambda _s, _m: stem(words[0]))


Pipeline.register_function(hc_term, "hc-term")


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

    for article in sorted(site.articles, key=lambda a: a.path):
        if not article.draft:
            for doc in _article_docs(article, path_id(article.collection)):
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
            )
        )
    return heads + sections, list(paths)


def is_head(doc: SearchDoc) -> bool:
    return not doc.heading


def _article_docs(article: Article, path: int) -> Iterable[SearchDoc]:
    url = article.url.lstrip("/")
    sections = article.sections or []
    if not sections or sections[0].anchor is not None:
        # An article whose body starts with a heading still gets a document for its title.
        yield SearchDoc("a", url, article.title, "", path, article.source_rel,
                        " ".join(article.keywords), article.description, "")  # fmt: skip
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
        )


class TermsBuilder(Builder):
    """lunr.py's Builder fed with ready-made terms, about six times faster.

    `add` and `_create_field_vectors` compute exactly what lunr.py's do (same BM25 weights,
    same rounding, same term numbering) without a Token per word and without inserting
    vector elements one by one; empty fields get no vector at all, which keeps thousands
    of `"12/keywords",[]` pairs out of the file (lunr only looks vectors up for matches).
    """

    def add(self, doc: dict[str, Any], attributes: dict[str, Any] | None = None) -> None:
        doc_ref = str(doc[self._ref])
        self._documents[doc_ref] = attributes or {}
        self.document_count += 1
        for field_name in self._fields:
            terms: list[str] = doc[field_name]
            if not terms:
                continue
            field_ref = str(FieldRef(doc_ref, field_name))
            frequencies: dict[str, int] = {}
            for term in terms:
                frequencies[term] = frequencies.get(term, 0) + 1
            self.field_term_frequencies[field_ref] = frequencies
            self.field_lengths[field_ref] = len(terms)
            for term in frequencies:
                posting = self.inverted_index.get(term)
                if posting is None:
                    posting = {name: {} for name in self._fields}
                    posting["_index"] = self.term_index
                    self.term_index += 1
                    self.inverted_index[term] = posting
                posting[field_name][doc_ref] = {}

    searchable = True

    def _create_token_set(self) -> None:
        # The token set only serves searches in Python; index files do not contain it
        # (lunr.js rebuilds it on load), and building it costs a third of the build.
        if self.searchable:
            super()._create_token_set()
        else:
            self.token_set = None

    def _calculate_average_field_lengths(self) -> None:
        # lunr.py divides by the number of documents with the field: zero when no document
        # has keywords at all, which a help centre without front-matter keywords is.
        totals: dict[str, int] = dict.fromkeys(self._fields, 0)
        counts: dict[str, int] = dict.fromkeys(self._fields, 0)
        for field_ref, length in self.field_lengths.items():
            name = FieldRef.from_string(field_ref).field_name
            totals[name] += length
            counts[name] += 1
        self.average_field_length = {
            name: totals[name] / counts[name] if counts[name] else 1.0 for name in self._fields
        }

    def _create_field_vectors(self) -> None:
        k1, b = self._k1, self._b
        idfs: dict[str, float] = {}
        vectors = {}
        for field_ref, frequencies in self.field_term_frequencies.items():
            ref = FieldRef.from_string(field_ref)
            length_ratio = self.field_lengths[field_ref] / self.average_field_length[ref.field_name]
            boost = self._fields[ref.field_name].boost * self._documents[ref.doc_ref].get(
                "boost", 1
            )
            pairs = []
            for term, tf in frequencies.items():
                posting = self.inverted_index[term]
                if term not in idfs:
                    idfs[term] = idf(posting, self.document_count)
                score = idfs[term] * ((k1 + 1) * tf) / (k1 * (1 - b + b * length_ratio) + tf)
                pairs.append((posting["_index"], round(score * boost, 3)))
            pairs.sort()
            vectors[field_ref] = Vector([x for pair in pairs for x in pair])
        self.field_vectors = vectors


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
            "title": index_terms(doc.title) if is_head(doc) else [],
            "keywords": index_terms(doc.keywords),
            "description": index_terms(doc.description),
            "headings": index_terms(doc.heading),
            "body": index_terms(doc.body),
        }
        for number, doc in enumerate(docs)
    ]


def build_index(
    terms: Sequence[dict[str, Any]], boosts: dict[str, int], *, searchable: bool = True
) -> Any:
    """A lunr.py Index over pre-computed document terms, refs are "0", "1", …

    `searchable=False` leaves out the token set: the Index can be serialised, not searched.
    """
    builder = TermsBuilder()
    builder.searchable = searchable
    builder.pipeline.reset()  # terms arrive ready-made from search_lang
    builder.search_pipeline.reset()
    builder.search_pipeline.add(hc_term)
    builder.ref("ref")
    for name, boost in boosts.items():
        builder.field(name, boost=boost)
    for fields in terms:
        if any(fields[name] for name in boosts):
            builder.add(fields)
    return builder.build()


def build_search_files(
    site: LanguageSite, config: object | None = None, *, compress: bool = True
) -> dict[str, bytes]:
    """Every search file of one language, paths relative to the site root.

    Two lunr indexes share the document numbers. `index.json` holds the article intros and
    collections (title, keywords, description) and their rows: small, it answers the first
    keystroke. `body.json` holds the headings and text of every document and the section
    rows; it loads in the background. lunr scores are sums of per-field scores, so the
    browser adds a document's two scores.
    """
    docs, paths = site_documents(site)
    heads = sum(1 for doc in docs if is_head(doc))
    terms = document_terms(docs)
    prefix = f"_search/{site.lang}/"
    rows = [[d.kind, d.url, d.title, d.heading, d.path, d.source] for d in docs]
    head_boosts = {f: FIELD_BOOSTS[f] for f in HEAD_FIELDS}
    body_boosts = {f: FIELD_BOOSTS[f] for f in BODY_FIELDS}
    head = {
        "format": FORMAT,
        "lang": site.lang,
        "stopWords": sorted(STOP_WORDS),
        "textShard": TEXT_SHARD,
        "paths": paths,
        "docs": rows[:heads],
        "index": serialize(build_index(terms[:heads], head_boosts, searchable=False)),
    }
    body = {
        "format": FORMAT,
        "docs": rows[heads:],
        "index": serialize(build_index(terms, body_boosts, searchable=False)),
    }
    files = {prefix + "index.json": _json(head), prefix + "body.json": _json(body)}
    for start in range(0, len(docs), TEXT_SHARD):
        shard = [_snippet_source(d) for d in docs[start : start + TEXT_SHARD]]
        files[f"{prefix}text/{start // TEXT_SHARD}.json"] = _json(shard)
    return (
        _with_compressed(files)
        if compress and _setting(config, "search.precompress", True)
        else files
    )


def _setting(config: object | None, name: str, default: Any) -> Any:
    """A config.yml setting when the config has it (see the report to the lead), else default."""
    if config is None:
        return default
    try:
        return config[name]  # type: ignore[index]
    except (KeyError, TypeError, LookupError):
        return default


TEXT_LIMIT = 3000  # characters of a section kept for snippets


def _snippet_source(doc: SearchDoc) -> str:
    # The description comes first: when only it (not the body) matched, the snippet shows it.
    text = (
        f"{doc.description} — {doc.body}"
        if doc.description and doc.body
        else doc.body or doc.description
    )
    return text[:TEXT_LIMIT]


def serialize(index: Any) -> dict[str, Any]:
    """lunr.py's `Index.serialize` without its second rounding of every vector element
    (a quarter of the build): TermsBuilder already rounded them to 3 places."""
    from lunr import __TARGET_JS_VERSION__

    return {
        "version": __TARGET_JS_VERSION__,
        "fields": index.fields,
        "fieldVectors": [[ref, vector.elements] for ref, vector in index.field_vectors.items()],
        "invertedIndex": [
            [term, index.inverted_index[term]] for term in sorted(index.inverted_index)
        ],
        "pipeline": index.pipeline.serialize(),
    }


def load_index(serialized: dict[str, Any]) -> Any:
    """A lunr.py Index from the `index` member of index.json or body.json."""
    return Index.load(serialized)


def run_clauses(
    index: Any, clauses: Sequence[dict[str, Any]]
) -> list[tuple[str, float, list[str]]]:
    """lunr.py's results for the clauses search-plan.js plans (its `runClauses`): the Python
    half of the parity test, (ref, score, matched terms) in lunr's order."""
    if not clauses:
        return []

    def add(query: Query) -> None:
        for clause in clauses:
            query.term(
                clause["term"],
                boost=clause["boost"],
                edit_distance=clause["editDistance"],
                wildcard=Query.WILDCARD_TRAILING if clause["wildcard"] else Query.WILDCARD_NONE,
                use_pipeline=False,
            )

    return [
        (hit["ref"], hit["score"], sorted(hit["match_data"].metadata))
        for hit in index.query(callback=add)
    ]


def _json(value: Any) -> bytes:
    # No sort_keys: every dict here is built in a fixed order (documents in path order, lunr's
    # postings as the builder met them), so the bytes are reproducible, and sorting the
    # postings of a big index was a third of its encoding time.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


# Above this size a file loads in the background (body.json): faster levels cost it 3–5 % in
# size and save about half a second of a vkcloud build. Small files (the first-keystroke
# index, snippet shards) keep the tighter levels.
BIG_FILE = 1 << 20


def _with_compressed(files: dict[str, bytes]) -> dict[str, bytes]:
    import brotli  # type: ignore[import-not-found]

    out = dict(files)
    for name, data in files.items():
        # Levels chosen for build time: gzip 9 and brotli 11 cost ~15 s more on vkcloud ru
        # for 2 % and 6 % smaller files.
        big = len(data) > BIG_FILE
        out[name + ".gz"] = gzip.compress(data, compresslevel=4 if big else 6, mtime=0)
        out[name + ".br"] = brotli.compress(data, quality=4 if big else 5)
    return out
