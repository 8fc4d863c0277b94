"""Render the markdown of every page: in worker processes when there are many, from a cache
when a page has not changed.

Profiling the vkcloud corpus (2,060 files, 10 MB) showed markdown-it-py parsing and rendering
as ~80% of a cold build, so pages are rendered in one pass each (anchors into other pages are
checked afterwards by `links.check_anchors`), spread over the machine's cores, and remembered
by content hash: a rebuild re-renders only pages whose text changed or whose link targets
moved.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import pickle
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from builder.errors import Problem
from builder.markdown.highlight import Highlighter
from builder.markdown.links import AnchorCheck, LinkIndex, LinkResolver
from builder.markdown.renderer import MarkdownRenderer
from builder.model import Heading, Section

# Below this many pages a worker pool costs more than it saves.
PARALLEL_THRESHOLD = 200
# Relative to builder/: the markdown package and the URL rules it uses.
_CODE_FILES = ("markdown/renderer.py", "markdown/anchors.py", "markdown/containers.py",
               "markdown/html.py", "markdown/plain_text.py", "markdown/raw_html.py",
               "markdown/highlight.py", "markdown/links.py", "markdown/stage.py", "urls.py")


@dataclass(frozen=True)
class PageJob:
    key: str  # the page's source path (absolute, as text)
    lang: str
    url: str
    shown: str  # path in messages: "content/ru/nds/x.md"
    body: str
    body_line: int

    @cached_property  # asked by the cache lookup and again for the stored output
    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for part in (self.lang, self.url, self.shown, str(self.body_line), self.body):
            digest.update(part.encode("utf-8", "surrogatepass"))
            digest.update(b"\0")
        return digest.hexdigest()


@dataclass
class PageOutput:
    html: str
    headings: list[Heading]
    sections: list[Section]
    anchors: frozenset[str]
    checks: list[AnchorCheck]
    problems: list[Problem]
    resolved: dict[str, str | None]
    fingerprint: str = ""


@dataclass
class MarkdownCache:
    """Rendered pages by source path, kept between builds in one pickle file."""

    path: Path | None
    version: str
    entries: dict[str, PageOutput] = field(default_factory=dict)
    dirty: bool = False

    @classmethod
    def open(cls, path: Path | None, titles: Mapping[str, Mapping[str, str]]) -> MarkdownCache:
        version = code_version(titles)
        cache = cls(path, version)
        if path is None or not path.is_file():
            return cache
        try:
            with path.open("rb") as handle:
                stored_version, entries = pickle.load(handle)
        except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError,
                AttributeError, ImportError):
            return cache  # a broken or old cache is just a cold build
        if stored_version == version and isinstance(entries, dict):
            cache.entries = entries
        return cache

    def usable(self, job: PageJob, index: LinkIndex) -> PageOutput | None:
        entry = self.entries.get(job.key)
        if entry is None or entry.fingerprint != job.fingerprint:
            return None
        if any(index.lookup(path) != url for path, url in entry.resolved.items()):
            return None
        return entry

    def store(self, key: str, output: PageOutput) -> None:
        self.entries[key] = output
        self.dirty = True

    def save(self, keep: Iterable[str]) -> None:
        if self.path is None or not self.dirty:
            return
        keep = set(keep)
        entries = {k: v for k, v in self.entries.items() if k in keep}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_suffix(f".tmp{os.getpid()}")
            with temporary.open("wb") as handle:
                pickle.dump((self.version, entries), handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, self.path)
        except OSError:
            pass  # a read-only place: builds still work, just without reuse
        self.dirty = False


def code_version(titles: Mapping[str, Mapping[str, str]]) -> str:
    """Cached HTML is only valid for the code and UI strings that produced it."""
    digest = hashlib.sha256(sys.version.encode())
    here = Path(__file__).parent.parent
    for name in _CODE_FILES:
        try:
            digest.update((here / name).read_bytes())
        except OSError:
            digest.update(name.encode())
    for lang in sorted(titles):
        digest.update(repr(sorted(titles[lang].items())).encode())
    return digest.hexdigest()


def render_pages(jobs: list[PageJob], index: LinkIndex,
                 titles: Mapping[str, Mapping[str, str]],
                 cache: MarkdownCache) -> dict[str, PageOutput]:
    """Every job's output by key; cache hits first, the rest rendered (in parallel if many)."""
    outputs: dict[str, PageOutput] = {}
    misses: list[PageJob] = []
    for job in jobs:
        hit = cache.usable(job, index)
        if hit is not None:
            outputs[job.key] = hit
        else:
            misses.append(job)
    # Translations side by side: they land in the same worker, whose highlighter then
    # meets their shared code snippets twice (a third of vkcloud's fences repeat).
    misses.sort(key=_translations_together)
    for job, output in zip(misses, _render_misses(misses, index, titles), strict=True):
        outputs[job.key] = output
        cache.store(job.key, output)
    return outputs


