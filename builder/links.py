"""Turn the relative links writers type (`../nds/x.md#sroki`, `schet.svg`) into site URLs.

Writers link to files, the reader's browser follows URLs: every `.md` link becomes the target
page's URL relative to the linking page, anchors are checked against the target's headings,
and links to files next to articles point at their copies. A link that goes nowhere is an
error with the file and line of the link.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from builder.errors import Problem
from builder.urls import relative, root_of


@dataclass
class LinkTarget:
    url: str  # site-root-relative: "/ru/nds/x/"
    anchors: frozenset[str]
    source_rel: str


@dataclass
class LinkIndex:
    """Every page and file a link may point at, keyed by its absolute source path."""

    pages: dict[Path, LinkTarget] = field(default_factory=dict)
    files: dict[Path, str] = field(default_factory=dict)  # asset source → its URL
    folders: dict[Path, LinkTarget] = field(default_factory=dict)  # collection folder → page


@dataclass
class LinkResolver:
    index: LinkIndex
    source: Path  # the linking file
    page_url: str  # the linking page's URL
    own_anchors: frozenset[str]
    shown: str
    problems: list[Problem]

    def __call__(self, ref: object) -> str | None:
        href: str = ref.href  # type: ignore[attr-defined]
        line: int = ref.line  # type: ignore[attr-defined]
        path_part, hash_mark, anchor = href.partition("#")
        path_part, _, query = path_part.partition("?")
        if not path_part:
            if hash_mark and anchor and unquote(anchor) not in self.own_anchors:
                self._problem(line, f"broken anchor: #{anchor} is not a heading on this page")
            return None
        target_path = (self.source.parent / unquote(path_part)).resolve()
        target = self.index.pages.get(target_path) or self.index.folders.get(target_path)
        if target is not None:
            if anchor and unquote(anchor) not in target.anchors:
                self._problem(line, f"broken anchor: #{anchor} is not a heading of "
                                    f"{target.source_rel}")
            url = relative(root_of(self.page_url), target.url)
            return url + (f"?{query}" if query else "") + (f"#{anchor}" if hash_mark else "")
        file_url = self.index.files.get(target_path)
        if file_url is not None:
            return relative(root_of(self.page_url), file_url) + (f"#{anchor}" if anchor else "")
        what = "article" if path_part.endswith(".md") else "file"
        self._problem(line, f"broken link: {path_part} (no such {what}: "
                            f"{_display(target_path, self.source)})")
        return None

    def _problem(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.shown, line, message))


def _display(target: Path, source: Path) -> str:
    return posixpath.relpath(target.as_posix(), source.parent.as_posix())
