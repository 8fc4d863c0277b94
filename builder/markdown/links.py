"""Turn the relative links writers type (`../nds/x.md#sroki`, `schet.svg`) into site URLs.

Writers link to files, the reader's browser follows URLs: every `.md` link becomes the target
page's URL relative to the linking page, and links to files next to articles point at their
copies. A link that goes nowhere is an error with the file and line of the link.

A page is rendered in one pass, possibly in a worker process, before the anchors of the other
pages are known; so anchors into other pages are recorded as `AnchorCheck`s and checked once
every page is parsed (`check_anchors`). Anchors into the page itself are checked at once.
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

from builder.errors import Problem
from builder.urls import relative, root_of

if TYPE_CHECKING:  # the renderer imports the model, which imports this module
    from builder.markdown.renderer import LinkRef


@dataclass(frozen=True)
class LinkTarget:
    url: str  # site-root-relative: "/ru/nds/x/"
    key: str  # the target page's source path (absolute, as text): where its anchors are found
    source_rel: str


@dataclass
class LinkIndex:
    """Every page and file a link may point at, keyed by absolute source path (as text)."""

    pages: dict[str, LinkTarget] = field(default_factory=dict)  # x.md, _index.md, folders
    files: dict[str, str] = field(default_factory=dict)  # asset source → its URL

    def lookup(self, path: str) -> str | None:
        """The URL a path resolves to now (for checking that a cached render is still valid)."""
        target = self.pages.get(path)
        return target.url if target is not None else self.files.get(path)


@dataclass(frozen=True)
class AnchorCheck:
    line: int
    target_key: str
    target_rel: str
    anchor: str


@dataclass
class LinkResolver:
    """The `rewrite` callback of one page's markdown render."""

    index: LinkIndex
    source: Path  # the linking file
    page_url: str  # the linking page's URL
    own_anchors: frozenset[str]
    shown: str
    problems: list[Problem] = field(default_factory=list)
    checks: list[AnchorCheck] = field(default_factory=list)
    # Every path this page resolved and the URL it got (None: missing): a cached render is
    # reused only while all of these still resolve the same way.
    resolved: dict[str, str | None] = field(default_factory=dict)

    def __call__(self, ref: LinkRef) -> str | None:
        href, line = ref.href, ref.line
        path_part, hash_mark, anchor = href.partition("#")
        path_part, _, query = path_part.partition("?")
        if not path_part:
            if hash_mark and anchor and unquote(anchor) not in self.own_anchors:
                self._problem(line, f"broken anchor: #{anchor} is not a heading on this page")
            return None
        # normpath, not resolve(): page paths are built from the resolved project folder, and
        # a filesystem call per link costs seconds on thousands of pages.
        target_path = os.path.normpath(os.path.join(self.source.parent, unquote(path_part)))
        target = self.index.pages.get(target_path)
        if target is not None:
            self.resolved[target_path] = target.url
            if anchor:
                self.checks.append(AnchorCheck(line, target.key, target.source_rel,
                                               unquote(anchor)))
            url = relative(root_of(self.page_url), target.url)
            return url + (f"?{query}" if query else "") + (f"#{anchor}" if hash_mark else "")
        file_url = self.index.files.get(target_path)
        self.resolved[target_path] = file_url
        if file_url is not None:
            return relative(root_of(self.page_url), file_url) + (f"#{anchor}" if anchor else "")
        what = "article" if path_part.endswith(".md") else "file"
        self._problem(line, f"broken link: {path_part} (no such {what}: "
                            f"{_display(Path(target_path), self.source)})")
        return None

    def _problem(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.shown, line, message))


def check_anchors(shown: str, checks: list[AnchorCheck],
                  anchors_of: dict[str, frozenset[str]]) -> list[Problem]:
    problems = []
    for check in checks:
        known = anchors_of.get(check.target_key)
        if known is not None and check.anchor not in known:
            problems.append(Problem(shown, check.line, f"broken anchor: #{check.anchor} is not a "
                                                       f"heading of {check.target_rel}"))
    return problems


def _display(target: Path, source: Path) -> str:
    return posixpath.relpath(target.as_posix(), source.parent.as_posix())
