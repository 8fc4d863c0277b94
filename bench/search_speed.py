"""Search size and speed on vkcloud: bytes, cold first result (node, chromium), latency, build.

    .venv/bin/python bench/search_speed.py --config ../shared/corpus/vkcloud/config.yml \
        --site /tmp/vk-site [--mkdocs /tmp/s3mk/site] [--lang ru]

--site is a full build of the same config (`build.py build`), served from a local http server
for chromium. Figures: index bytes raw / gzip / brotli per file; bytes a reader downloads
before the first result (scripts + title index, gzip); cold first result in node (read +
load + query) and in headless chromium (page open → focus → type → first option, fresh
context, so fetch + worker start + load + query); query latency median / p95 in node over
the quality queries (type-ahead and final, with the body index loaded); index build time for
every language (terms + lunr + JSON) and compression time. With --mkdocs, the same bytes for
MkDocs-Material's search_index.json; with pagefind indexed in the site, Pagefind's bytes per
query.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import statistics
import sys
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.search_corpus import load_sites  # noqa: E402
from bench.search_quality import CHROMIUM_FLAGS, load_queries  # noqa: E402
from builder.search.command import NodeSearch  # noqa: E402
from builder.search.files import build_search_files  # noqa: E402

SCRIPTS = [
    "vendor/lunr/lunr.min.js",
    "vendor/lunr-languages/lunr.stemmer.support.min.js",
    "vendor/lunr-languages/lunr.ru.min.js",
    "search/search-words.js",
    "search/search-plan.js",
    "search/search-engine.js",
    "search/search-backend.js",
    "search/search-worker.js",
    "search/search-ui.js",
    "search/search.css",
]


def kb(n: float) -> str:
    return f"{n / 1024:,.0f} KB"


# Timed inside the page, focus and the keystrokes at the same instant (the worst case: nothing
# loads before the reader types) → first option in the DOM; the test driver's round trips
# do not count.
TIMER_JS = """(text) => { window.t = {};
    new MutationObserver(() => {
        if (!t.option && document.querySelector("[role=option]")) t.option = performance.now();
    }).observe(document.body, {subtree: true, childList: true});
    const box = document.querySelector("main [data-search-input]");
    t.start = performance.now();
    box.focus();  // the index starts loading now, and the reader has typed already
    box.value = text;
    box.dispatchEvent(new Event("input", {bubbles: true})); }"""


def p95(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.95)]


def gz(data: bytes) -> int:
    return len(gzip.compress(data, 6))


def build_times(config: Path) -> list[str]:
    lines = []
    sites = load_sites(config)
    total = 0.0
    for lang, site in sites.items():
        started = time.perf_counter()
        files = build_search_files(site, compress=False)
        built = time.perf_counter() - started
        started = time.perf_counter()
        build_search_files(site)
        with_compression = time.perf_counter() - started
        total += built
        lines.append(f"- index build {lang}: {built:.2f} s ({len(files)} files); "
                     f"with .gz/.br copies {with_compression:.2f} s")  # fmt: skip
    lines.append(f"- index build, all languages: {total:.2f} s")
    return lines


def sizes(site: Path, lang: str) -> list[str]:
    base = site / "_search" / lang
    lines = []
    for name in ("index.json", "body.json"):
        raw = (base / name).stat().st_size
        gzs = (base / (name + ".gz")).stat().st_size
        brs = (base / (name + ".br")).stat().st_size
        lines.append(f"- {lang}/{name}: raw {kb(raw)}, gzip {kb(gzs)}, brotli {kb(brs)}")
    shards = sorted((base / "text").glob("*.json"))
    gz_shard = statistics.mean(gz(p.read_bytes()) for p in shards)
    lines.append(f"- {lang}/text/*.json: {len(shards)} shards, mean gzip {kb(gz_shard)}")
    assets = ROOT / "themes" / "default" / "assets"
    script_gz = sum(gz((assets / s).read_bytes()) for s in SCRIPTS)
    head_gz = (base / "index.json.gz").stat().st_size
    first = kb(script_gz + head_gz)
    lines.append(f"- before the first result (scripts {kb(script_gz)} + title index): {first} "
                 "gzip; the body index follows in the background")  # fmt: skip
    return lines


def node_times(site: Path, lang: str) -> list[str]:
    queries = [q for q in load_queries(ROOT / "bench" / "queries" / "vkcloud-base.yml")
               if q.lang == lang]  # fmt: skip
    lines = []
    with NodeSearch() as runner:
        started = time.perf_counter()
        head = runner.load(site / "_search" / lang, body=False)
        first = runner.search(queries[0].text, typing=True)
        cold = (time.perf_counter() - started) * 1000
        lines.append(f"- node cold first result (title index): {cold:.0f} ms "
                     f"(load {head['ms']:.0f} ms, query {first['ms']:.1f} ms)")  # fmt: skip
        full = runner.load(site / "_search" / lang, body=True)
        lines.append(f"- node load of title + body index: {full['ms']:.0f} ms")
        for q in queries[:20]:
            runner.search(q.text)  # warm the JIT, as a reader's second query would
        for typing in (True, False):
            wall, cpu = [], []
            for q in queries:
                found = runner.search(q.text, typing=typing)
                wall.append(found["ms"])
                cpu.append(found["cpuMs"])
            mode = "type-ahead" if typing else "final"
            wall_ms = f"median {statistics.median(wall):.1f} ms, p95 {p95(wall):.1f} ms"
            cpu_ms = f"median {statistics.median(cpu):.1f} ms, p95 {p95(cpu):.1f} ms"
            lines.append(f"- node query latency, {mode} ({len(wall)} queries, full index): "
                         f"wall {wall_ms}; CPU {cpu_ms}")  # fmt: skip
    return lines


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


class Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # chromium drops connections when a context closes


def chromium_times(site: Path, lang: str, runs: int = 5) -> list[str]:
    from playwright.sync_api import sync_playwright

    server = Server(("127.0.0.1", 0), functools.partial(Quiet, directory=site))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    lines = []
    word = "виртуал" if lang == "ru" else "virtual"
    with sync_playwright() as play:
        browser = play.chromium.launch(executable_path="/usr/bin/chromium",
                                       args=CHROMIUM_FLAGS)
        cases = ((0, "at once after the page's load event"),
                 (1500, "1.5 s after load (search worker already started)"))  # fmt: skip
        for wait_ms, label in cases:
            firsts = []
            for _ in range(runs):
                context = browser.new_context()  # fresh cache every run: cold
                page = context.new_page()
                page.goto(base + f"{lang}/", wait_until="load")
                page.wait_for_timeout(wait_ms)
                page.evaluate(TIMER_JS, word[:2])
                page.locator("[role=option]").first.wait_for(timeout=20000)
                firsts.append(page.evaluate("() => t.option - t.start"))
                context.close()
            lines.append(f"- chromium cold first result, focus + 2 letters {label}: "
                         f"{' / '.join(f'{t:.0f}' for t in firsts)} ms")  # fmt: skip
        if (site / "pagefind").is_dir():
            context = browser.new_context()
            page = context.new_page()
            page.goto(base + f"{lang}/")
            sizes: list[int] = []
            page.on(
                "response", lambda r: sizes.append(len(r.body())) if "/pagefind/" in r.url else None
            )
            page.evaluate(
                """async (q) => { const pf = await import('/pagefind/pagefind.js');
                    const r = await pf.search(q);
                    await Promise.all(r.results.slice(0, 5).map(x => x.data())); }""",
                "виртуальная машина" if lang == "ru" else "virtual machine",
            )
            page.wait_for_timeout(500)
            lines.append(f"- pagefind, first query cold: {len(sizes)} files, {kb(sum(sizes))} "
                         "(as served, pagefind's files are already compressed)")  # fmt: skip
            context.close()
        browser.close()
    server.shutdown()
    return lines


def mkdocs_sizes(mkdocs_site: Path) -> list[str]:
    data = (mkdocs_site / "search" / "search_index.json").read_bytes()
    return [f"- mkdocs-material search_index.json: raw {kb(len(data))}, gzip {kb(gz(data))} "
            "(the browser builds the Lunr index from it after download)"]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--site", type=Path, required=True)
    parser.add_argument("--lang", default="ru")
    parser.add_argument("--mkdocs", type=Path, help="a `mkdocs build` site of the same content")
    parser.add_argument("--skip-build", action="store_true", help="skip the index build timing")
    args = parser.parse_args()
    lines = sizes(args.site, args.lang)
    lines += node_times(args.site, args.lang)
    lines += chromium_times(args.site, args.lang)
    if args.mkdocs:
        lines += mkdocs_sizes(args.mkdocs)
    if not args.skip_build:
        lines += build_times(args.config)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
