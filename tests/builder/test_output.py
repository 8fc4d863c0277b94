"""The one site output: nothing outside the site, one source per path, only changes hit disk."""

from __future__ import annotations

import json
import os
from hashlib import sha256
from pathlib import Path

import pytest

from builder.output import MANIFEST, SiteOutput, check_output_dir, clear

OLD = 1_000_000_000_000_000_000  # 2001-09-09, in ns: a file the site output rewrote gets "now"


def build(out: Path, files: dict[str, str], source: str = "test") -> SiteOutput:
    site_out = SiteOutput(out)
    for rel, text in files.items():
        site_out.add(rel, text, source)
    assert site_out.problems == []
    site_out.commit()
    return site_out


def age(path: Path) -> None:
    os.utime(path, ns=(OLD, OLD))


def on_disk(out: Path) -> dict[str, str]:
    return {p.relative_to(out).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(out.rglob("*")) if p.is_file() and p.name != MANIFEST}


def test_writes_every_added_file(tmp_path: Path) -> None:
    out = tmp_path / "site"
    site_out = SiteOutput(out)
    site_out.add("index.html", "<h1>home</h1>", "home")
    site_out.add("ru/nds/x/index.html", "статья".encode(), "content/ru/nds/x.md")
    stats = site_out.commit()
    assert on_disk(out) == {"index.html": "<h1>home</h1>", "ru/nds/x/index.html": "статья"}
    assert (stats.written, stats.unchanged, stats.removed) == (2, 0, 0)
    assert stats.bytes_total == len("<h1>home</h1>") + len("статья".encode())
    assert not [p for p in out.rglob("*.tmp*")]


@pytest.mark.parametrize(
    "bad",
    ["../x.html", "/etc/passwd", "ru/../../x.html", "a/../../b", "", "ru/", MANIFEST],
)
def test_refuses_paths_outside_the_site(tmp_path: Path, bad: str) -> None:
    out = tmp_path / "site"
    site_out = SiteOutput(out)
    site_out.add(bad, "evil", "content/ru/evil.md")
    assert len(site_out.problems) == 1
    problem = site_out.problems[0]
    assert problem.path == "content/ru/evil.md"
    assert "refusing to write outside the site" in problem.message or MANIFEST in problem.message
    assert site_out.paths() == []
    assert not (tmp_path / "x.html").exists()


def test_refuses_a_symlink_that_leads_out(tmp_path: Path) -> None:
    out = tmp_path / "site"
    out.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (out / "link").symlink_to(tmp_path / "elsewhere")
    site_out = SiteOutput(out)
    site_out.add("link/x.html", "x", "content/ru/x.md")
    assert [p.message for p in site_out.problems] == [
        "refusing to write outside the site: 'link/x.html'"]


def test_refuses_two_sources_for_one_path(tmp_path: Path) -> None:
    site_out = SiteOutput(tmp_path / "site")
    site_out.add("ru/x/index.html", "first", "content/ru/x.md")
    site_out.add("ru/x/index.html", "second", "content/ru/x/_index.md")
    assert [str(p) for p in site_out.problems] == [
        "content/ru/x/_index.md: ru/x/index.html would also be written by content/ru/x.md"
    ]
    assert site_out.get("ru/x/index.html") == b"first"


def test_normalised_paths_are_one_path(tmp_path: Path) -> None:
    site_out = SiteOutput(tmp_path / "site")
    site_out.add("ru/./x/index.html", "a", "one")
    site_out.add("ru//x/index.html", "b", "two")
    assert len(site_out.problems) == 1
    assert site_out.paths() == ["ru/x/index.html"]


def test_the_same_source_may_replace_its_own_output(tmp_path: Path) -> None:
    site_out = SiteOutput(tmp_path / "site")
    site_out.add("a.html", "v1", "content/a.md")
    site_out.add("a.html", "v2", "content/a.md")
    assert site_out.problems == []
    assert site_out.get("a.html") == b"v2"


