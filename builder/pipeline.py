"""The build, top to bottom: config → content → git → markdown → (search, render) → write.

Everything is read and checked before anything is written, so a build with errors reports
all of them and leaves the previous site as it was.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from builder.config.loader import Config, load_config
from builder.content import Asset, load_content
from builder.errors import BuildError, ContentError, Problem
from builder.fingerprint import input_fingerprint, output_intact
from builder.gitinfo import GitHistory, read_history
from builder.markdown.links import AnchorCheck, LinkIndex, LinkTarget, check_anchors
from builder.markdown.stage import (
    PARALLEL_THRESHOLD,
    MarkdownCache,
    PageJob,
    PageOutput,
    render_pages,
)
from builder.model import Article, Collection, LanguageSite, Page
from builder.theme import DEFAULT_THEME_DIR, Theme
from builder.writer import Writer, WriteStats, check_output_dir

Progress = Callable[[str], None]


@dataclass
class Project:
    """Everything read and rendered to HTML fragments; what render and search work from."""

    config: Config
    sites: dict[str, LanguageSite]
    assets: list[Asset]
    theme: Theme
    history: GitHistory | None
    problems: list[Problem] = field(default_factory=list)
    links: LinkIndex = field(default_factory=LinkIndex)
    anchors: dict[str, frozenset[str]] = field(default_factory=dict)  # page key → its anchors
    # page key → (its path in messages, its links into other pages' anchors): kept so that an
    # edit that removes a heading can re-check the pages that link to it.
    anchor_checks: dict[str, tuple[str, list[AnchorCheck]]] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        return sorted(p for p in self.problems if not p.warning)

    @property
    def warnings(self) -> list[Problem]:
        return sorted(p for p in self.problems if p.warning)


@dataclass
class BuildReport:
    project: Project | None  # None when nothing changed and nothing was read
    stats: WriteStats
    pages: int
    seconds: float
    timings: dict[str, float]

    @property
    def unchanged(self) -> bool:
        return self.project is None


def load_project(config_path: Path, *, include_drafts: bool = False,
                 progress: Progress | None = None, use_cache: bool = True,
                 config: Config | None = None) -> Project:
    """Read and check everything; problems are collected on the project, not raised.
    `config`: the already loaded config.yml of `config_path`, when the caller has it."""
    say = progress or (lambda _message: None)
    if config is None:
        config = load_config(config_path, display_path=_shown_config(config_path))
    tree = load_content(config, include_drafts=include_drafts)
    say(f"read {sum(len(s.articles) for s in tree.sites.values())} articles")
    theme = Theme(config)
    project = Project(config, tree.sites, tree.assets, theme, read_history(config.root),
                      problems=list(tree.problems))
    _attach_git(project)
    titles = {lang: markdown_strings(theme, lang) for lang in config.languages}
    project.problems.extend(theme.problems)  # bad or escaping theme files are errors too
    _index_links(project)
    cache = MarkdownCache.open(cache_dir(config) / "markdown.pickle" if use_cache else None,
                               titles)
    jobs = _markdown_jobs(project)
    outputs = render_pages(list(jobs.values()), project.links, titles, cache)
    _apply_outputs(project, jobs, outputs)
    cache.save(jobs)
    say(f"rendered markdown of {len(jobs)} pages")
    return project


def build(config_path: Path, out_dir: Path, *, include_drafts: bool = False,
          progress: Progress | None = None, force: bool = False) -> BuildReport:
    """A full build into `out_dir`; raises BuildError with every problem, writing nothing.

    When no input changed since the last build into the same folder (and the output is
    intact) it stops after the fingerprint check: unless `force`, nothing is read again.
    """
    started = time.perf_counter()
    timings: dict[str, float] = {}
    refusal = check_output_dir(out_dir)
    if refusal:
        raise BuildError([Problem(str(out_dir), 0, refusal)])
    config = load_config(config_path, display_path=_shown_config(config_path))
    stamp = cache_dir(config) / f"build-{_digest(str(out_dir.resolve()))}.txt"
    fingerprint = input_fingerprint(config, [DEFAULT_THEME_DIR, config.themes_dir],
                                    f"drafts={include_drafts}")
    if not force and _read(stamp) == fingerprint and output_intact(out_dir):
        return BuildReport(None, WriteStats(), 0, time.perf_counter() - started, {})
    project = load_project(config_path, include_drafts=include_drafts, progress=progress,
                           config=config)
    timings["read"] = time.perf_counter() - started
    if project.errors:
        raise ContentError(project.problems)
    writer = Writer(out_dir)
    mark = time.perf_counter()
    try:
        stats = _render_and_write(project, writer, timings, mark)
    except BaseException:
        writer.discard()  # a failed build leaves the previous site as it was
        raise
    _write_stamp(stamp, fingerprint)
    pages = sum(1 for p in writer.paths() if p.endswith(".html"))
    return BuildReport(project, stats, pages, time.perf_counter() - started, timings)


def _render_and_write(project: Project, writer: Writer, timings: dict[str, float],
                      mark: float) -> WriteStats:
    # Indexing and rendering only read the project: on a big site they run side by side,
    # and the pages are staged (written aside, not yet in place) while the indexes finish.
    with SearchJob(project) as search:
        renderer = make_page_renderer(project, writer)
        renderer.render_all()
        copy_content_assets(project, writer)
        timings["render"] = time.perf_counter() - mark
        if not writer.problems:  # else nothing will be written: report them all at the end
            writer.stage()
        timings["stage"] = time.perf_counter() - mark
        for path, data, source in search.files():
            writer.add(path, data, source)
    timings["render+search"] = time.perf_counter() - mark
    if writer.problems:
        raise BuildError(writer.problems)
    mark = time.perf_counter()
    stats = writer.commit()
    timings["write"] = time.perf_counter() - mark
    return stats


def make_page_renderer(project: Project, writer: Writer) -> object:
    from builder.render import Renderer

    return Renderer(project.config, project.sites, writer, project.theme, build_time())


def search_files(project: Project, lang: str) -> list[tuple[str, bytes, str]]:
    """One language's search index files as (path, bytes, source)."""
    from builder.search.files import build_search_files

    files = build_search_files(project.sites[lang], project.config)
    return [(path, data, f"search index ({lang})") for path, data in sorted(files.items())]


