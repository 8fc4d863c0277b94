"""Searching every conversation, on SQLite (FTS5 over the site's stems) and PostgreSQL
(tsvector): word forms, notes, each filter, paging and the total."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from chat_server.store import Store
from chat_server.store.conversation_search import SearchFilters

DAY = 86_400_000


async def conversation(store: Store, reader: str, *bodies: str, **fields: Any) -> int:
    """A conversation whose reader wrote `bodies`; `fields` change its row afterwards."""
    await store.ensure_reader(reader)
    conv, _, _ = await store.start_conversation(reader, f"{reader}-0", bodies[0])
    for n, body in enumerate(bodies[1:], 1):
        await store.post_message(conv["id"], "reader", reader, body, f"{reader}-{n}")
    if fields:
        await store.update_conversation(conv["id"], **fields)
    return int(conv["id"])


async def ids(store: Store, **filters: Any) -> list[int]:
    hits, total = await store.search_conversations(SearchFilters(**filters), limit=100)
    assert total == len(hits)
    return [hit["id"] for hit in hits]


async def test_russian_word_forms_find_each_other(store: Store) -> None:
    paid = await conversation(store, "r1", "Здравствуйте, я оплатил заказ вчера")
    payment = await conversation(store, "r2", "Где моя оплата?")
    status = await conversation(store, "r3", "Какой статус оплаты?")
    await conversation(store, "r4", "Как сменить пароль")
    for form in ("оплата", "оплатил", "оплаты", "ОПЛАТОЙ"):
        assert sorted(await ids(store, q=form)) == sorted([paid, payment, status]), form


async def test_english_word_forms_and_yo_folding(store: Store) -> None:
    refund = await conversation(store, "e1", "I want a refund")
    refunds = await conversation(store, "e2", "Refunds take how long?")
    refunded = await conversation(store, "e3", "You refunded the wrong card")
    tree = await conversation(store, "e4", "Ёлка не загружается")
    for form in ("refund", "refunds", "refunded", "Refunding"):
        assert sorted(await ids(store, q=form)) == sorted([refund, refunds, refunded]), form
    assert await ids(store, q="елка") == [tree]


async def test_every_word_in_one_message_and_notes_count(store: Store) -> None:
    both = await conversation(store, "a1", "оплата заказа не прошла")
    apart = await conversation(store, "a2", "оплата", "заказ")  # the words in two messages
    noted = await conversation(store, "a3", "Просто вопрос")
    op = await store.add_operator("op@example.com", "Борис", "hash")
    note, _, _ = await store.post_message(noted, "operator", str(op["id"]),
                                          "Клиент просил возврат оплаты заказа", "n1",
                                          internal=True)
    assert sorted(await ids(store, q="заказ оплата")) == sorted([both, noted])
    assert apart not in await ids(store, q="заказ оплата")
    [hit], _ = await store.search_conversations(SearchFilters(q="возвраты"))
    assert hit["id"] == noted and hit["snippet"]["message_id"] == note["id"]
    assert hit["snippet"]["internal"] is True
    assert hit["first_message"] == "Просто вопрос"  # the reader's, not the note


async def test_the_hit_names_the_reader_operator_tags_and_marks_the_words(store: Store
                                                                           ) -> None:
    await store.reader_for_user("user-42", "rid")
    await store.update_reader("rid", name="Анна <b>", email="anna@example.com")
    op = await store.add_operator("boris@example.com", "Борис", "hash")
    long_start = "Добрый день. " * 20
    conv_id = await conversation(store, "rid", "Первый вопрос",
                                 long_start + "Не приходит чек об оплате, помогите",
                                 assignee_id=op["id"], group_name="billing")
    await store.set_conversation_tags(conv_id, ["vip", "чек"], op["id"])
    [hit], total = await store.search_conversations(SearchFilters(q="оплата"))
    assert total == 1 and hit["id"] == conv_id
    assert hit["reader"] == {"id": "rid", "name": "Анна <b>", "email": "anna@example.com",
                             "user_id": "user-42"}
    assert hit["operator"] == {"id": op["id"], "name": "Борис"}
    assert hit["tags"] == ["vip", "чек"] and hit["group"] == "billing"
    assert hit["state"] == "open" and hit["first_message"] == "Первый вопрос"
    snippet = hit["snippet"]
    assert snippet["text"].startswith("…") and len(snippet["text"]) <= 162
    [[start, end]] = snippet["marks"]
    assert snippet["text"][start:end] == "оплате"


async def test_each_filter(store: Store) -> None:
    anna = await store.add_operator("anna@example.com", "Анна", "hash")
    boris = await store.add_operator("boris@example.com", "Борис", "hash")
    now = (await store.get_conversation(await conversation(store, "f0", "заказ")))["created_at"]
    mine = await conversation(store, "f1", "заказ", assignee_id=anna["id"],
                              group_name="billing", rating="sad", created_at=now - 10 * DAY)
    theirs = await conversation(store, "f2", "заказ", assignee_id=boris["id"],
                                status="closed", rating="happy", created_at=now - 40 * DAY)
    snoozed = await conversation(store, "f3", "заказ", status="snoozed", group_name="billing")
    await store.set_conversation_tags(mine, ["vip", "refund"], anna["id"])
    await store.set_conversation_tags(theirs, ["vip"], boris["id"])
    assert sorted(await ids(store, tags=("vip",))) == sorted([mine, theirs])
    assert await ids(store, tags=("vip", "refund")) == [mine]
    assert await ids(store, operator_id=boris["id"]) == [theirs]
    assert theirs not in await ids(store, unassigned=True)
    assert mine not in await ids(store, unassigned=True)
    assert sorted(await ids(store, group="billing")) == sorted([mine, snoozed])
    assert await ids(store, state="closed") == [theirs]
    assert await ids(store, state="snoozed") == [snoozed]
    assert await ids(store, rating="sad") == [mine]
    assert await ids(store, created_from=now - 20 * DAY, created_to=now - DAY) == [mine]
    assert theirs not in await ids(store, created_from=now - 20 * DAY)
    assert await ids(store, created_to=now - 30 * DAY) == [theirs]
    assert await ids(store, q="заказ", group="billing", state="open") == [mine]
    assert await ids(store, q="пароль", group="billing") == []


async def test_pages_newest_activity_first_with_the_total(store: Store) -> None:
    made = [await conversation(store, f"p{n}", f"вопрос про счёт номер {n}") for n in range(25)]
    await conversation(store, "other", "совсем другое")
    base = (await store.get_conversation(made[0]))["updated_at"]
    for n, conv_id in enumerate(made):  # activity in the order they were made
        await store.update_conversation(conv_id, updated_at=base + n)
    newest_first = list(reversed(made))
    seen = []
    for offset in (0, 10, 20):
        hits, total = await store.search_conversations(SearchFilters(q="счета"), limit=10,
                                                       offset=offset)
        assert total == 25
        seen += [hit["id"] for hit in hits]
    assert seen == newest_first
    hits, total = await store.search_conversations(SearchFilters(), limit=5)
    assert total == 26 and len(hits) == 5 and hits[0]["snippet"] is None


async def test_stop_words_and_search_syntax_match_nothing_odd(store: Store) -> None:
    """Words are terms, never the index's query syntax: quotes, OR, NEAR, * are text."""
    said = await conversation(store, "s1", 'Он сказал "оплата" OR NOT, а потом NEAR(')
    await conversation(store, "s2", "что-то ещё")
    assert await store.search_conversations(SearchFilters(q="и the а")) == ([], 0)
    assert await store.search_conversations(SearchFilters(q="?!")) == ([], 0)
    assert await ids(store, q='"оплата" OR NEAR(') == [said]
    assert await ids(store, q="оплат*") == [said]
    assert await ids(store, q="-оплата") == [said]
    # PostgreSQL's dictionaries drop "further", the site's stop list keeps it.
    further = await conversation(store, "s3", "A further refund is needed")
    assert await ids(store, q="further refunds") == [further]


