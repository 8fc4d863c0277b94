"""The golden site: the repository's own sample help center, built and compared with files checked
in under tests/builder/golden/. A change in output shows up here as a diff, not as a surprise.

The sample is copied into a fresh git repository whose single commit has a fixed date, author
and content, so dates are the same on every machine whatever the working copy's history; commit
hashes still follow the content, so they are replaced by `<commit>` before comparing.

After an intended change of output: `UPDATE_GOLDEN=1 .venv/bin/pytest tests/builder/test_golden.py`,
then read the diff of tests/builder/golden/ before committing it.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from builder.pipeline import build

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "golden"
DATE = "2025-01-15T09:00:00+00:00"
EPOCH = "1736931600"  # the same moment, for SOURCE_DATE_EPOCH
COMMIT = re.compile(r"\b[0-9a-f]{40}\b")


def git(repo: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_DATE": DATE, "GIT_COMMITTER_DATE": DATE,
           "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", "-C", str(repo), *args], env=env, check=True, capture_output=True)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("golden")
    sample = folder / "sample"
    sample.mkdir()
    shutil.copy(ROOT / "config.yml", sample / "config.yml")
    for name in ("content", "brand"):
        shutil.copytree(ROOT / name, sample / name)
    git(sample, "init", "-q", "-b", "main")
    git(sample, "config", "user.name", "Golden Writer")
    git(sample, "config", "user.email", "golden@example.com")
    git(sample, "config", "commit.gpgsign", "false")
    git(sample, "add", "-A")
    git(sample, "commit", "-q", "-m", "the sample help center")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", EPOCH)
        patch.setenv("HELPCENTER_CACHE", str(folder / "cache"))
        report = build(sample / "config.yml", folder / "site", force=True)
    assert report.project is not None and report.project.errors == []
    return folder / "site"


def main_region(html: str) -> str:
    """The page's own content: header, footer and asset names (content hashes) stay out."""
    match = re.search(r"<main\b.*?</main>", html, re.S)
    assert match, "no <main> in the page"
    return match.group(0) + "\n"


def page_main(rel: str) -> Callable[[Path], str]:
    return lambda site: main_region((site / rel).read_text(encoding="utf-8"))


def articles_json(site: Path) -> str:
    return (site / "_data" / "articles.json").read_text(encoding="utf-8")


def search_docs(lang: str) -> Callable[[Path], str]:
    """The search documents (sections with their anchors) of one language, one per line."""

    def extract(site: Path) -> str:
        lines = []
        for name in ("index.json", "body.json"):  # pages first; sections load on demand
            path = site / "_search" / lang / name
            if path.is_file():
                docs = json.loads(path.read_text(encoding="utf-8")).get("docs", [])
                lines += [f"{name}: {json.dumps(doc, ensure_ascii=False)}\n" for doc in docs]
        return "".join(lines)

    return extract


def text_of(rel: str) -> Callable[[Path], str]:
    return lambda site: (site / rel).read_text(encoding="utf-8")


CASES: dict[str, Callable[[Path], str]] = {
    "ru-home.main.html": page_main("ru/index.html"),
    "en-home.main.html": page_main("en/index.html"),
    "ru-collection-nds.main.html": page_main("ru/nds/index.html"),
    "ru-article-kak-podat-deklaraciyu.main.html": page_main(
        "ru/nds/kak-podat-deklaraciyu/index.html"),
    "en-article-kak-poluchit-vychet.main.html": page_main(
        "en/nds/vychety/kak-poluchit-vychet/index.html"),
    "articles.json": articles_json,
    "sitemap.xml": text_of("sitemap.xml"),
    "robots.txt": text_of("robots.txt"),
    "ru-search-docs.txt": search_docs("ru"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name: str, site: Path) -> None:
    actual = COMMIT.sub("<commit>", CASES[name](site))
    expected_file = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.mkdir(exist_ok=True)
        expected_file.write_text(actual, encoding="utf-8")
        return
    assert expected_file.is_file(), (
        f"tests/builder/golden/{name} is missing: create it with UPDATE_GOLDEN=1 and read it first")
    expected = expected_file.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(difflib.unified_diff(
            expected.splitlines(keepends=True), actual.splitlines(keepends=True),
            f"tests/builder/golden/{name}", f"built {name}", n=2))
        pytest.fail(
            f"the built site differs from tests/builder/golden/{name}; if the change is intended, "
            f"run `UPDATE_GOLDEN=1 .venv/bin/pytest tests/builder/test_golden.py` and review "
            "the diff."
            f"\n{diff}", pytrace=False)
