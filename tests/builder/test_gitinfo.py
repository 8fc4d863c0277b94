"""Last-updated dates and commits from one `git log` pass, in real repositories."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from builder.gitinfo import parse_log, read_history

D1 = "2024-03-01T10:00:00+00:00"
D2 = "2024-04-15T12:30:00+00:00"
D3 = "2024-05-20T08:00:00+03:00"


def git(repo: Path, *args: str, date: str = D1) -> str:
    env = {**os.environ, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date,
           "GIT_CONFIG_NOSYSTEM": "1"}
    done = subprocess.run(["git", "-C", str(repo), *args], env=env, check=True,
                          capture_output=True, text=True)
    return done.stdout.strip()


def init_repo(repo: Path) -> Path:
    repo.mkdir(parents=True, exist_ok=True)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "Test Writer")
    git(repo, "config", "user.email", "writer@example.com")
    git(repo, "config", "commit.gpgsign", "false")
    return repo


def commit(repo: Path, message: str, date: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message, date=date)
    return git(repo, "rev-parse", "HEAD")


def write(repo: Path, rel: str, text: str) -> None:
    target = repo / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def at(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp).astimezone(UTC)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return init_repo(tmp_path / "repo")


def test_last_commit_touching_each_file(repo: Path) -> None:
    write(repo, "content/ru/a.md", "a1")
    write(repo, "content/ru/b.md", "b1")
    first = commit(repo, "add a and b", D1)
    write(repo, "content/ru/a.md", "a2")
    second = commit(repo, "edit a", D2)
    history = read_history(repo)
    assert history is not None
    a, b = history.info("content/ru/a.md"), history.info("content/ru/b.md")
    assert a is not None and b is not None
    assert (a.commit, a.updated) == (second, at(D2))
    assert (b.commit, b.updated) == (first, at(D1))
    assert a.updated.tzinfo is not None
    assert history.gone == {}


def test_dates_are_the_commit_dates_in_utc(repo: Path) -> None:
    write(repo, "x.md", "x")
    commit(repo, "x", D3)
    history = read_history(repo)
    assert history is not None
    info = history.info("x.md")
    assert info is not None
    assert info.updated == datetime(2024, 5, 20, 5, 0, tzinfo=UTC)


def test_renamed_file_is_gone_to_its_new_path(repo: Path) -> None:
    write(repo, "content/ru/old.md", "a long enough text that git sees the rename\n" * 5)
    commit(repo, "add", D1)
    git(repo, "mv", "content/ru/old.md", "content/ru/new.md")
    moved = commit(repo, "move", D2)
    history = read_history(repo)
    assert history is not None
    assert history.gone == {"content/ru/old.md": "content/ru/new.md"}
    assert history.info("content/ru/old.md") is None
    new = history.info("content/ru/new.md")
    assert new is not None and new.commit == moved


def test_deleted_file_is_gone_with_no_new_path(repo: Path) -> None:
    write(repo, "content/ru/keep.md", "keep")
    write(repo, "content/ru/drop.md", "drop")
    commit(repo, "add", D1)
    git(repo, "rm", "-q", "content/ru/drop.md")
    commit(repo, "drop", D2)
    history = read_history(repo)
    assert history is not None
    assert history.gone == {"content/ru/drop.md": None}
    assert history.info("content/ru/drop.md") is None
    assert history.info("content/ru/keep.md") is not None


def test_a_file_deleted_then_added_again_is_not_gone(repo: Path) -> None:
    write(repo, "a.md", "one")
    commit(repo, "add", D1)
    git(repo, "rm", "-q", "a.md")
    commit(repo, "remove", D2)
    write(repo, "a.md", "back again")
    back = commit(repo, "restore", D3)
    history = read_history(repo)
    assert history is not None
    assert history.gone == {}
    info = history.info("a.md")
    assert info is not None and info.commit == back


def test_paths_are_relative_to_the_project_inside_a_bigger_repository(repo: Path) -> None:
    write(repo, "docs/help/content/ru/статья.md", "кириллица в имени")
    write(repo, "src/app.py", "print()")
    sha = commit(repo, "add", D1)
    history = read_history(repo / "docs" / "help")
    assert history is not None
    assert set(history.latest) == {"content/ru/статья.md"}
    info = history.info("content/ru/статья.md")
    assert info is not None and info.commit == sha


def test_uncommitted_files_have_no_history(repo: Path) -> None:
    write(repo, "committed.md", "x")
    commit(repo, "add", D1)
    write(repo, "new.md", "not yet committed")
    history = read_history(repo)
    assert history is not None
    assert history.info("new.md") is None
    assert history.info("committed.md") is not None


def test_empty_repository_has_empty_history(repo: Path) -> None:
    history = read_history(repo)
    assert history is None or (history.latest == {} and history.gone == {})


def test_outside_git_there_is_no_history_and_no_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "a.md").write_text("a", encoding="utf-8")
    assert read_history(folder) is None


def test_without_git_installed_there_is_no_history(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(repo, "a.md", "a")
    commit(repo, "add", D1)
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert read_history(repo) is None


def test_parse_log_newest_first_event_wins() -> None:
    rs, fs = "\x1e", "\x1f"
    log = (
        f"{rs}c3{fs}300\n\nR100\tb.md\tc.md\nD\td.md\n"
        f"{rs}c2{fs}200\n\nM\ta.md\nA\td.md\n"
        f"{rs}c1{fs}100\n\nA\ta.md\nA\tb.md\n"
    )
    history = parse_log(log)
    assert {k: v.commit for k, v in history.latest.items()} == {"a.md": "c2", "c.md": "c3"}
    assert history.gone == {"b.md": "c.md", "d.md": None}
    assert history.latest["a.md"].updated == datetime.fromtimestamp(200, tz=UTC)