async def test_messages_from_before_step_10_become_searchable(store: Store) -> None:
    """A database at migration 9 with messages gets them searchable by migration 10."""
    engine = store.engine  # type: ignore[attr-defined]
    sqlite = engine.dialect.name == "sqlite"
    await store.ensure_reader("old")
    conv_id = await conversation(store, "old", "первое сообщение")
    async with engine.begin() as conn:  # back to step 9, as before this feature
        if sqlite:
            await conn.execute(text("DROP TABLE chat_message_search"))
            await conn.execute(text("DROP TABLE chat_message_search_recent"))
        else:
            await conn.execute(text("DROP INDEX ix_chat_messages_search"))
            await conn.execute(text("ALTER TABLE chat_messages DROP COLUMN search_vector"))
        await conn.execute(text("DELETE FROM chat_schema_version WHERE version = 10"))
        for n, body in enumerate(["Я оплатил, а доступа нет", "Refunded twice?"]):
            await conn.execute(text(
                "INSERT INTO chat_messages (conversation_id, author_kind, author_id, internal,"
                " body, client_id, created_at) VALUES (:c, 'reader', 'old', :i, :b, :k, 1)"),
                {"c": conv_id, "i": bool(n), "b": body, "k": f"before-{n}"})
    assert await store.migrate() == [10]
    assert await ids(store, q="оплата доступ") == [conv_id]
    assert await ids(store, q="refund") == [conv_id]
    assert await ids(store, q="сообщения") == [conv_id]
    assert await store.migrate() == []


async def test_found_before_and_after_the_newest_move_into_the_index(store: Store) -> None:
    """On SQLite a new message's terms wait in a plain table until every 128th message
    moves them into FTS5 in one go; either way the message is found at once."""
    first = await conversation(store, "m1", "Первая оплата прошла")
    await store.ensure_reader("m2")
    busy = int((await store.start_conversation("m2", "m2-0", "поток"))[0]["id"])
    for n in range(300):
        await store.post_message(busy, "reader", "m2", f"сообщение {n}", f"m2-{n + 1}")
        if n in (0, 126, 127, 128, 299):
            assert await ids(store, q="оплата") == [first], n
            assert await ids(store, q=f"сообщения {n}") == [busy], n
    last = await conversation(store, "m3", "И последняя оплата")
    assert sorted(await ids(store, q="оплаты")) == sorted([first, last])
    if store.engine.dialect.name == "sqlite":  # type: ignore[attr-defined]
        async with store.engine.connect() as conn:  # type: ignore[attr-defined]
            waiting = (await conn.execute(text(
                "SELECT count(*) FROM chat_message_search_recent"))).scalar_one()
        assert 0 < waiting < 128
