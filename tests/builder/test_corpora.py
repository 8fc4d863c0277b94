"""Every shared corpus (real help centers nobody here wrote) builds with zero errors and every
article page. Each corpus is built once per session; the corpora are read-only and stay so."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from builder.pipeline import BuildReport, build

pytestmark = pytest.mark.corpus

CORPORA = ("vkcloud", "datalens", "vuejs")


def source_articles(content: Path) -> Counter[str]:
    """Articles per language counted from the files, independently of the builder: every .md
    that is not `_index.md` and does not say `draft: true`."""
    counts: Counter[str] = Counter()
    for path in content.rglob("*.md"):
        if path.name == "_index.md":
            continue
        if _is_draft(path.read_text(encoding="utf-8")):
            continue
        counts[path.relative_to(content).parts[0]] += 1
    return counts


def _is_draft(text: str) -> bool:
    if not text.startswith("---\n"):
        return False
    end = text.find("\n---\n", 3)
    if end < 0:
        return False
    try:
        fields = yaml.safe_load(text[4:end])
    except yaml.YAMLError:
        return False
    return isinstance(fields, dict) and fields.get("draft") is True


def tree_state(folder: Path) -> list[tuple[str, int, int]]:
    return sorted((p.relative_to(folder).as_posix(), p.stat().st_size, p.stat().st_mtime_ns)
                  for p in folder.rglob("*"))


@pytest.fixture(scope="session")
def built_corpus(
    corpus_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], tuple[BuildReport, Path]]:
    """Build a corpus on first use, then hand out the same build."""
    builds: dict[str, tuple[BuildReport, Path]] = {}

    def get(name: str) -> tuple[BuildReport, Path]:
        if name not in builds:
            folder = tmp_path_factory.mktemp(f"corpus-{name}")
            corpus = corpus_root / name
            before = tree_state(corpus)
            with pytest.MonkeyPatch.context() as patch:
                # a cold cache of our own: nothing may be written next to the corpora
                patch.setenv("HELPCENTER_CACHE", str(folder / "cache"))
                report = build(corpus / "config.yml", folder / "site", force=True)
            assert tree_state(corpus) == before, f"the build changed {corpus}"
            builds[name] = (report, folder / "site")
        return builds[name]

    return get


@pytest.mark.parametrize("name", CORPORA)
def test_corpus_builds_with_zero_errors(
    name: str, built_corpus: Callable[[str], tuple[BuildReport, Path]]
) -> None:
    report, site = built_corpus(name)
    assert report.project is not None
    assert [str(p) for p in report.project.errors] == []
    assert (site / "index.html").is_file()
    assert (site / "404.html").is_file()


@pytest.mark.parametrize("name", CORPORA)
def test_corpus_has_every_article_page(
    name: str, corpus_root: Path, built_corpus: Callable[[str], tuple[BuildReport, Path]]
) -> None:
    _, site = built_corpus(name)
    expected = source_articles(corpus_root / name / "content")
    manifest = json.loads((site / "_data" / "articles.json").read_text(encoding="utf-8"))
    assert Counter(row["lang"] for row in manifest) == expected
    urls = [row["url"] for row in manifest]
    assert len(set(urls)) == len(urls)
    missing = [url for url in urls if not (site / url.strip("/") / "index.html").is_file()]
    assert missing == []


@pytest.mark.parametrize("name", CORPORA)
def test_corpus_has_a_home_and_search_index_per_language(
    name: str, corpus_root: Path, built_corpus: Callable[[str], tuple[BuildReport, Path]]
) -> None:
    _, site = built_corpus(name)
    for lang in ("ru", "en"):
        assert (site / lang / "index.html").is_file()
        assert any((site / "_search" / lang).iterdir())