def test_unchanged_files_are_not_rewritten(tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(out, {"a.html": "same", "b.html": "old"})
    age(out / "a.html")
    age(out / "b.html")
    site_out = SiteOutput(out)
    site_out.add("a.html", "same", "test")
    site_out.add("b.html", "new", "test")
    stats = site_out.commit()
    assert (stats.written, stats.unchanged) == (1, 1)
    assert (out / "a.html").stat().st_mtime_ns == OLD
    assert (out / "b.html").stat().st_mtime_ns != OLD
    assert (out / "b.html").read_text(encoding="utf-8") == "new"


def test_a_file_removed_by_hand_is_written_again(tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(out, {"a.html": "same"})
    (out / "a.html").unlink()
    build(out, {"a.html": "same"})
    assert (out / "a.html").read_text(encoding="utf-8") == "same"


def test_stale_files_are_removed_with_their_empty_folders(tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(out, {"index.html": "i", "ru/old/deep/index.html": "x", "ru/keep/index.html": "k"})
    (out / "ru" / "keep" / "notes.txt").write_text("the admin's own file", encoding="utf-8")
    site_out = SiteOutput(out)
    site_out.add("index.html", "i", "test")
    site_out.add("ru/keep/index.html", "k", "test")
    stats = site_out.commit()
    assert stats.removed == 1
    assert not (out / "ru" / "old").exists()
    assert on_disk(out) == {"index.html": "i", "ru/keep/index.html": "k",
                            "ru/keep/notes.txt": "the admin's own file"}


def test_manifest_matches_what_was_written(tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(out, {"a.html": "a", "b/c.txt": "c"})
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert sorted(manifest) == ["a.html", "b/c.txt"]
    assert all(len(v) == 64 for v in manifest.values())


def test_copy_copies_a_file_as_it_is_at_commit(tmp_path: Path) -> None:
    picture = tmp_path / "schet.png"
    picture.write_bytes(b"\x89PNG one")
    out = tmp_path / "site"
    site_out = SiteOutput(out)
    site_out.copy("ru/oplata/schet.png", picture, "content/ru/oplata/schet.png")
    picture.write_bytes(b"\x89PNG two")
    site_out.commit()
    assert (out / "ru/oplata/schet.png").read_bytes() == b"\x89PNG two"


def test_take_recent_lists_what_was_added_since_last_time(tmp_path: Path) -> None:
    site_out = SiteOutput(tmp_path / "site")
    site_out.add("b.html", "b", "t")
    site_out.add("a.html", "a", "t")
    site_out.add("a.html", "a2", "t")
    assert site_out.take_recent() == ["a.html", "b.html"]
    assert site_out.take_recent() == []
    site_out.add("c.html", "c", "t")
    assert site_out.take_recent() == ["c.html"]


def test_flush_writes_only_changed_entries_and_keeps_the_manifest(tmp_path: Path) -> None:
    out = tmp_path / "site"
    site_out = build(out, {"a.html": "v1", "b.html": "b"})
    age(out / "b.html")
    site_out.add("a.html", "v2", "test")
    site_out.add("b.html", "b", "test")
    assert site_out.flush(["a.html", "b.html"]) == 1
    assert (out / "a.html").read_text(encoding="utf-8") == "v2"
    assert (out / "b.html").stat().st_mtime_ns == OLD
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert manifest == {"a.html": sha256(b"v2").hexdigest(), "b.html": sha256(b"b").hexdigest()}
    assert site_out.flush(["a.html"]) == 0


def test_full_build_after_an_incremental_flush_rewrites_reverted_content(tmp_path: Path) -> None:
    """serve: an edit is flushed (v2), the site output undoes it, then a full build runs (v1)."""
    out = tmp_path / "site"
    live = build(out, {"a.html": "v1", "b.html": "b"})
    live.add("a.html", "v2", "test")
    live.flush(["a.html"])
    assert (out / "a.html").read_text(encoding="utf-8") == "v2"
    build(out, {"a.html": "v1", "b.html": "b"})
    assert (out / "a.html").read_text(encoding="utf-8") == "v1"


def test_check_output_dir(tmp_path: Path) -> None:
    assert check_output_dir(tmp_path / "new") is None
    empty = tmp_path / "empty"
    empty.mkdir()
    assert check_output_dir(empty) is None
    previous = tmp_path / "previous"
    build(previous, {"index.html": "x"})
    assert check_output_dir(previous) is None
    home = tmp_path / "home"
    home.mkdir()
    (home / "thesis.docx").write_bytes(b"years of work")
    refusal = check_output_dir(home)
    assert refusal is not None and "is not empty and was not written by this builder" in refusal
    a_file = tmp_path / "file"
    a_file.write_text("x", encoding="utf-8")
    assert check_output_dir(a_file) == f"{a_file} exists and is not a folder"


def test_clear_removes_only_a_previous_build(tmp_path: Path) -> None:
    previous = tmp_path / "previous"
    build(previous, {"index.html": "x"})
    clear(previous)
    assert not previous.exists()
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine", encoding="utf-8")
    clear(foreign)
    assert (foreign / "keep.txt").is_file()


def test_staged_files_stay_aside_until_commit(tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(out, {"index.html": "old"})
    site_out = SiteOutput(out)
    site_out.add("index.html", "new", "home")
    site_out.add("ru/a/index.html", "статья", "content/ru/a.md")
    site_out.stage()
    # A reader of the served site still sees the previous build while the indexes finish.
    visible = {rel: text for rel, text in on_disk(out).items()
               if not rel.rpartition("/")[2].startswith(".")}
    assert visible == {"index.html": "old"}
    site_out.add("_search/ru/index.json", "{}", "search index (ru)")
    stats = site_out.commit()
    assert on_disk(out) == {"index.html": "new", "ru/a/index.html": "статья",
                            "_search/ru/index.json": "{}"}
    assert stats.written == 3


def test_a_discarded_stage_leaves_the_previous_site_and_no_temporary_files(
        tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(out, {"index.html": "old", "ru/a/index.html": "a"})
    site_out = SiteOutput(out)
    site_out.add("index.html", "new", "home")
    site_out.add("ru/b/index.html", "b", "content/ru/b.md")
    site_out.stage()
    site_out.discard()
    assert on_disk(out) == {"index.html": "old", "ru/a/index.html": "a"}


def test_an_entry_replaced_after_staging_is_written_with_its_new_bytes(tmp_path: Path) -> None:
    out = tmp_path / "site"
    site_out = SiteOutput(out)
    site_out.add("index.html", "first", "home")
    site_out.stage()
    site_out.add("index.html", "second", "home")
    site_out.commit()
    assert on_disk(out) == {"index.html": "second"}