def _translations_together(job: PageJob) -> tuple[str, str]:
    in_language = job.shown.removeprefix("content/").partition("/")[2]
    return in_language, job.lang


def _render_misses(jobs: list[PageJob], index: LinkIndex,
                   titles: Mapping[str, Mapping[str, str]]) -> list[PageOutput]:
    workers = min(os.cpu_count() or 1, 4)
    if len(jobs) < PARALLEL_THRESHOLD or workers < 2 or "fork" not in \
            multiprocessing.get_all_start_methods():
        state = _WorkerState(index, titles)
        return [state.render(job) for job in jobs]
    # Fork shares the link index with the workers without pickling it for every page.
    global _FORKED
    _FORKED = _WorkerState(index, titles)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            return pool.map(_render_in_worker, jobs, chunksize=max(1, len(jobs) // (workers * 8)))
    finally:
        _FORKED = None


class _WorkerState:
    def __init__(self, index: LinkIndex, titles: Mapping[str, Mapping[str, str]]) -> None:
        self.index = index
        self.titles = titles
        self.renderers: dict[str, MarkdownRenderer] = {}
        self.highlighter = Highlighter()  # one for all languages: translations share code

    def render(self, job: PageJob) -> PageOutput:
        renderer = self.renderers.get(job.lang)
        if renderer is None:
            renderer = self.renderers[job.lang] = make_renderer(self.titles.get(job.lang, {}),
                                                                self.highlighter)
        return render_one(renderer, job, self.index)


_FORKED: _WorkerState | None = None


def _render_in_worker(job: PageJob) -> PageOutput:
    assert _FORKED is not None
    return _FORKED.render(job)


def make_renderer(strings: Mapping[str, str],
                  highlighter: Highlighter | None = None) -> MarkdownRenderer:
    """A renderer for one language: callout titles and the heading-link label in its words.
    Keys starting with "_" are options (the label, the raw HTML policy), not callout titles;
    they are part of the cache's version, so changing one re-renders every page."""
    titles = {k: v for k, v in strings.items() if not k.startswith("_")}
    options: dict[str, Any] = {"highlighter": highlighter}
    if strings.get("_anchor_label"):
        options["anchor_label"] = strings["_anchor_label"]
    if strings.get("_raw_html"):
        options["raw_html"] = strings["_raw_html"]
    return MarkdownRenderer(titles, **options)


def render_one(renderer: MarkdownRenderer, job: PageJob, index: LinkIndex) -> PageOutput:
    parsed = renderer.parse(job.body, first_line=job.body_line)
    resolver = LinkResolver(index, Path(job.key), job.url, frozenset(parsed.anchors), job.shown)
    rendered = renderer.render(parsed, resolver)
    problems = [Problem(job.shown, p.line, p.message, warning=True) for p in parsed.problems]
    return PageOutput(
        html=rendered.html,
        headings=parsed.headings,
        sections=rendered.sections,
        anchors=frozenset(parsed.anchors),
        checks=resolver.checks,
        problems=problems + resolver.problems,
        resolved=resolver.resolved,
        fingerprint=job.fingerprint,
    )
