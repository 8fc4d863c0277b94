"""lunr.py (build time) and lunr.js (browser) must agree, word for word and score for score.

Indexes are built for the hand-made sample site and for the shared vkcloud corpus (ru + en).
Every distinct word of the corpus goes through builder.search.words (Python) and search-core.js
(node + vendored lunr-languages) and must give the same index term. Then 300+ queries per
language (corpus
words as written, phrases, ё spellings, typos, unfinished words, mixed ru/en, wrong keyboard
layout) are planned by search-core.js and run on both engines over the same index files: the
result lists and scores must be identical to 4 decimal places. The lunr query-string path
(`index.search`, through the `hc-term` search pipeline) is compared the same way.
"""

from __future__ import annotations

import json
import random
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.env import ROOT
from support.lunr_query import load_index, run_clauses
from support.search_sample import sample_site

from builder.search.command import NodeSearch
from builder.search.documents import site_documents
from builder.search.files import build_search_files
from builder.search.words import index_terms, stem, tokenize

# bench/search_corpus.py reads a corpus through the real pipeline; bench/ is not a package
# that pytest puts on the path.
sys.path.insert(0, str(ROOT))

pytestmark = pytest.mark.corpus


def write_search(sites: dict[str, Any], out: Path) -> None:
    for site in sites.values():
        for name, data in build_search_files(site, compress=False).items():
            target = out / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)


@pytest.fixture(scope="session")
def vkcloud_sites(corpus_root: Path) -> dict[str, Any]:
    from bench.search_corpus import load_sites

    return load_sites(corpus_root / "vkcloud" / "config.yml")


