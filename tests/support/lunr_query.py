"""lunr.py searching a built index: the Python half of the search parity tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lunr.index import Index
from lunr.query import Query


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
