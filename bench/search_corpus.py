"""Language sites of a corpus, read and rendered by the real pipeline, for search tests and
benchmarks (`builder.project.load_project`; markdown rendered, sections filled)."""

from __future__ import annotations

from pathlib import Path

from builder.model import LanguageSite


def load_sites(config_path: Path) -> dict[str, LanguageSite]:
    from builder.project import load_project

    project = load_project(config_path)
    return dict(project.sites)
