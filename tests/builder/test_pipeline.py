"""The whole build on small real projects: everything checked first, then written, reproducibly."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from builder.errors import BuildError, ContentError
from builder.output import MANIFEST
from builder.pipeline import build, build_time
from builder.project import cache_dir, load_project
from builder.search import job as search_job

CONFIG = """\
site: {title: T}
languages: [ru, en]
authors:
  anna: {name: Анна, email: anna@example.com}
"""

GOOD = {
    "ru/_index.md": "---\ntitle: Справка\n---\nПривет.\n",
    "ru/nds/_index.md": "---\ntitle: НДС\n---\n",
    "ru/nds/a.md": "---\ntitle: А\nauthor: anna\n---\n## Сроки {#sroki}\n\nТекст.\n",
    "ru/nds/b.md": "---\ntitle: Б\n---\nСм. [сроки](a.md#sroki).\n",
    "ru/nds/pic.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
    "en/nds/_index.md": "---\ntitle: VAT\n---\n",
    "en/nds/a.md": "---\ntitle: A\n---\n## Deadlines {#sroki}\n\n![pic](../../ru/nds/pic.svg)\n",
}

DATE = "2024-03-01T10:00:00+00:00"


def write_files(root: Path, files: dict[str, str], config: str = CONFIG) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "config.yml").write_text(config, encoding="utf-8")
    for rel, text in files.items():
        target = root / "content" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root / "config.yml"


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_DATE": DATE, "GIT_COMMITTER_DATE": DATE,
           "GIT_CONFIG_NOSYSTEM": "1"}
    done = subprocess.run(["git", "-C", str(repo), *args], env=env, check=True,
                          capture_output=True, text=True)
    return done.stdout.strip()


def init_repo(repo: Path) -> None:
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "Test Writer")
    git(repo, "config", "user.email", "writer@example.com")
    git(repo, "config", "commit.gpgsign", "false")


def commit_all(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def contents(folder: Path) -> dict[str, bytes]:
    return {k: v[0] for k, v in snapshot(folder).items()}


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("HELPCENTER_CACHE", str(cache))
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    return cache


# --- load_project -------------------------------------------------------------------------------


def test_a_clean_project_loads_without_problems(tmp_path: Path) -> None:
    project = load_project(write_files(tmp_path / "p", GOOD))
    assert project.errors == []
    assert project.history is None  # not in git: no dates, no error
    ru = project.sites["ru"]
    assert [a.url for a in ru.articles] == ["/ru/nds/a/", "/ru/nds/b/"]
    assert all(a.git is None for a in ru.articles)
    assert 'href="../../../ru/nds/a/#sroki"' in ru.articles[1].body_html
    assert [h.anchor for h in ru.articles[0].headings] == ["sroki"]
    assert ru.intro_html == "<p>Привет.</p>\n"


def test_git_dates_and_commits_reach_the_articles(tmp_path: Path) -> None:
    root = tmp_path / "p"
    write_files(root, GOOD)
    init_repo(root)
    sha = commit_all(root, "first")
    project = load_project(root / "config.yml")
    article = project.sites["ru"].articles[0]
    assert article.git is not None
    assert article.git.commit == sha
    assert article.git.updated.isoformat() == "2024-03-01T10:00:00+00:00"


def test_translation_whose_original_was_deleted_is_an_error(tmp_path: Path) -> None:
    root = tmp_path / "p"
    write_files(root, GOOD)
    init_repo(root)
    commit_all(root, "first")
    git(root, "rm", "-q", "content/ru/nds/a.md")
    (root / "content/ru/nds/b.md").write_text("---\ntitle: Б\n---\nТекст.\n", encoding="utf-8")
    commit_all(root, "drop a")
    project = load_project(root / "config.yml")
    assert [str(p) for p in project.errors] == [
        "content/en/nds/a.md:1: translation whose original is gone: content/ru/nds/a.md was "
        "deleted; delete or re-home the translation"
    ]


def test_translation_whose_original_was_moved_is_an_error(tmp_path: Path) -> None:
    root = tmp_path / "p"
    write_files(root, GOOD)
    init_repo(root)
    commit_all(root, "first")
    (root / "content/ru/nds/b.md").write_text("---\ntitle: Б\n---\nТекст.\n", encoding="utf-8")
    (root / "content/ru/nalogi").mkdir()
    git(root, "mv", "content/ru/nds/a.md", "content/ru/nalogi/a.md")
    commit_all(root, "move a")
    project = load_project(root / "config.yml")
    assert [str(p) for p in project.errors] == [
        "content/en/nds/a.md:1: translation whose original is gone: content/ru/nds/a.md was "
        "moved to content/ru/nalogi/a.md; move the translation too"
    ]


def test_an_original_that_came_back_is_not_gone(tmp_path: Path) -> None:
    root = tmp_path / "p"
    write_files(root, GOOD)
    init_repo(root)
    commit_all(root, "first")
    original = (root / "content/ru/nds/a.md").read_text(encoding="utf-8")
    git(root, "rm", "-q", "content/ru/nds/a.md")
    commit_all(root, "drop a")
    (root / "content/ru/nds/a.md").write_text(original, encoding="utf-8")
    project = load_project(root / "config.yml")  # restored but not committed yet
    assert project.errors == []


SEEDED = {
    **GOOD,
    # line 2: the title is missing
    "ru/nds/no-title.md": "---\ndescription: без заголовка\n---\nТекст.\n",
    # line 4: unknown author
    "ru/nds/who.md": "---\ntitle: Кто\n\nauthor: nobody\n---\nТекст.\n",
    # line 7: broken link
    "ru/nds/link.md": "---\ntitle: Ссылка\n---\n\nАбзац.\n\nСм. [нет](net-takoj.md).\n",
    # line 6: broken anchor
    "ru/nds/anchor.md": "---\ntitle: Якорь\n---\nАбзац.\n\n[сроки](a.md#deadlines)\n",
    # line 1: the id is already used by a.md
    "ru/nds/dup.md": "---\ntitle: Дубль\nid: nds/a\n---\nТекст.\n",
    # line 3: bad YAML
    "en/nds/yaml.md": "---\ntitle: Y\ndescription: a: b\n---\nText.\n",
}

EXPECTED = [
    "content/en/nds/yaml.md:3: bad YAML",
    "content/ru/nds/anchor.md:6: broken anchor: #deadlines is not a heading of "
    "content/ru/nds/a.md",
    "content/ru/nds/dup.md:1: id: 'nds/a' is already used by content/ru/nds/a.md",
    "content/ru/nds/link.md:7: broken link: net-takoj.md (no such article: net-takoj.md)",
    "content/ru/nds/no-title.md:2: title: missing (required)",
    "content/ru/nds/who.md:4: author: unknown author 'nobody' (known: anna)",
]


def assert_seeded(messages: list[str]) -> None:
    for expected in EXPECTED:
        assert any(m.startswith(expected) for m in messages), (expected, messages)
    seeded_files = {e.split(":", 1)[0] for e in EXPECTED}
    assert {m.split(":", 1)[0] for m in messages} == seeded_files, messages


def test_several_seeded_errors_are_reported_at_once(tmp_path: Path) -> None:
    project = load_project(write_files(tmp_path / "p", SEEDED))
    assert_seeded([str(p) for p in project.errors])


def test_build_reports_all_errors_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "site"
    with pytest.raises(ContentError) as caught:
        build(write_files(tmp_path / "p", SEEDED), out)
    assert_seeded([str(p) for p in caught.value.problems])
    assert not out.exists()


def test_failed_build_leaves_the_previous_site_intact(tmp_path: Path) -> None:
    config = write_files(tmp_path / "p", GOOD)
    out = tmp_path / "site"
    report = build(config, out)
    assert report.pages > 0
    before = snapshot(out)
    assert "ru/nds/a/index.html" in before
    (tmp_path / "p/content/ru/nds/a.md").write_text(
        "---\ntitle: А\nauthor: nobody\n---\n## Сроки {#sroki}\n\n[ссылка](gone.md).\n",
        encoding="utf-8")
    (tmp_path / "p/content/ru/nds/new.md").write_text("---\ntitle: New\n---\n", encoding="utf-8")
    with pytest.raises(BuildError) as caught:
        build(config, out)
    assert len(caught.value.problems) == 2
    assert snapshot(out) == before


def test_a_build_failing_after_pages_were_staged_leaves_the_previous_site(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Pages are written aside while the search indexes finish; if indexing then fails,
    # the reader must still see the whole previous build and no half-written files.
    config = write_files(tmp_path / "p", GOOD)
    out = tmp_path / "site"
    build(config, out)
    before = snapshot(out)
    (tmp_path / "p/content/ru/nds/b.md").write_text("---\ntitle: Б2\n---\nНовый.\n",
                                                    encoding="utf-8")

    def broken_index(project: object, lang: str) -> list[tuple[str, bytes, str]]:
        raise RuntimeError("the search index could not be built")

    monkeypatch.setattr(search_job, "search_files", broken_index)
    with pytest.raises(RuntimeError):
        build(config, out)
    assert snapshot(out) == before


def test_refuses_to_build_into_a_foreign_folder(tmp_path: Path) -> None:
    out = tmp_path / "home"
    out.mkdir()
    (out / "thesis.docx").write_bytes(b"years of work")
    with pytest.raises(BuildError) as caught:
        build(write_files(tmp_path / "p", GOOD), out)
    assert "was not written by this builder" in caught.value.problems[0].message
    assert [p.name for p in out.iterdir()] == ["thesis.docx"]


def test_two_builds_of_the_same_input_are_byte_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_files(tmp_path / "p", GOOD)
    build(config, tmp_path / "one")
    monkeypatch.setenv("HELPCENTER_CACHE", str(tmp_path / "another-cache"))  # both cold
    build(config, tmp_path / "two")
    one, two = contents(tmp_path / "one"), contents(tmp_path / "two")
    assert sorted(one) == sorted(two)
    for name in one:
        assert one[name] == two[name], name


def test_rebuild_without_changes_writes_nothing(tmp_path: Path) -> None:
    config = write_files(tmp_path / "p", GOOD)
    out = tmp_path / "site"
    first = build(config, out)
    before = snapshot(out)
    second = build(config, out)
    forced = build(config, out, force=True)
    assert first.stats.written > 0
    assert second.stats.written == 0
    assert forced.stats.written == 0
    assert forced.stats.unchanged == first.stats.written
    assert forced.stats.removed == 0
    after = snapshot(out)
    del before[MANIFEST], after[MANIFEST]  # the writer's own bookkeeping
    assert after == before  # same bytes AND same mtimes: nothing was rewritten


def test_removed_article_disappears_from_the_site(tmp_path: Path) -> None:
    config = write_files(tmp_path / "p", GOOD)
    out = tmp_path / "site"
    build(config, out)
    (tmp_path / "p/content/ru/nds/b.md").unlink()
    report = build(config, out)
    assert report.stats.removed >= 1
    assert not (out / "ru/nds/b").exists()


def test_assets_next_to_articles_are_copied(tmp_path: Path) -> None:
    config = write_files(tmp_path / "p", GOOD)
    build(config, tmp_path / "site")
    assert (tmp_path / "site/ru/nds/pic.svg").read_bytes() == GOOD["ru/nds/pic.svg"].encode()
    page = (tmp_path / "site/en/nds/a/index.html").read_text(encoding="utf-8")
    assert 'src="../../../ru/nds/pic.svg"' in page


def test_drafts_are_built_only_when_asked(tmp_path: Path) -> None:
    files = {**GOOD, "ru/nds/wip.md": "---\ntitle: WIP\ndraft: true\n---\n"}
    config = write_files(tmp_path / "p", files)
    build(config, tmp_path / "plain")
    build(config, tmp_path / "drafts", include_drafts=True)
    assert not (tmp_path / "plain/ru/nds/wip").exists()
    assert (tmp_path / "drafts/ru/nds/wip/index.html").is_file()


# --- the markdown cache ------------------------------------------------------------------------


def test_warm_cache_gives_the_same_site_as_a_cold_build(
    tmp_path: Path, private_cache: Path
) -> None:
    config = write_files(tmp_path / "p", GOOD)
    build(config, tmp_path / "cold")
    assert (private_cache / "markdown.pickle").is_file()
    assert not (tmp_path / "p" / ".cache").exists()
    build(config, tmp_path / "warm")
    assert contents(tmp_path / "warm") == contents(tmp_path / "cold")


def test_cache_does_not_hide_a_link_broken_by_another_file(tmp_path: Path) -> None:
    config = write_files(tmp_path / "p", GOOD)
    assert load_project(config).errors == []
    (tmp_path / "p/content/ru/nds/a.md").unlink()
    (tmp_path / "p/content/en/nds/a.md").unlink()
    messages = [str(p) for p in load_project(config).errors]
    assert messages == ["content/ru/nds/b.md:4: broken link: a.md (no such article: a.md)"]


def test_cache_does_not_hide_an_anchor_removed_from_another_file(tmp_path: Path) -> None:
    config = write_files(tmp_path / "p", GOOD)
    assert load_project(config).errors == []
    (tmp_path / "p/content/ru/nds/a.md").write_text("---\ntitle: А\n---\n## Другое\n",
                                                    encoding="utf-8")
    messages = [str(p) for p in load_project(config).errors]
    assert messages == ["content/ru/nds/b.md:4: broken anchor: #sroki is not a heading of "
                        "content/ru/nds/a.md"]


def test_a_broken_cache_file_is_just_a_cold_build(tmp_path: Path, private_cache: Path) -> None:
    config = write_files(tmp_path / "p", GOOD)
    private_cache.mkdir()
    (private_cache / "markdown.pickle").write_bytes(b"not a pickle")
    build(config, tmp_path / "site")
    build(config, tmp_path / "clean")
    assert contents(tmp_path / "site") == contents(tmp_path / "clean")


def test_cache_dir_defaults_next_to_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from builder.config.loader import load_config

    monkeypatch.delenv("HELPCENTER_CACHE")
    config = load_config(write_files(tmp_path / "p", GOOD))
    assert cache_dir(config) == config.root / ".cache"
    monkeypatch.setenv("HELPCENTER_CACHE", str(tmp_path / "elsewhere"))
    assert cache_dir(config) == tmp_path / "elsewhere"


def test_build_time_comes_only_from_source_date_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    assert build_time() is None
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    stamp = build_time()
    assert stamp is not None and stamp.isoformat() == "2023-11-14T22:13:20+00:00"


def test_heading_anchor_label_is_in_the_language_of_the_page(tmp_path: Path) -> None:
    project = load_project(write_files(tmp_path / "p", GOOD))
    body = project.sites["ru"].articles[0].body_html
    assert 'class="heading-anchor"' in body
    assert "Ссылка на этот раздел" in body


SEARCH_CLASH = {**GOOD, "ru/search.md": "---\ntitle: Поиск по сайту\n---\nКак искать.\n"}


def test_build_refuses_an_article_where_the_search_page_goes(tmp_path: Path) -> None:
    out = tmp_path / "site"
    with pytest.raises(BuildError) as caught:
        build(write_files(tmp_path / "p", SEARCH_CLASH), out)
    [problem] = caught.value.problems
    assert problem.path == "content/ru/search.md"
    assert problem.message == (
        "URL /ru/search/ is taken by the search page; rename this file or folder")
    assert not out.exists()


def test_check_sees_an_article_where_the_search_page_goes(tmp_path: Path) -> None:
    project = load_project(write_files(tmp_path / "p", SEARCH_CLASH))
    assert [p.path for p in project.errors] == ["content/ru/search.md"]