class SearchJob:
    """Build the search indexes, one forked process per language, while the caller renders.

    Indexing is the longest stage after markdown and each language is independent, so on a
    big site they run side by side with page rendering. Below PARALLEL_THRESHOLD articles, or
    without fork, everything simply runs in this process.
    """

    def __init__(self, project: Project) -> None:
        self.project = project
        self.langs = list(project.sites) if project.config["search.enabled"] else []
        self._pool: object | None = None
        self._pending: list[object] = []

    def __enter__(self) -> SearchJob:
        articles = sum(len(s.articles) for s in self.project.sites.values())
        if self.langs and articles >= PARALLEL_THRESHOLD and (os.cpu_count() or 1) > 1 and \
                "fork" in multiprocessing.get_all_start_methods():
            global _SEARCH_PROJECT
            _SEARCH_PROJECT = self.project
            pool = multiprocessing.get_context("fork").Pool(len(self.langs))
            self._pending = [pool.apply_async(_search_in_child, (lang,)) for lang in self.langs]
            self._pool = pool
            _SEARCH_PROJECT = None
        return self

    def files(self) -> list[tuple[str, bytes, str]]:
        if self._pool is None:
            return [f for lang in self.langs for f in search_files(self.project, lang)]
        return [f for pending in self._pending for f in pending.get()]  # type: ignore[attr-defined]

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.terminate()  # type: ignore[attr-defined]
            self._pool.join()  # type: ignore[attr-defined]


_SEARCH_PROJECT: Project | None = None


def _search_in_child(lang: str) -> list[tuple[str, bytes, str]]:
    assert _SEARCH_PROJECT is not None
    return search_files(_SEARCH_PROJECT, lang)


def copy_content_assets(project: Project, writer: Writer) -> None:
    for asset in project.assets:
        writer.copy(asset.out_path, asset.source, asset.source_rel)


def all_pages(project: Project) -> list[Page]:
    pages: list[Page] = []
    for site in project.sites.values():
        pages.extend(site.all_collections())
        pages.extend(site.articles)
    return pages


def markdown_strings(theme: Theme, lang: str) -> dict[str, str]:
    """The UI words the markdown stage writes into pages: callout titles, the heading-link
    label; and the project's raw HTML policy, which changes pages as much."""
    label = theme.strings(lang).get("heading_anchor_label", "")
    return {**theme.container_titles(lang), "_anchor_label": label,
            "_raw_html": theme.config["markdown.raw_html"]}


