"""The operators' search across conversations on a seeded SQLite store.

    python bench/search.py                  # 100,000 messages in 10,000 conversations
    python bench/search.py --json           # the figures as one JSON object
    python bench/search.py --messages 20000 --conversations 2000 --rounds 5

Seeds a fresh SQLite file (in a temporary folder) with readers, 20 operators in 4 groups,
conversations over a year (open, snoozed, closed; some rated, a third tagged) and their
messages: Russian and English support questions, answers and notes built from templates
with the word forms people use (оплатил, оплату, оплаты; refund, refunded). The messages are
written straight into the tables and then indexed by migration 10, whose time is reported
too (it is what an existing installation pays once). Then 50 varied queries (word forms,
several words, each filter, filters alone, a deep page) go through
`store.search_conversations` as the endpoint calls it (20 hits, snippets, total), for
--rounds rounds; and the whole-result exports (CSV and XLSX, up to 10,000 rows) are timed.
Prints the median and p95 in ms. Not a test: the figures go to bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chat_server import export  # noqa: E402
from chat_server.store import open_store  # noqa: E402
from chat_server.store.conversation_search import SearchFilters  # noqa: E402

DAY = 86_400_000
GROUPS = ("support", "billing", "sales", "tech")
TAGS = ("vip", "refund", "bug", "invoice", "access", "urgent", "feedback", "migration")
RU = (
    "Здравствуйте, я оплатил заказ {n}, но доступа так и нет.",
    "Не проходит оплата картой, пишет ошибку {n}.",
    "Где посмотреть статус оплаты по счёту {n}?",
    "Верните, пожалуйста, деньги: списали дважды.",
    "Как сменить пароль от личного кабинета?",
    "Не могу войти в аккаунт после смены почты.",
    "Сервер {n} не отвечает с утра, сайт лежит.",
    "Диск переполнен, как увеличить объём?",
    "Пришлите закрывающие документы за прошлый месяц.",
    "Счета приходят на старую почту, поменяйте адрес.",
    "Подскажите тарифы для команды из {n} человек.",
    "Ошибка при загрузке файла в хранилище.",
    "Спасибо, всё заработало!",
    "Когда вернут оплату за отменённый заказ {n}?",
    "Ёлка на главной странице не грузится.",
    "Добавьте, пожалуйста, коллегу в наш проект.",
)
RU_ANSWERS = (
    "Проверили платёж {n}: оплата прошла, доступ открыт.",
    "Пароль можно сменить в настройках профиля.",
    "Передали инженерам, вернёмся с ответом сегодня.",
    "Возврат оформлен, деньги придут за 3–5 дней.",
    "Документы отправили на почту, проверьте папку «Спам».",
)
EN = (
    "Hi, I paid for order {n} but still have no access.",
    "I want a refund for the duplicate charge.",
    "You refunded the wrong card, please check.",
    "How long do refunds take?",
    "Cannot log in after changing my email.",
    "Server {n} is down since this morning.",
    "Invoice {n} has the wrong company name.",
    "Which plan fits a team of {n} people?",
    "Uploading files to the bucket fails with an error.",
    "Thanks, it works now!",
)
EN_ANSWERS = (
    "The payment {n} went through, access is open.",
    "Refund issued, it takes 3-5 business days.",
    "Passed to the engineers, we will get back today.",
)
NOTES = (
    "Клиент просит возврат, согласовать с бухгалтерией.",
    "VIP, отвечать в течение часа.",
    "Possible fraud: three cards in one day.",
    "Дубль обращения {n}, объединить.",
)


def seed(path: Path, messages: int, conversations: int, rng: random.Random) -> dict[str, Any]:
    """Readers, operators, conversations and messages written straight into the tables."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous = OFF")
    now = int(time.time() * 1000)
    db.executemany("INSERT INTO chat_operators (id, email, name, password_hash, groups, status,"
                   " seen_at, disabled, created_at, last_assigned_at, role)"
                   " VALUES (?, ?, ?, 'x', ?, 'away', 0, 0, ?, 0, 'agent')",
                   [(i, f"op{i}@example.com", f"Оператор {i}", GROUPS[i % 4], now)
                    for i in range(1, 21)])
    per = messages // conversations
    message_rows: list[tuple[Any, ...]] = []
    tag_rows = []
    for cid in range(1, conversations + 1):
        russian = rng.random() < 0.7
        created = now - rng.randrange(365 * DAY)
        status = rng.choices(("open", "snoozed", "closed"), (20, 5, 75))[0]
        assignee = rng.randrange(1, 21) if rng.random() < 0.85 else None
        rating = rng.choice(("happy", "neutral", "sad")) if rng.random() < 0.2 else None
        db.execute("INSERT INTO chat_readers (id, name, email, attributes, context, created_at,"
                   " last_seen, confirmed_email) VALUES (?, ?, ?, '{}', '{}', ?, ?, '')",
                   (f"r{cid}", f"Клиент {cid}" if russian else f"Customer {cid}",
                    f"c{cid}@example.com", created, created))
        stamp = created
        for n in range(per):
            stamp += rng.randrange(60_000, 3_600_000)
            kind, internal, body = _message(rng, russian, n)
            message_rows.append((cid, kind, f"r{cid}" if kind == "reader" else "1", internal,
                                 body, f"m{cid}-{n}", stamp))
        db.execute("INSERT INTO chat_conversations (id, reader_id, status, assignee_id,"
                   " group_name, rating, email, context, created_at, updated_at,"
                   " last_message_id, last_author, reader_read_id, operator_read_id)"
                   " VALUES (?, ?, ?, ?, ?, ?, '', '{}', ?, ?, 0, 'reader', 0, 0)",
                   (cid, f"r{cid}", status, assignee, rng.choice(GROUPS), rating, created,
                    stamp))
        if rng.random() < 0.33:
            tag_rows += [(cid, tag, None, created) for tag in rng.sample(TAGS, rng.randint(1, 2))]
    db.executemany("INSERT INTO chat_messages (conversation_id, author_kind, author_id,"
                   " internal, body, client_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                   message_rows)
    db.executemany("INSERT INTO chat_conversation_tags (conversation_id, tag, added_by,"
                   " added_at) VALUES (?, ?, ?, ?)", tag_rows)
    db.commit()
    db.close()
    return {"messages": len(message_rows), "conversations": conversations, "now": now}


def _message(rng: random.Random, russian: bool, n: int) -> tuple[str, bool, str]:
    number = rng.randrange(1000, 99999)
    if rng.random() < 0.05:
        return "operator", True, rng.choice(NOTES).format(n=number)
    if n % 2 == 0:
        templates = RU if russian else EN
        sentences = rng.sample(templates, rng.randint(1, 2))
        return "reader", False, " ".join(s.format(n=number) for s in sentences)
    return "operator", False, rng.choice(RU_ANSWERS if russian else EN_ANSWERS).format(n=number)


def queries(now: int) -> list[tuple[SearchFilters, int]]:
    """50 searches an operator might make, with the offset of the page asked for."""
    month = now - 30 * DAY
    words = ["оплата", "оплатил", "оплаты", "оплату", "возврат", "вернут", "пароль", "пароля",
             "сервер", "сервера", "документы", "счета", "счёт", "ёлка", "елка", "refund",
             "refunds", "refunded", "invoice", "access", "login", "server", "payment",
             "ошибку", "хранилище"]
    pairs = ["оплата заказ", "сменить пароль", "сервер отвечает", "refund card",
             "paid order", "возврат бухгалтерией", "деньги списали", "wrong company"]
    found: list[tuple[SearchFilters, int]] = [(SearchFilters(q=w), 0) for w in words]
    found += [(SearchFilters(q=p), 0) for p in pairs]
    found += [
        (SearchFilters(q="оплата", state="open"), 0),
        (SearchFilters(q="refund", tags=("refund",)), 0),
        (SearchFilters(q="пароль", group="support"), 0),
        (SearchFilters(q="оплаты", operator_id=3), 0),
        (SearchFilters(q="сервер", unassigned=True), 0),
        (SearchFilters(q="заказ", created_from=month), 0),
        (SearchFilters(q="документы", rating="sad"), 0),
        (SearchFilters(q="оплатил", state="closed", group="billing", created_from=month), 0),
        (SearchFilters(tags=("vip",)), 0),
        (SearchFilters(state="open", group="tech"), 0),
        (SearchFilters(operator_id=7, state="closed"), 0),
        (SearchFilters(created_from=month, created_to=now), 0),
        (SearchFilters(rating="happy"), 0),
        (SearchFilters(), 0),
        (SearchFilters(q="оплата"), 1000),
        (SearchFilters(q="заказ", tags=("vip", "urgent")), 0),
        (SearchFilters(q="12345"), 0),
    ]
    assert len(found) == 50, len(found)
    return found


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


async def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "chat.db"
        url = f"sqlite:///{path}"
        store = open_store(url)
        await store.migrate()
        engine = store.engine  # type: ignore[attr-defined]
        async with engine.begin() as conn:  # seed as an installation at step 9 would hold
            await conn.exec_driver_sql("DROP TABLE chat_message_search")
            await conn.exec_driver_sql("DROP TABLE chat_message_search_recent")
            await conn.exec_driver_sql("DELETE FROM chat_schema_version WHERE version = 10")
        await store.close()
        started = time.perf_counter()
        seeded = seed(path, args.messages, args.conversations, random.Random(args.seed))
        seed_s = time.perf_counter() - started
        store = open_store(url)
        started = time.perf_counter()
        assert await store.migrate() == [10]
        migrate_s = time.perf_counter() - started
        try:
            result = await _measure(store, seeded["now"], args.rounds)
        finally:
            await store.close()
        size_mb = path.stat().st_size / 1e6
    return {"messages": seeded["messages"], "conversations": seeded["conversations"],
            "seed_s": round(seed_s, 1), "migration_10_s": round(migrate_s, 1),
            "db_mb": round(size_mb, 1), **result}


async def _measure(store: Any, now: int, rounds: int) -> dict[str, Any]:
    timings: list[float] = []
    totals = []
    for _ in range(rounds):
        for filters, offset in queries(now):
            started = time.perf_counter()
            hits, total = await store.search_conversations(filters, 20, offset)
            timings.append((time.perf_counter() - started) * 1000)
            totals.append(total)
    exports = {}
    for name, filters in (("all", SearchFilters()), ("оплата", SearchFilters(q="оплата"))):
        for fmt, write in (("csv", export.to_csv), ("xlsx", export.to_xlsx)):
            started = time.perf_counter()
            hits, total = await store.search_conversations(filters, export.EXPORT_CAP, 0,
                                                           snippets=False)
            body = write(hits, total)
            exports[f"{name}.{fmt}"] = {"ms": round((time.perf_counter() - started) * 1000),
                                        "rows": len(hits), "bytes": len(body)}
    return {"queries": len(timings), "median_ms": round(statistics.median(timings), 1),
            "p95_ms": round(percentile(timings, 0.95), 1), "max_ms": round(max(timings), 1),
            "hits_median": statistics.median(totals), "exports": exports}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    if args.json:
        print(json.dumps(result, ensure_ascii=False, sort_keys=True))
        return
    print(f"{result['messages']:,} messages in {result['conversations']:,} conversations, "
          f"{result['db_mb']} MB; seeded in {result['seed_s']} s, "
          f"migration 10 (index) {result['migration_10_s']} s")
    print(f"{result['queries']} searches: median {result['median_ms']} ms, "
          f"p95 {result['p95_ms']} ms, max {result['max_ms']} ms "
          f"(median total {result['hits_median']} hits); target < 300 ms")
    for name, figures in result["exports"].items():
        print(f"export {name}: {figures['rows']:,} rows, {figures['bytes'] / 1e6:.1f} MB, "
              f"{figures['ms']} ms")


if __name__ == "__main__":
    main()
