"""`python build.py search --site DIR --lang LANG [--json] QUERY`: what a reader gets.

The query runs through the browser's own module (search-core.js) in node, against the
search files of a built site, so writers, tests and benchmarks see exactly the browser's
ranking. `NodeSearch` keeps one node process open for many queries.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import TracebackType
from typing import Any

RUNNER = Path(__file__).with_name("node_runner.js")


class SearchRunnerError(RuntimeError):
    pass


class NodeSearch:
    """One `node builder/search/node_runner.js` process: `call` sends a command, gets the answer."""

    def __init__(self, node: str | None = None) -> None:
        executable = node or shutil.which("node")
        if executable is None:
            raise SearchRunnerError("node is not installed; the search runs the browser's JS in it")
        self._proc = subprocess.Popen(
            [executable, str(RUNNER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )

    def call(self, command: dict[str, Any]) -> Any:  # any JSON value, as the command gives
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(json.dumps(command, ensure_ascii=False) + "\n")
        self._proc.stdin.flush()
        line = self._proc.stdout.readline()
        if not line:
            raise SearchRunnerError("the node search runner stopped")
        answer = json.loads(line)
        if isinstance(answer, dict) and "error" in answer:
            raise SearchRunnerError(answer["error"])
        return answer

    def _call_for_object(self, command: dict[str, Any]) -> dict[str, Any]:
        answer = self.call(command)
        if not isinstance(answer, dict):
            raise SearchRunnerError(f"the node search runner answered {str(answer)[:80]}")
        return answer

    def load(self, search_dir: Path, body: bool = True) -> dict[str, Any]:
        return self._call_for_object({"cmd": "load", "dir": str(search_dir), "body": body})

    def search(self, query: str, **options: Any) -> dict[str, Any]:
        return self._call_for_object({"cmd": "search", "q": query, **options})

    def close(self) -> None:
        if self._proc.stdin:
            self._proc.stdin.close()
        self._proc.wait(timeout=10)

    def __enter__(self) -> NodeSearch:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--site", type=Path, default=Path("site"), help="a built site folder")
    parser.add_argument("--lang", required=True, help="language of the index to search")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--limit", type=int, default=10, help="how many results (default 10)")
    parser.add_argument(
        "--typing", action="store_true", help="treat the last word as unfinished (type-ahead)"
    )
    parser.add_argument("query", nargs="+", help="the words a reader types")


def run(args: argparse.Namespace) -> int:
    search_dir = Path(args.site) / "_search" / args.lang
    if not (search_dir / "index.json").is_file():
        print(f"error: no search index at {search_dir}/index.json (build the site first)",
              file=sys.stderr)  # fmt: skip
        return 2
    query = " ".join(args.query)
    try:
        with NodeSearch() as runner:
            runner.load(search_dir)
            found = runner.search(query, typing=args.typing, limit=args.limit, snippets=True)
    except SearchRunnerError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(found, ensure_ascii=False, indent=2))
        return 0 if found["results"] else 1
    print(format_results(found))
    return 0 if found["results"] else 1


def format_results(found: dict[str, Any]) -> str:
    lines = []
    if found.get("switched"):
        lines.append(f"showing results for: {found['switched']}")
    if not found["results"]:
        lines.append(f"nothing found for: {found['query']}")
    for number, result in enumerate(found["results"], 1):
        heading = f" › {result['heading']}" if result["heading"] else ""
        lines.append(f"{number:2}. {result['title']}{heading}   [{result['score']}]")
        lines.append(f"    /{result['url']}")
        lines.append(f"    {result['source']}")
        snippet = "".join(
            f"[{s['text']}]" if s["hit"] else s["text"] for s in result.get("snippet", [])
        )
        if snippet:
            lines.append(f"    {snippet}")
    return "\n".join(lines)
