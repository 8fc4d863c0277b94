"""Store queries for searching every conversation (mixed into SqlStore): the operators'
search and its spreadsheet exports.

A search is a `SearchFilters`; every filter narrows (AND). `q` matches a conversation when
one of its messages or notes holds all of q's words in any of their forms (the index is in
store/search_index.py). Dates (`created_from`, `created_to`) are the conversation's start,
so a month's export does not change when an old conversation gets a new message; hits come
newest activity first (updated_at, then id), like the inbox.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Integer,
    Text,
    column,
    exists,
    func,
    literal_column,
    or_,
    select,
    table,
    union_all,
)

from builder.search.words import STOP_WORDS, TOKEN_RE, stem, tokenize
from chat_server.store.base import Record
from chat_server.store.queries import Queries
from chat_server.store.schema import conversation_tags, conversations, messages, operators, readers
from chat_server.store.search_index import FTS_TABLE, RECENT_TABLE

MAX_QUERY_WORDS = 12  # more words only make a slower query that finds the same or nothing
FIRST_MESSAGE_CHARS = 300
SNIPPET_CHARS = 160
_SNIPPET_BEFORE = 50  # of the snippet's characters, how many come before the first match
_ID_CHUNK = 1000  # ids per IN list: well under either database's bound-parameter limit

c = conversations.c
_fts = table(FTS_TABLE, column("rowid", Integer))
_recent = table(RECENT_TABLE, column("message_id", Integer), column("terms", Text))


@dataclass(frozen=True)
class SearchFilters:
    q: str = ""
    tags: tuple[str, ...] = ()  # all of them
    operator_id: int | None = None
    unassigned: bool = False  # no operator (operator_id is then ignored)
    group: str | None = None
    state: str | None = None  # open | snoozed | closed
    rating: str | None = None  # the article rating the reader came with
    created_from: int | None = None  # epoch ms, inclusive
    created_to: int | None = None  # epoch ms, exclusive


def query_words(q: str) -> list[str]:
    """q's words as the index sees them (folded, no stop words), at most MAX_QUERY_WORDS."""
    words = [w for w in tokenize(q) if w not in STOP_WORDS]
    return list(dict.fromkeys(words))[:MAX_QUERY_WORDS]


class ConversationSearchQueries(Queries):
    async def search_conversations(self, filters: SearchFilters, limit: int = 20,
                                   offset: int = 0, snippets: bool = True
                                   ) -> tuple[list[Record], int]:
        """One page of hits, newest activity first, and how many there are in all."""
        words = query_words(filters.q)
        if filters.q.strip() and not words:
            return [], 0  # only stop words or punctuation: nothing can match them
        matching = self._matching(words) if words else None
        where = _where(filters, matching)
        count = select(func.count()).select_from(conversations).where(*where)
        page = (_hit_columns().where(*where).order_by(c.updated_at.desc(), c.id.desc())
                .limit(limit).offset(offset))
        async with self.engine.connect() as conn:
            total = int((await conn.execute(count)).scalar_one())
            rows = [dict(r) for r in (await conn.execute(page)).mappings()]
        ids = [int(r["id"]) for r in rows]
        tags = await self._tags_of(ids)
        found = await self._snippets(words, ids) if words and snippets else {}
        return [_hit(row, tags.get(int(row["id"]), []), found.get(int(row["id"])))
                for row in rows], total

    def _matching(self, words: list[str], within: list[int] | None = None) -> Any:
        """(id, conversation_id) of the messages and notes holding every word (in the
        conversations `within`, when given)."""
        m = messages.c
        scope = [] if within is None else [m.conversation_id.in_(within)]
        if self.is_sqlite:
            # Each stem quoted: FTS5 then reads it as a plain term, never as its syntax.
            terms = [stem(w) for w in words]
            match = " ".join('"' + t.replace('"', '""') + '"' for t in terms)
            indexed = (select(m.id, m.conversation_id)
                       .join(_fts, _fts.c.rowid == m.id)
                       .where(literal_column(FTS_TABLE).op("MATCH")(match), *scope))
            # The newest messages, not yet moved into FTS5 (fewer than ~MOVE_EVERY rows).
            spaced = " " + _recent.c.terms + " "
            # IN, not a join: the few recent rows are scanned, then messages read by id.
            recent = select(m.id, m.conversation_id).where(m.id.in_(
                select(_recent.c.message_id).where(
                    *(func.instr(spaced, f" {t} ") > 0 for t in terms))), *scope)
            return union_all(indexed, recent)
        return select(m.id, m.conversation_id).where(*scope, *(_has_word(w) for w in words))

    async def _tags_of(self, ids: list[int]) -> dict[int, list[str]]:
        t = conversation_tags.c
        found: dict[int, list[str]] = {}
        async with self.engine.connect() as conn:
            for chunk in _chunks(ids):
                query = (select(t.conversation_id, t.tag).where(t.conversation_id.in_(chunk))
                         .order_by(t.conversation_id, t.added_at, t.tag))
                for row in await conn.execute(query):
                    found.setdefault(int(row[0]), []).append(str(row[1]))
        return found

    async def _snippets(self, words: list[str], ids: list[int]) -> dict[int, Record]:
        """Each conversation's newest matching message, cut around its first match."""
        if not ids:
            return {}
        hits = self._matching(words, ids).subquery()
        newest = (select(func.max(hits.c.id)).group_by(hits.c.conversation_id)
                  .scalar_subquery())
        m = messages.c
        query = select(m.id, m.conversation_id, m.body, m.internal, m.author_kind).where(
            m.id.in_(newest))
        stems = {stem(w) for w in words}
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return {int(r[1]): {"message_id": int(r[0]), "internal": bool(r[3]),
                            "author_kind": str(r[4]), **snippet(str(r[2]), stems)}
                for r in rows}


