"""The build, top to bottom: config → content → git → markdown → (search, render) → write.

Everything is read and checked before anything is written, so a build with errors reports
all of them and leaves the previous site as it was.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from builder.config import Config, load_config
from builder.content import Asset, load_content
from builder.errors import BuildError, ContentError, Problem
from builder.gitinfo import GitHistory, read_history
from builder.links import LinkIndex, LinkResolver, LinkTarget
from builder.markdown import MarkdownRenderer, ParsedMarkdown
from builder.model import Article, Collection, LanguageSite, Page
from builder.theme import Theme
from builder.writer import WriteStats, Writer, check_output_dir

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
    parsed: dict[Path, ParsedMarkdown] = field(default_factory=dict)
    renderers: dict[str, MarkdownRenderer] = field(default_factory=dict)
    links: LinkIndex = field(default_factory=LinkIndex)

    @property
    def errors(self) -> list[Problem]:
        return sorted(p for p in self.problems if not p.warning)

    @property
    def warnings(self) -> list[Problem]:
        return sorted(p for p in self.problems if p.warning)


@dataclass
class BuildReport:
    project: Project
    stats: WriteStats
    pages: int
    seconds: float
    timings: dict[str, float]


def load_project(config_path: Path, *, include_drafts: bool = False,
                 progress: Progress | None = None) -> Project:
    """Read and check everything; problems are collected on the project, not raised."""
    say = progress or (lambda _message: None)
    config = load_config(config_path, display_path=_shown_config(config_path))
    tree = load_content(config, include_drafts=include_drafts)
    say(f"read {sum(len(s.articles) for s in tree.sites.values())} articles")
    theme = Theme(config)
    project = Project(config, tree.sites, tree.assets, theme, read_history(config.root),
                      problems=list(tree.problems))
    _attach_git(project)
    for lang in config.languages:
        project.renderers[lang] = MarkdownRenderer(theme.container_titles(lang))
    project.problems.extend(theme.warnings)
    for page in all_pages(project):
        parse_page(project, page)
    _index_links(project)
    for page in all_pages(project):
        render_page(project, page)
    for site in project.sites.values():
        render_intro(project, site)
    say("rendered markdown")
    return project


def build(config_path: Path, out_dir: Path, *, include_drafts: bool = False,
          progress: Progress | None = None) -> BuildReport:
    """A full build into `out_dir`; raises BuildError with every problem, writing nothing."""
    started = time.perf_counter()
    timings: dict[str, float] = {}
    refusal = check_output_dir(out_dir)
    if refusal:
        raise BuildError([Problem(str(out_dir), 0, refusal)])
    project = load_project(config_path, include_drafts=include_drafts, progress=progress)
    timings["read"] = time.perf_counter() - started
    if project.errors:
        raise ContentError(project.problems)
    writer = Writer(out_dir)
    mark = time.perf_counter()
    write_search(project, writer)
    timings["search"] = time.perf_counter() - mark
    mark = time.perf_counter()
    renderer = make_renderer(project, writer)
    renderer.render_all()
    copy_content_assets(project, writer)
    timings["render"] = time.perf_counter() - mark
    if writer.problems:
        raise BuildError(writer.problems)
    mark = time.perf_counter()
    stats = writer.commit()
    timings["write"] = time.perf_counter() - mark
    pages = sum(1 for p in writer.paths() if p.endswith(".html"))
    return BuildReport(project, stats, pages, time.perf_counter() - started, timings)


def make_renderer(project: Project, writer: Writer) -> object:
    from builder.render import Renderer

    return Renderer(project.config, project.sites, writer, project.theme, build_time())


def write_search(project: Project, writer: Writer) -> None:
    if not project.config["search.enabled"]:
        return
    from builder.search_index import build_search_files

    for lang, site in project.sites.items():
        for path, data in sorted(build_search_files(site, project.config).items()):
            writer.add(path, data, f"search index ({lang})")


def copy_content_assets(project: Project, writer: Writer) -> None:
    for asset in project.assets:
        writer.copy(asset.out_path, asset.source, asset.source_rel)


def all_pages(project: Project) -> list[Page]:
    pages: list[Page] = []
    for site in project.sites.values():
        pages.extend(site.all_collections())
        pages.extend(site.articles)
    return pages


def parse_page(project: Project, page: Page) -> ParsedMarkdown:
    parsed = project.renderers[page.lang].parse(page.body_text, first_line=page.body_line)
    project.parsed[page.source] = parsed
    if isinstance(page, Article):
        page.headings = parsed.headings
    for problem in parsed.problems:
        project.problems.append(Problem(page.source_rel, problem.line, problem.message,
                                        warning=True))
    return parsed


def render_page(project: Project, page: Page) -> None:
    parsed = project.parsed[page.source]
    resolver = LinkResolver(project.links, page.source, page.url, frozenset(parsed.anchors),
                            page.source_rel, project.problems)
    rendered = project.renderers[page.lang].render(parsed, resolver)
    page.body_html = rendered.html
    if isinstance(page, Article):
        page.sections = rendered.sections


def render_intro(project: Project, site: LanguageSite) -> None:
    """The language home's own `_index.md` body (links in it resolve from the home URL)."""
    if not site.intro_text.strip():
        return
    renderer = project.renderers[site.lang]
    parsed = renderer.parse(site.intro_text, first_line=site.intro_line)
    source = project.config.content_dir / site.lang / "_index.md"
    resolver = LinkResolver(project.links, source, site.url, frozenset(parsed.anchors),
                            site.source_rel, project.problems)
    site.intro_html = renderer.render(parsed, resolver).html


def _index_links(project: Project) -> None:
    index = project.links
    for page in all_pages(project):
        target = LinkTarget(page.url, frozenset(project.parsed[page.source].anchors),
                            page.source_rel)
        if isinstance(page, Collection):
            folder = page.source.parent if page.source.name == "_index.md" else page.source
            index.pages[(folder / "_index.md").resolve()] = target
            index.folders[folder.resolve()] = target
        else:
            index.pages[page.source.resolve()] = target
    for site in project.sites.values():
        home = project.config.content_dir / site.lang
        target = LinkTarget(site.url, frozenset(), site.source_rel or f"content/{site.lang}")
        index.pages[(home / "_index.md").resolve()] = target
        index.folders[home.resolve()] = target
    for asset in project.assets:
        index.files[asset.source.resolve()] = "/" + asset.out_path


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
