"""The search files of a language: documents, terms, determinism, compressed copies."""

from __future__ import annotations

import gzip
import json

import brotli  # type: ignore[import-not-found]
from support.lunr_query import load_index
from support.search_sample import sample_site

from builder.search.documents import document_terms, site_documents
from builder.search.files import build_search_files
from builder.search.lunr_index import FIELD_BOOSTS, build_index, serialize
from builder.search.words import index_terms, porter_stem, stem, tokenize


def test_documents_are_sections_and_collections() -> None:
    docs, paths = site_documents(sample_site())
    urls = [d.url for d in docs]
    assert "ru/nalogi/nds/deklaraciya/" in urls
    assert "ru/nalogi/nds/deklaraciya/#deadlines" in urls
    assert "ru/nalogi/nds/" in urls  # collections are searchable too
    assert not any("secret" in u for u in urls), "drafts are not searchable"
    assert all(not u.startswith("/") for u in urls)
    section = docs[urls.index("ru/nalogi/nds/deklaraciya/#deadlines")]
    assert (section.heading, section.title) == ("Сроки подачи", "Налоговая декларация по НДС")
    assert paths[section.path] == "Налоги › НДС"
    assert section.source == "content/ru/nalogi/nds/deklaraciya.md"


def test_files_are_deterministic_and_compressed() -> None:
    first = build_search_files(sample_site())
    second = build_search_files(sample_site())
    assert first == second
    assert all(name.startswith("_search/ru/") for name in first)
    for name in ("_search/ru/index.json", "_search/ru/body.json", "_search/ru/text/0.json"):
        assert gzip.decompress(first[name + ".gz"]) == first[name]
        assert brotli.decompress(first[name + ".br"]) == first[name]
    head = json.loads(first["_search/ru/index.json"])
    assert head["index"]["pipeline"] == ["hc-term"]
    assert head["index"]["fields"] == ["title", "keywords", "description"]
    body = json.loads(first["_search/ru/body.json"])
    assert body["index"]["fields"] == ["headings", "body"]
    # the title index holds article intros and collections; sections come with the body
    assert all("#" not in row[1] for row in head["docs"])
    assert all("#" in row[1] for row in body["docs"])
    assert "и" in head["stopWords"] and "время" not in head["stopWords"]


def test_words_fold_yo_and_keep_latin_and_digits() -> None:
    assert index_terms("Учёт") == index_terms("учет") == ["учет"]
    assert index_terms("отчётность") == index_terms("отчетность")
    assert stem("объем") == "объ"  # NLTK's stemmer gives "обь"
    assert index_terms("фирма ФНС") == ["фирм", "фнс"]  # no trimmer eating ф
    assert tokenize("налоговая? ip-адрес, S3 v1.2") == ["налоговая", "ip", "адрес", "s3", "v1", "2"]
    assert index_terms("и в на the of") == []


def test_porter_matches_lunr_js_on_words_ending_in_y() -> None:
    # Expected values are what lunr.js 2.3.9's stemmer returns (lunr.py's own port differs).
    assert [porter_stem(w) for w in ("pay", "day", "money", "try", "lay", "cry")] == [
        "pay", "day", "money", "tri", "lay", "cri",
    ]  # fmt: skip
    assert porter_stem("running") == "run" and porter_stem("volumes") == "volum"


def test_serialize_matches_lunr_py() -> None:
    docs, _ = site_documents(sample_site())
    index = build_index(document_terms(docs), FIELD_BOOSTS)
    assert serialize(index) == index.serialize()


def test_query_string_search_uses_the_shared_pipeline() -> None:
    files = build_search_files(sample_site(), compress=False)
    head = load_index(json.loads(files["_search/ru/index.json"])["index"])
    docs = json.loads(files["_search/ru/index.json"])["docs"]
    found = [docs[int(hit["ref"])][2] for hit in head.search("налоговую декларацию?")]
    assert found[0] == "Налоговая декларация по НДС"
    body = load_index(json.loads(files["_search/ru/body.json"])["index"])
    assert body.search("отчётность"), "ё in the query finds е in the text and back"