def _has_word(word: str) -> Any:
    """PostgreSQL: the message has the word's Russian or its English lexeme (per word, so a
    mixed query keeps every word). A word both dictionaries drop as a stop word that the
    site's list keeps (further, again) narrows nothing, instead of matching nothing."""
    vector: Any = literal_column("chat_messages.search_vector")
    query = func.plainto_tsquery(literal_column("'russian'::regconfig"), word).op("||")(
        func.plainto_tsquery(literal_column("'english'::regconfig"), word))
    return or_(func.numnode(query) == 0, vector.op("@@")(query))


def _where(filters: SearchFilters, matching: Any) -> list[Any]:
    t = conversation_tags.c
    where: list[Any] = [
        exists().where(t.conversation_id == c.id, t.tag == tag) for tag in filters.tags]
    if matching is not None:
        where.append(c.id.in_(select(matching.subquery().c.conversation_id)))
    if filters.unassigned:
        where.append(c.assignee_id.is_(None))
    elif filters.operator_id is not None:
        where.append(c.assignee_id == filters.operator_id)
    for col, value in ((c.group_name, filters.group), (c.status, filters.state),
                       (c.rating, filters.rating)):
        if value is not None:
            where.append(col == value)
    if filters.created_from is not None:
        where.append(c.created_at >= filters.created_from)
    if filters.created_to is not None:
        where.append(c.created_at < filters.created_to)
    return where


def _hit_columns() -> Any:
    first = messages.alias("first")
    first_message = (select(func.substr(first.c.body, 1, FIRST_MESSAGE_CHARS))
                     .where(first.c.conversation_id == c.id, first.c.author_kind == "reader",
                            first.c.internal.is_(False))
                     .order_by(first.c.id).limit(1).correlate(conversations).scalar_subquery())
    return (select(c.id, c.reader_id, readers.c.name.label("reader_name"),
                   readers.c.email.label("reader_email"), readers.c.user_id,
                   c.assignee_id, operators.c.name.label("operator_name"), c.group_name,
                   c.status, c.rating, c.created_at, c.updated_at,
                   first_message.label("first_message"))
            .select_from(conversations)
            .join(readers, readers.c.id == c.reader_id)
            .outerjoin(operators, operators.c.id == c.assignee_id))


def _hit(row: Record, tags: list[str], found: Record | None) -> Record:
    operator = (None if row["assignee_id"] is None
                else {"id": row["assignee_id"], "name": row["operator_name"] or ""})
    return {"id": row["id"],
            "reader": {"id": row["reader_id"], "name": row["reader_name"],
                       "email": row["reader_email"], "user_id": row["user_id"]},
            "tags": tags, "operator": operator, "group": row["group_name"],
            "state": row["status"], "rating": row["rating"],
            "created_at": row["created_at"], "updated_at": row["updated_at"],
            "first_message": row["first_message"] or "", "snippet": found}


def snippet(body: str, stems: set[str]) -> Record:
    """About SNIPPET_CHARS of `body` around its first word with one of `stems`, and where
    in that text the matching words are ([start, end) pairs), for the page to mark them
    without reading the text as HTML."""
    spans = _word_spans(body, stems)
    start = max(0, spans[0][0] - _SNIPPET_BEFORE) if spans else 0
    end = min(len(body), start + SNIPPET_CHARS)
    lead, tail = ("…" if start > 0 else ""), ("…" if end < len(body) else "")
    text = lead + body[start:end] + tail
    shift = len(lead) - start
    marks = [[a + shift, b + shift] for a, b in spans if a >= start and b <= end]
    return {"text": text, "marks": marks}


def _word_spans(body: str, stems: set[str]) -> list[tuple[int, int]]:
    """Where in `body` the words of `stems` are. Offsets come from a folded copy of the same
    length; when folding changes the length (rare letters), nothing is marked."""
    folded = body.lower().replace("ё", "е")
    if len(folded) != len(body):
        return []
    return [(m.start(), m.end()) for m in TOKEN_RE.finditer(folded)
            if stem(m.group()) in stems]


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    batch: list[int] = []
    for one in ids:
        batch.append(one)
        if len(batch) == _ID_CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch
