"""The search stage of a build: each language's index files, built in forked processes while
the caller renders pages."""

from __future__ import annotations

import multiprocessing
import os
from multiprocessing.pool import AsyncResult, Pool

from builder.markdown.stage import PARALLEL_THRESHOLD
from builder.model import Project

SearchFiles = list[tuple[str, bytes, str]]  # (path, bytes, where it came from)


def search_files(project: Project, lang: str) -> SearchFiles:
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
        self._pool: Pool | None = None
        self._pending: list[AsyncResult[SearchFiles]] = []

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

    def files(self) -> SearchFiles:
        if self._pool is None:
            return [f for lang in self.langs for f in search_files(self.project, lang)]
        return [f for pending in self._pending for f in pending.get()]

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()


_SEARCH_PROJECT: Project | None = None


def _search_in_child(lang: str) -> SearchFiles:
    assert _SEARCH_PROJECT is not None
    return search_files(_SEARCH_PROJECT, lang)
