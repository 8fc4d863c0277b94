"""Fixtures shared by every test module: the shared corpora, a real headless chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.env import ARTIFACTS, CHROMIUM_FLAGS, SHARED_CORPUS, chromium_executable, require


@pytest.fixture(scope="session")
def corpus_root() -> Path:
    require(SHARED_CORPUS.is_dir(), f"the shared corpora are not at {SHARED_CORPUS}")
    return SHARED_CORPUS


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Screenshots and other things a person may want to look at after a run."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """A headless Debian chromium per test module, driven by Playwright (never downloaded).

    Module scope, not session: sync Playwright runs an event loop in this thread while it is
    open, and async tests in later modules could not start theirs.
    """
    executable = chromium_executable()
    require(executable is not None, "Debian's chromium is not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_FLAGS
        )
        yield launched
        launched.close()
