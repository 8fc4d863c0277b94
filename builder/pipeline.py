"""The build, top to bottom: config → content → git → markdown → (search, render) → write.

Everything is read and checked before anything is written, so a build with errors reports
all of them and leaves the previous site as it was.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from builder import replies
from builder.config.loader import load_config
from builder.errors import BuildError, ContentError, Problem
from builder.fingerprint import input_fingerprint, output_intact
from builder.model import Project
from builder.output import SiteOutput, WriteStats, check_output_dir
from builder.project import Progress, cache_dir, load_project, short_digest, shown_config
from builder.search.job import SearchJob
from builder.theme import DEFAULT_THEME_DIR

if TYPE_CHECKING:  # imported when first used: a no-op build never loads Jinja2
    from builder.render import Renderer


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
    config = load_config(config_path, display_path=shown_config(config_path))
    stamp = cache_dir(config) / f"build-{short_digest(str(out_dir.resolve()))}.txt"
    fingerprint = input_fingerprint(config, [DEFAULT_THEME_DIR, config.themes_dir],
                                    f"drafts={include_drafts}")
    if not force and _read(stamp) == fingerprint and output_intact(out_dir):
        return BuildReport(None, WriteStats(), 0, time.perf_counter() - started, {})
    project = load_project(config_path, include_drafts=include_drafts, progress=progress,
                           config=config)
    timings["read"] = time.perf_counter() - started
    if project.errors:
        raise ContentError(project.problems)
    site_out = SiteOutput(out_dir)
    mark = time.perf_counter()
    try:
        stats = _render_and_write(project, site_out, timings, mark)
    except BaseException:
        site_out.discard()  # a failed build leaves the previous site as it was
        raise
    _write_stamp(stamp, fingerprint)
    pages = sum(1 for p in site_out.paths() if p.endswith(".html"))
    return BuildReport(project, stats, pages, time.perf_counter() - started, timings)


def _render_and_write(project: Project, site_out: SiteOutput, timings: dict[str, float],
                      mark: float) -> WriteStats:
    # Indexing and rendering only read the project: on a big site they run side by side,
    # and the pages are staged (written aside, not yet in place) while the indexes finish.
    with SearchJob(project) as search:
        renderer = make_page_renderer(project, site_out)
        renderer.render_all()
        copy_content_assets(project, site_out)
        site_out.add(replies.OUTPUT, replies.replies_json(project.replies), "builder:replies")
        timings["render"] = time.perf_counter() - mark
        if not site_out.problems:  # else nothing will be written: report them all at the end
            site_out.stage()
        timings["stage"] = time.perf_counter() - mark
        for path, data, source in search.files():
            site_out.add(path, data, source)
    timings["render+search"] = time.perf_counter() - mark
    if site_out.problems:
        raise BuildError(site_out.problems)
    mark = time.perf_counter()
    stats = site_out.commit()
    timings["write"] = time.perf_counter() - mark
    return stats


def make_page_renderer(project: Project, site_out: SiteOutput) -> Renderer:
    from builder.render import Renderer

    return Renderer(project.config, project.sites, site_out, project.theme, build_time())


def copy_content_assets(project: Project, site_out: SiteOutput) -> None:
    for asset in project.assets:
        site_out.copy(asset.out_path, asset.source, asset.source_rel)


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


def stderr_progress(message: str) -> None:
    if sys.stderr.isatty():
        print(f"  … {message}", file=sys.stderr, flush=True)
