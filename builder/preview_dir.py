"""Where `build.py serve` writes: a folder of its own, never a published site.

The preview shows drafts and injects its reload script, so its files must never land where
`make run`, the sidecar or a deployment serves from. It writes `.preview/` next to config.yml
(ignored by git) and refuses any folder that is, holds or sits inside the build's output, or
that a `build` wrote (its manifest without the preview's mark).
"""

from __future__ import annotations

import os
from pathlib import Path

from builder.errors import BuildError, Problem
from builder.output import MANIFEST
from builder.project import short_digest

DEFAULT_NAME = ".preview"
BUILD_OUTPUT_NAME = "site"  # `build.py build`'s default, what `make run` serves
MARK = ".helpcenter-preview"
MARK_TEXT = "Written by `build.py serve`: a preview with drafts, never publish this folder.\n"


class PreviewFolderError(BuildError):
    pass


def preview_dir(config_path: Path, requested: Path | None) -> Path:
    """The folder the preview may write, created; PreviewFolderError otherwise."""
    project = config_path.resolve().parent
    folder = (requested if requested is not None else default_folder(project)).resolve()
    problem = refusal(folder, project / BUILD_OUTPUT_NAME)
    if problem:
        raise PreviewFolderError([Problem(str(requested or folder), 0, problem)])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def mark(folder: Path) -> None:
    """Sign a folder the preview has built into (after the build: the output writer takes
    only an empty folder or one it wrote), so that later runs know it for a preview."""
    if (folder / MANIFEST).is_file():
        (folder / MARK).write_text(MARK_TEXT, encoding="utf-8")


def default_folder(project: Path) -> Path:
    """`.preview/` in the project, or a folder in the user's cache when the project is
    read-only (a shared corpus is someone else's and stays untouched)."""
    if project.stat().st_mode & 0o200 and os.access(project, os.W_OK):
        return project / DEFAULT_NAME
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "helpcenter" / f"preview-{short_digest(str(project))}"


def refusal(folder: Path, build_output: Path) -> str:
    """Why the preview must not write `folder` ("" when it may)."""
    published = build_output.resolve()
    if folder == published or folder.is_relative_to(published) or published.is_relative_to(folder):
        return (f"the preview never writes the build's output {published} (what `make run` "
                f"serves); leave out --out to use {DEFAULT_NAME}/")
    if (folder / MANIFEST).is_file() and not (folder / MARK).is_file():
        return ("this folder holds a site written by `build.py build`; the preview (drafts, "
                "reload script) needs a folder of its own")
    if folder.is_dir() and any(folder.iterdir()) and not (folder / MARK).is_file():
        return "this folder is not empty and not a preview: pick an empty or new folder"
    return ""


def refuse_publishing(out_dir: Path) -> None:
    """`build` into the preview's folder would publish next to its drafts: refused."""
    if (out_dir / MARK).is_file():
        raise PreviewFolderError([Problem(str(out_dir), 0, "this is the preview's folder "
                                          "(build.py serve, drafts included); build elsewhere")])
