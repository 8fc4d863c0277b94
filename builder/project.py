"""Reading a project: config, content, theme and git history, every page's markdown rendered and
its links checked; problems are collected on the project, not raised."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

from builder.config.loader import Config, load_config
from builder.content import load_content
from builder.errors import Problem
from builder.gitinfo import GitHistory, read_history
from builder.markdown.pages import apply_outputs, index_links, markdown_jobs, markdown_strings
from builder.markdown.stage import (
    MarkdownCache,
    render_pages,
)
from builder.model import Project, all_pages
from builder.replies import load_replies
from builder.theme import Theme

Progress = Callable[[str], None]


def load_project(config_path: Path, *, include_drafts: bool = False,
                 progress: Progress | None = None, use_cache: bool = True,
                 config: Config | None = None) -> Project:
    """Read and check everything; problems are collected on the project, not raised.
    `config`: the already loaded config.yml of `config_path`, when the caller has it."""
    say = progress or (lambda _message: None)
    if config is None:
        config = load_config(config_path, display_path=shown_config(config_path))
    tree = load_content(config, include_drafts=include_drafts)
    say(f"read {sum(len(s.articles) for s in tree.sites.values())} articles")
    theme = Theme(config)
    project = Project(config, tree.sites, tree.assets, theme, read_history(config.root),
                      problems=list(tree.problems))
    _attach_git(project)
    titles = {lang: markdown_strings(theme, lang) for lang in config.languages}
    project.problems.extend(theme.problems)  # bad or escaping theme files are errors too
    index_links(project)
    cache = MarkdownCache.open(cache_dir(config) / "markdown.pickle" if use_cache else None,
                               titles)
    jobs = markdown_jobs(project)
    outputs = render_pages(list(jobs.values()), project.links, titles, cache)
    apply_outputs(project, jobs, outputs)
    cache.save(jobs)
    say(f"rendered markdown of {len(jobs)} pages")
    replies = load_replies(project, include_drafts)  # after the pages: they link to them
    project.replies = replies.replies
    project.problems.extend(replies.problems)
    return project


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
    digest = short_digest(str(config.path))
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


def shown_config(config_path: Path) -> str:
    try:
        return config_path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return config_path.as_posix()


def short_digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]