@pytest.fixture(scope="session")
def vkcloud_search(vkcloud_sites: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("vkcloud-search")
    write_search(vkcloud_sites, out)
    return out


@pytest.fixture(scope="session")
def node() -> Iterator[NodeSearch]:
    with NodeSearch() as runner:
        yield runner


def _round(hits: list[Any]) -> list[tuple[str, float, list[str]]]:
    # lunr sorts by score only; ties come out in engine-specific order, so compare sorted.
    rounded = [(str(ref), round(score, 4), list(terms)) for ref, score, terms in hits]
    return sorted(rounded, key=lambda hit: (-hit[1], hit[0]))


def _words(site: Any) -> list[str]:
    docs, _ = site_documents(site)
    seen: dict[str, None] = {}
    for doc in docs:
        for text in (doc.title, doc.heading, doc.description, doc.body):
            for word in re.findall(r"[0-9A-Za-zÀ-ɏЀ-ӿ]+", text):
                seen.setdefault(word, None)
    return list(seen)


def make_queries(words: list[str], seed: int, lang: str) -> list[tuple[str, bool]]:
    """(query, typing) pairs of every kind the browser sees, reproducible from `seed`."""
    rnd = random.Random(seed)
    cyr = [w for w in words if re.fullmatch(r"[А-Яа-яЁё]{4,}", w)]
    lat = [w for w in words if re.fullmatch(r"[A-Za-z]{3,}", w)]
    pool = (cyr or lat) if lang == "ru" else (lat or cyr)
    queries: list[tuple[str, bool]] = []
    for word in rnd.sample(pool, min(60, len(pool))):  # as written, inflected
        queries.append((word, False))
    for _ in range(40):  # phrases with punctuation
        queries.append(
            (" ".join(rnd.sample(pool, rnd.choice((2, 3)))) + rnd.choice(("", "?", ".")), False)
        )
    for word in rnd.sample(pool, min(40, len(pool))):  # ё spelled where е is written
        spots = [i for i, ch in enumerate(word) if ch in "еЕ"]
        if spots:
            i = rnd.choice(spots)
            queries.append((word[:i] + "ё" + word[i + 1 :], False))
    for word in rnd.sample(pool, min(60, len(pool))):  # typos
        i = rnd.randrange(1, len(word) - 1)
        kind = rnd.randrange(3)
        typo = (
            word[:i] + word[i + 1 :]
            if kind == 0
            else word[:i] + word[i + 1] + word[i] + word[i + 2 :]
            if kind == 1
            else word[:i] + rnd.choice("аеоиxyz") + word[i + 1 :]
        )
        queries.append((typo, False))
    for word in rnd.sample(pool, min(60, len(pool))):  # unfinished last word
        queries.append((word[: rnd.randint(2, min(7, len(word)))], True))
    for _ in range(30):  # mixed ru/en
        if lat and cyr:
            queries.append((f"{rnd.choice(lat)} {rnd.choice(cyr)}", rnd.random() < 0.5))
    en_keys, ru_keys = "`qwertyuiop[]asdfghjkl;'zxcvbnm,.", "ёйцукенгшщзхъфывапролджэячсмитьбю"
    for word in rnd.sample(cyr, min(30, len(cyr))):  # typed in the wrong layout
        queries.append(
            ("".join(en_keys[ru_keys.index(c)] if c in ru_keys else c for c in word.lower()), False)
        )
    return queries


def check_site(node: NodeSearch, search_dir: Path, site: Any, seed: int) -> int:
    """Run all parity checks on one language; returns how many queries were compared."""
    node.load(search_dir)
    words = _words(site)
    stop_words = json.loads((search_dir / "index.json").read_text())["stopWords"]
    js_terms = node.call({"cmd": "terms", "words": words, "stopWords": stop_words})
    py_terms = [
        (index_terms(w) or [None])[0] if len(tokenize(w)) == 1 else [stem(t) for t in tokenize(w)]
        for w in words
    ]
    mismatches = [(w, p, j) for w, p, j in zip(words, py_terms, js_terms, strict=True) if p != j]
    assert not mismatches, f"{len(mismatches)} words stem differently: {mismatches[:20]}"

    texts = [d.body for d in site_documents(site)[0][:800]]
    assert node.call({"cmd": "tokenize", "texts": texts}) == [tokenize(t) for t in texts]

    indexes = [
        load_index(json.loads((search_dir / name).read_text())["index"])
        for name in ("index.json", "body.json")
    ]
    queries = make_queries(words, seed, site.lang)
    for query, typing in queries:
        plan = node.call({"cmd": "plan", "q": query, "typing": typing})
        js = node.call({"cmd": "raw", "clauses": plan["clauses"]})
        for n, (index, js_hits) in enumerate(zip(indexes, js, strict=True)):
            clauses = [c for c in plan["clauses"] if n == 0 or not c.get("headOnly")]
            py_hits = run_clauses(index, clauses)
            assert _round(py_hits) == _round(js_hits), (query, typing)
        if not typing:
            js = node.call({"cmd": "lunr", "q": query})
            for index, js_hits in zip(indexes, js, strict=True):
                py_hits = [
                    (h["ref"], h["score"], sorted(h["match_data"].metadata))
                    for h in index.search(query)
                ]
                assert _round(py_hits) == _round(js_hits), ("query string", query)
    # lunr's own fuzzy and wildcard syntax through the query-string path, too
    for query, _ in queries[150:180]:
        for suffix in ("~1", "~2", "*"):
            js = node.call({"cmd": "lunr", "q": query.split()[0] + suffix})
            for index, js_hits in zip(indexes, js, strict=True):
                py_hits = [
                    (h["ref"], h["score"], sorted(h["match_data"].metadata))
                    for h in index.search(query.split()[0] + suffix)
                ]
                assert _round(py_hits) == _round(js_hits), ("query string", query, suffix)
    return len(queries)


def test_sample_site_parity(node: NodeSearch, tmp_path: Path) -> None:
    site = sample_site()
    write_search({site.lang: site}, tmp_path)
    assert check_site(node, tmp_path / "_search" / site.lang, site, seed=1) >= 50


def test_vkcloud_parity(
    node: NodeSearch, vkcloud_search: Path, vkcloud_sites: dict[str, Any]
) -> None:
    compared = 0
    for lang, seed in (("ru", 3), ("en", 4)):
        compared += check_site(node, vkcloud_search / "_search" / lang, vkcloud_sites[lang], seed)
    assert compared >= 500