def _markdown_jobs(project: Project) -> dict[str, PageJob]:
    jobs: dict[str, PageJob] = {}
    for page in all_pages(project):
        key = page_key(page)
        jobs[key] = PageJob(key, page.lang, page.url, page.source_rel, page.body_text,
                            page.body_line)
    for site in project.sites.values():
        key = str(project.config.content_dir / site.lang / "_index.md")
        jobs[key] = PageJob(key, site.lang, site.url, site.source_rel or key, site.intro_text,
                            site.intro_line)
    return jobs


def _apply_outputs(project: Project, jobs: dict[str, PageJob],
                   outputs: dict[str, PageOutput]) -> None:
    anchors_of = project.anchors
    anchors_of.update({key: output.anchors for key, output in outputs.items()})
    for page in all_pages(project):
        output = outputs[page_key(page)]
        page.body_html = output.html
        if isinstance(page, Article):
            page.headings = output.headings
            page.sections = output.sections
    for site in project.sites.values():
        key = str(project.config.content_dir / site.lang / "_index.md")
        site.intro_html = outputs[key].html
    for key, output in outputs.items():
        project.anchor_checks[key] = (jobs[key].shown, output.checks)
        project.problems.extend(output.problems)
        project.problems.extend(check_anchors(jobs[key].shown, output.checks, anchors_of))


def page_key(page: Page) -> str:
    """A page's identity in the markdown cache and link index: its source file's path."""
    if isinstance(page, Collection):
        folder = page.source.parent if page.source.name == "_index.md" else page.source
        return str(folder / "_index.md")
    return str(page.source)


def _index_links(project: Project) -> None:
    index = project.links
    for page in all_pages(project):
        key = page_key(page)
        target = LinkTarget(page.url, key, page.source_rel)
        index.pages[key] = target
        if isinstance(page, Collection):
            index.pages[str(Path(key).parent)] = target
    for site in project.sites.values():
        home = project.config.content_dir / site.lang
        key = str(home / "_index.md")
        target = LinkTarget(site.url, key, site.source_rel or f"content/{site.lang}/")
        index.pages[key] = target
        index.pages[str(home)] = target
    for asset in project.assets:
        index.files[str(asset.source)] = "/" + asset.out_path


def cache_dir(config: Config) -> Path:
    """`.cache/` next to config.yml, or a per-project folder in the user's cache when the
    project folder is read-only (e.g. a shared corpus)."""
    override = os.environ.get("HELPCENTER_CACHE")
    if override:
        return Path(override)
    local = config.root / ".cache"
    # Mode bits, not os.access: root may write anywhere, but a folder marked read-only (a
    # shared corpus) is someone else's and must stay untouched.
    if config.root.stat().st_mode & 0o200 and os.access(config.root, os.W_OK):
        return local
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    digest = _digest(str(config.path))
    return base / "helpcenter" / digest


def _attach_git(project: Project) -> None:
    history = project.history
    if history is None:
        return
    for page in all_pages(project):
        page.git = history.info(page.source_rel.removeprefix("./"))
    _check_gone_originals(project, history)


def _check_gone_originals(project: Project, history: GitHistory) -> None:
    """A translation whose default-language original was deleted or moved in git history."""
    default = project.config.default_language
    for lang, site in project.sites.items():
        if lang == default:
            continue
        for article in site.articles:
            original = f"content/{default}/{article.path}.md"
            if original not in history.gone or (project.config.root / original).exists():
                continue
            moved_to = history.gone[original]
            why = f"was moved to {moved_to}; move the translation too" if moved_to else \
                "was deleted; delete or re-home the translation"
            project.problems.append(Problem(
                article.source_rel, 1, f"translation whose original is gone: {original} {why}"))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


def _write_stamp(path: Path, fingerprint: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(fingerprint, encoding="utf-8")
    except OSError:
        pass  # without a stamp the next build is simply a full one


def build_time() -> datetime | None:
    """Reproducible builds: a time only when SOURCE_DATE_EPOCH says which."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    return datetime.fromtimestamp(int(epoch), tz=UTC) if epoch and epoch.isdigit() else None


def _shown_config(config_path: Path) -> str:
    try:
        return config_path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return config_path.as_posix()


def stderr_progress(message: str) -> None:
    if sys.stderr.isatty():
        print(f"  … {message}", file=sys.stderr, flush=True)
