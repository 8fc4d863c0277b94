"""Lunr indexes from ready-made terms (lunr.py's builder without its pipeline), serialised for
lunr.js 2.3.9."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lunr.builder import Builder
from lunr.field_ref import FieldRef
from lunr.idf import idf
from lunr.pipeline import Pipeline
from lunr.token import Token
from lunr.vector import Vector

from builder.search.words import STOP_WORDS, stem, tokenize

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


def hc_term(token: Token, i: int | None = None, tokens: list[Token] | None = None) -> Any:
    """Search pipeline function: a raw query word → its index term, or None for stop words.

    Only used when a lunr query string is searched (`index.search("...")`); the browser's
    query module builds clauses from `search.words`-equivalent terms itself.
    """
    words = tokenize(str(token))
    if not words or words[0] in STOP_WORDS:
        return None
    return token.update(lambda _s, _m: stem(words[0]))


Pipeline.register_function(hc_term, "hc-term")


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


def build_index(
    terms: Sequence[dict[str, Any]], boosts: dict[str, int], *, searchable: bool = True
) -> Any:
    """A lunr.py Index over pre-computed document terms, refs are "0", "1", …

    `searchable=False` leaves out the token set: the Index can be serialised, not searched.
    """
    builder = TermsBuilder()
    builder.searchable = searchable
    builder.pipeline.reset()  # terms arrive ready-made from search.words
    builder.search_pipeline.reset()
    builder.search_pipeline.add(hc_term)
    builder.ref("ref")
    for name, boost in boosts.items():
        builder.field(name, boost=boost)
    for fields in terms:
        if any(fields[name] for name in boosts):
            builder.add(fields)
    return builder.build()


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
