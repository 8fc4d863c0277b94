"""Search quality on vkcloud: our search against MkDocs-Material's and Pagefind's, same queries.

    .venv/bin/python bench/search_quality.py --site /tmp/vk-site \
        [--mkdocs ru=/tmp/s3mk/site/search/search_index.json,en=…] [--pagefind] [--queries F…]

Queries: bench/queries/vkcloud-base.yml (hand-written "forms" and "yo" queries) plus three kinds
derived from the "forms" ones with a fixed seed: "typo" (one edit in the longest word), "prefix"
(the last word cut short, searched as type-ahead), "layout" (the whole query typed in the
other keyboard layout) and, for Russian, "translit" (the query romanised by one of six common
schemes, PyPI `iuliia`). Each query is scored by the rank of the first result that is one of
its answers (an article path): recall@1, recall@5 and MRR@10, per kind and overall.

- ours: the browser's search-core.js in node (builder.search.command.NodeSearch) on _search/<lang>.
- mkdocs-material: its search worker, unchanged, in node (bench/mkdocs_material_search.js) on a
  search_index.json made by `mkdocs build` over the same markdown (theme material, search
  plugin lang [ru, en]).
- pagefind: `python -m pagefind` over our built HTML, queried with pagefind.js in headless
  chromium (the way a reader's browser runs it).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
# Headless Debian chromium as the tests start it: no sandbox (root), no GPU, and no calls
# home, which this machine's closed network refuses.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update"]
sys.path.insert(0, str(ROOT))

from builder.search.command import NodeSearch  # noqa: E402

KINDS = ("forms", "yo", "typo", "prefix", "layout", "translit")
# Romanisations a reader types Russian with, one per "translit" query (seeded): Wikipedia's,
# Moscow metro's signs, Yandex's, the passport (ICAO) one and Telegram's; PyPI `iuliia`.
TRANSLIT_SCHEMES = ("WIKIPEDIA", "MOSMETRO", "YANDEX_MONEY", "YANDEX_MAPS", "ICAO_DOC_9303",
                    "TELEGRAM")
EN_KEYS = "`qwertyuiop[]asdfghjkl;'zxcvbnm,."
RU_KEYS = "ёйцукенгшщзхъфывапролджэячсмитьбю"
MATERIAL_ASSETS = Path(sys.prefix) / "lib"


@dataclass(frozen=True)
class Query:
    kind: str
    lang: str
    text: str
    answers: tuple[str, ...]  # article paths "ru/nds/x"
    typing: bool = False


def load_queries(path: Path, seed: int = 20261122) -> list[Query]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    rnd = random.Random(seed)
    rnd_translit = random.Random(seed)  # its own, so the typo queries stay as they were
    queries: list[Query] = []
    for kind in ("forms", "yo"):
        for lang, rows in (data.get(kind) or {}).items():
            queries += [Query(kind, lang, row[0], tuple(row[1:])) for row in rows]
    for base in [q for q in queries if q.kind == "forms"]:
        queries.append(Query("typo", base.lang, typo(base.text, rnd), base.answers))
        queries.append(Query("prefix", base.lang, unfinished(base.text), base.answers, typing=True))
        queries.append(Query("layout", base.lang, other_layout(base.text, base.lang), base.answers))
        if base.lang == "ru":
            text = romanized(base.text, rnd_translit)
            queries.append(Query("translit", base.lang, text, base.answers))
    return queries


def romanized(text: str, rnd: random.Random) -> str:
    """A Russian query typed in Latin letters, in one of the usual romanisations."""
    import iuliia

    schema = getattr(iuliia, rnd.choice(TRANSLIT_SCHEMES))
    return str(schema.translate(text)).lower()


def typo(text: str, rnd: random.Random) -> str:
    words = text.split()
    i = max(range(len(words)), key=lambda n: (len(words[n]), -n))
    word = words[i]
    if len(word) >= 5:
        at = rnd.randrange(1, len(word) - 2)
        edit = rnd.randrange(3)
        if edit == 0:
            word = word[:at] + word[at + 1 :]
        elif edit == 1:
            word = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
        else:
            letters = "аеиоунтсрв" if re.search("[а-я]", word) else "aeiounrst"
            word = word[:at] + rnd.choice([c for c in letters if c != word[at]]) + word[at + 1 :]
    words[i] = word
    return " ".join(words)


def unfinished(text: str) -> str:
    words = text.split()
    last = words[-1]
    if len(last) >= 4:
        words[-1] = last[: max(3, round(len(last) * 0.6))]
    return " ".join(words)


def other_layout(text: str, lang: str) -> str:
    """What a reader types with the keyboard in the wrong layout: the words of the query's
    language come out garbled, words in the other script stay as they are."""
    src, dst = (RU_KEYS, EN_KEYS) if lang == "ru" else (EN_KEYS, RU_KEYS)
    return "".join(dst[src.index(c)] if c in src else c for c in text.lower())


def article_path(url: str) -> str:
    """ "ru/nds/x/#a", "/ru/nds/x/", "nds/x/" → comparable "ru/nds/x" (lang added by caller)."""
    return url.split("#")[0].split("?")[0].strip("/").removesuffix("/index.html")


# --- engines ----------------------------------------------------------------------------------
Engine = Callable[[Query], list[str]]


def ours(site: Path) -> tuple[Engine, Callable[[], None]]:
    runner = NodeSearch()
    loaded: dict[str, None] = {}

    def search(q: Query) -> list[str]:
        if q.lang not in loaded:
            runner.load(site / "_search" / q.lang)
            loaded.clear()
            loaded[q.lang] = None
        found = runner.search(q.text, typing=q.typing, limit=10)
        return [article_path(r["url"]) for r in found["results"]]

    return search, runner.close


def mkdocs_material(indexes: dict[str, Path]) -> tuple[Engine, Callable[[], None]]:
    assets = next(MATERIAL_ASSETS.glob("python3*/site-packages/material/templates/assets"))
    procs = {
        lang: subprocess.Popen(
            ["node", str(ROOT / "bench" / "mkdocs_material_search.js"), str(assets), str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )  # fmt: skip
        for lang, path in indexes.items()
    }

    def search(q: Query) -> list[str]:
        proc = procs.get(q.lang)
        if proc is None:
            return []
        assert proc.stdin and proc.stdout
        proc.stdin.write(q.text.replace("\n", " ") + "\n")
        proc.stdin.flush()
        pages = json.loads(proc.stdout.readline())["pages"]
        return [f"{q.lang}/{article_path(p)}".removesuffix("/_index") for p in pages][:10]

    def close() -> None:
        for proc in procs.values():
            if proc.stdin:
                proc.stdin.close()
            proc.wait(timeout=30)

    return search, close


def pagefind(site: Path) -> tuple[Engine, Callable[[], None]]:
    if not (site / "pagefind" / "pagefind.js").exists():
        subprocess.run([sys.executable, "-m", "pagefind", "--site", str(site)], check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=site))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    from playwright.sync_api import sync_playwright

    play = sync_playwright().start()
    browser = play.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS)
    pages = {}

    def page_for(lang: str) -> object:
        if lang not in pages:
            page = browser.new_page()
            page.goto(base + f"{lang}/")  # pagefind picks the index of <html lang>
            page.evaluate("async () => { window.pf = await import('/pagefind/pagefind.js'); }")
            pages[lang] = page
        return pages[lang]

    def search(q: Query) -> list[str]:
        urls = page_for(q.lang).evaluate(  # type: ignore[attr-defined]
            """async (q) => { const r = await pf.search(q);
                const d = await Promise.all(r.results.slice(0, 10).map(x => x.data()));
                return d.map(x => x.url); }""",
            q.text,
        )
        return [article_path(u) for u in urls]

    def close() -> None:
        browser.close()
        play.stop()
        server.shutdown()

    return search, close


# --- scoring ----------------------------------------------------------------------------------
def score(ranked: list[str], answers: Iterable[str]) -> int | None:
    wanted = set(answers)
    for rank, path in enumerate(ranked[:10], 1):
        if path in wanted:
            return rank
    return None


def table(ranks: dict[str, dict[str, list[int | None]]], digits: int = 2) -> str:
    engines = list(ranks)
    lines = ["| kind | n | " + " | ".join(f"{e} R@1 / R@5 / MRR@10" for e in engines) + " |"]
    lines.append("|---|---|" + "---|" * len(engines))
    for kind in [*KINDS, "overall"]:
        cells = []
        n = 0
        for engine in engines:
            got = [r for k, rs in ranks[engine].items() if kind in (k, "overall") for r in rs]
            n = len(got)
            r1 = sum(1 for r in got if r == 1) / n if n else 0
            r5 = sum(1 for r in got if r and r <= 5) / n if n else 0
            mrr = sum(1 / r for r in got if r) / n if n else 0
            cells.append(" / ".join(f"{x:.{digits}f}" for x in (r1, r5, mrr)))
        lines.append(f"| {kind} | {n} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--site", type=Path, required=True, help="our build of vkcloud")
    parser.add_argument("--queries", type=Path, nargs="+",
                        default=[ROOT / "bench" / "queries" / "vkcloud-base.yml"])  # fmt: skip
    parser.add_argument("--mkdocs", default="", help="lang=search_index.json,… (optional)")
    parser.add_argument("--pagefind", action="store_true", help="also score Pagefind")
    parser.add_argument("--misses", action="store_true", help="print our misses")
    parser.add_argument("--digits", type=int, default=2, help="decimals in the table")
    args = parser.parse_args()
    queries = [q for path in args.queries for q in load_queries(path)]
    engines: dict[str, tuple[Engine, Callable[[], None]]] = {"ours": ours(args.site)}
    if args.mkdocs:
        indexes = dict(item.split("=", 1) for item in args.mkdocs.split(","))
        engines["mkdocs-material"] = mkdocs_material({k: Path(v) for k, v in indexes.items()})
    if args.pagefind:
        engines["pagefind"] = pagefind(args.site)
    ranks: dict[str, dict[str, list[int | None]]] = {}
    for name, (search, close) in engines.items():
        per_kind: dict[str, list[int | None]] = defaultdict(list)
        for q in sorted(queries, key=lambda q: q.lang):
            rank = score(search(q), q.answers)
            per_kind[q.kind].append(rank)
            if args.misses and name == "ours" and rank != 1:
                print(f"  {name} {q.kind} {q.lang} {q.text!r}: rank {rank}", file=sys.stderr)
        close()
        ranks[name] = dict(per_kind)
    print(f"{len(queries)} queries ({', '.join(sorted({q.lang for q in queries}))})")
    print(table(ranks, args.digits))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
