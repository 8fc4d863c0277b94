"""`build.py serve` as a writer uses it, in a real chromium: the preview's own folder, a failed
rebuild's problems over the page (escaped, with file:line), gone after the next good save."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv" / "bin" / "python"
ARTICLE = "content/ru/oplata/schet.md"
OVERLAY = "#helpcenter-preview-problems"
HOSTILE_AUTHOR = "<img src=x onerror=window.__pwned=1>"

pytestmark = pytest.mark.browser


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the sample help center: the test edits its articles."""
    copy = tmp_path_factory.mktemp("writer") / "help"
    copy.mkdir()
    shutil.copy(ROOT / "config.yml", copy / "config.yml")
    shutil.copytree(ROOT / "content", copy / "content")
    shutil.copytree(ROOT / "brand", copy / "brand")
    return copy


@contextlib.contextmanager
def running_preview(project: Path, cache: Path) -> Iterator[str]:
    """`python build.py serve` in the project, as typed; its URL once it serves."""
    port = free_port()
    env = {**os.environ, "HELPCENTER_CACHE": str(cache)}
    python = str(PYTHON) if PYTHON.exists() else sys.executable
    process = subprocess.Popen(
        [python, str(ROOT / "build.py"), "serve", "--port", str(port)], cwd=project, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 120
        line = ""
        while time.monotonic() < deadline and "previewing" not in line:
            line = process.stdout.readline()
            assert line or process.poll() is None, "build.py serve exited"
        assert "previewing" in line, line
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def preview(project: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_preview(project, tmp_path_factory.mktemp("cache")) as url:
        yield url


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_preview_never_writes_the_published_site(project: Path, preview: str) -> None:
    assert (project / ".preview" / "ru" / "oplata" / "schet" / "index.html").is_file()
    assert not (project / "site").exists()


def test_a_failed_rebuild_shows_its_problems_on_the_page(
    project: Path, preview: str, browser: Any, artifacts_dir: Path
) -> None:
    article = project / ARTICLE
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(preview + "ru/oplata/schet/")
        page.wait_for_load_state("networkidle")
        assert page.locator(OVERLAY).count() == 0

        edit(article, "author: anna", f"author: '{HOSTILE_AUTHOR}'")
        overlay = page.locator(OVERLAY)
        overlay.wait_for(state="visible", timeout=15000)
        text = overlay.inner_text()
        assert "Rebuild failed: 1 error" in text
        line = article.read_text(encoding="utf-8").splitlines().index(
            f"author: '{HOSTILE_AUTHOR}'") + 1
        assert f"{ARTICLE}:{line}" in text
        assert HOSTILE_AUTHOR in text  # the writer's text, shown as text
        assert overlay.locator("img").count() == 0
        assert page.evaluate("window.__pwned") is None
        # The page under it is the last good build.
        assert page.locator("h1").first.inner_text() == "Оплата по счёту"
        page.screenshot(path=str(artifacts_dir / "serve-problems-overlay.png"))

        # A page opened while the build is broken shows the problems at once.
        page.reload()
        page.locator(OVERLAY).wait_for(state="visible", timeout=10000)

        # The next good save reloads the page with the change, and the problems are gone.
        edit(article, f"author: '{HOSTILE_AUTHOR}'", "author: anna")
        edit(article, "title: Оплата по счёту", "title: Оплата по счёту (черновик)")
        expect(page.locator("h1").first).to_contain_text("черновик", timeout=15000)
        assert page.locator(OVERLAY).count() == 0
    finally:
        context.close()


def test_the_preview_404_speaks_the_paths_language(preview: str, browser: Any) -> None:
    context = browser.new_context(locale="ru-RU")
    try:
        page = context.new_page()
        response = page.goto(preview + "en/no-such-page/")
        assert response is not None and response.status == 404
        assert page.locator("html").get_attribute("lang") == "en"
        assert page.locator("h1:visible").inner_text() == "Page not found"
    finally:
        context.close()


def test_a_first_build_that_fails_shows_its_problems(tmp_path: Path, browser: Any) -> None:
    project = tmp_path / "help"
    (project / "content" / "ru" / "nds").mkdir(parents=True)
    (project / "config.yml").write_text("site: {title: T}\nlanguages: [ru]\n", encoding="utf-8")
    (project / "content/ru/nds/a.md").write_text("---\ndescription: <b>no title</b>\n---\n",
                                                  encoding="utf-8")
    with running_preview(project, tmp_path / "cache") as url:
        context = browser.new_context()
        try:
            page = context.new_page()
            response = page.goto(url + "ru/")
            assert response is not None and response.status == 404  # nothing built yet
            overlay = page.locator(OVERLAY)
            overlay.wait_for(state="visible", timeout=10000)
            assert "content/ru/nds/a.md:2: title: missing (required)" in overlay.inner_text()
        finally:
            context.close()
    assert not (project / "site").exists()
