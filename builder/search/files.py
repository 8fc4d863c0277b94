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

Terms are made by `builder.search.words` (no lunr.py pipeline at index time, so nothing
depends on NLTK or the network); the indexes' search pipeline names one function,
`hc-term`, which the browser registers with the same behaviour before `lunr.Index.load`.
Every JSON file is written with sorted keys and compact separators, and precompressed
`.gz` (mtime 0) and `.br` copies are written beside it (setting `search.precompress`, default
on), so the same content gives the same bytes.
"""

from __future__ import annotations

import gzip
import json
from typing import Any

from builder.config.loader import Config
from builder.model import LanguageSite
from builder.search.documents import (
    BODY_FIELDS,
    HEAD_FIELDS,
    document_terms,
    is_head,
    site_documents,
    snippet_source,
)
from builder.search.lunr_index import FIELD_BOOSTS, build_index, serialize
from builder.search.words import STOP_WORDS

FORMAT = 1
TEXT_SHARD = 32


def build_search_files(
    site: LanguageSite, config: Config | None = None, *, compress: bool = True
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
        shard = [snippet_source(d) for d in docs[start : start + TEXT_SHARD]]
        files[f"{prefix}text/{start // TEXT_SHARD}.json"] = _json(shard)
    return (
        _with_compressed(files)
        if compress and (config is None or config["search.precompress"])
        else files
    )


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
    import brotli

    out = dict(files)
    for name, data in files.items():
        # Levels chosen for build time: gzip 9 and brotli 11 cost ~15 s more on vkcloud ru
        # for 2 % and 6 % smaller files.
        big = len(data) > BIG_FILE
        out[name + ".gz"] = gzip.compress(data, compresslevel=4 if big else 6, mtime=0)
        out[name + ".br"] = brotli.compress(data, quality=4 if big else 5)
    return out
