"""`build.py serve`: an edit rewrites only what it changed; previews are served with reload."""

from __future__ import annotations

import http.client
import os
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from builder.incremental import LiveSite
from builder.serve import RELOAD_PATH, RELOAD_SCRIPT, ReloadHub, make_server

CONFIG = """\
site: {title: T}
languages: [ru, en]
authors:
  anna: {name: Анна, email: anna@example.com}
"""

FILES = {
    "ru/_index.md": "---\ntitle: Справка\n---\n",
    "ru/nds/_index.md": "---\ntitle: НДС\n---\n",
    "ru/nds/a.md": "---\ntitle: Первая статья\nauthor: anna\n---\n## Сроки {#sroki}\n\nТекст А.\n",
    "ru/nds/b.md": "---\ntitle: Вторая статья\n---\nСм. [сроки](a.md#sroki).\n",
    "ru/oplata/_index.md": "---\ntitle: Оплата\n---\n",
    "ru/oplata/c.md": "---\ntitle: Третья статья\n---\nТекст В.\n",
    "en/nds/a.md": "---\ntitle: First article\n---\nText A.\n",
}

OLD = 1_000_000_000_000_000_000


def git(repo: Path, *args: str) -> None:
    date = "2024-03-01T10:00:00+00:00"
    env = {**os.environ, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date,
           "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", "-C", str(repo), *args], env=env, check=True, capture_output=True)


def make_project(root: Path) -> Path:
    root.mkdir()
    (root / "config.yml").write_text(CONFIG, encoding="utf-8")
    for rel, text in FILES.items():
        target = root / "content" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    # in git, so that the home page lists recently updated articles by title
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Test Writer")
    git(root, "config", "user.email", "writer@example.com")
    git(root, "config", "commit.gpgsign", "false")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "first")
    return root


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HELPCENTER_CACHE", str(tmp_path / "cache"))
    return make_project(tmp_path / "p")


@pytest.fixture
def live(project: Path, tmp_path: Path) -> LiveSite:
    site = LiveSite(project / "config.yml", tmp_path / "site")
    report = site.full_build()
    assert report.project is not None and report.project.errors == []
    return site


def age_everything(out: Path) -> None:
    for path in out.rglob("*"):
        if path.is_file():
            os.utime(path, ns=(OLD, OLD))


def rewritten(out: Path) -> set[str]:
    return {p.relative_to(out).as_posix() for p in out.rglob("*")
            if p.is_file() and p.stat().st_mtime_ns != OLD
            and not p.name.startswith(".helpcenter")}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def page(out: Path, rel: str) -> str:
    return (out / rel).read_text(encoding="utf-8")


def test_editing_a_body_rewrites_only_that_page_and_search(live: LiveSite, project: Path) -> None:
    out = live.out_dir
    age_everything(out)
    source = (project / "content/ru/nds/a.md").resolve()
    edit(source, "Текст А.", "Новый текст про сроки.")
    result = live.rebuild({source})
    assert not result.full
    assert result.problems == []
    assert result.pages == ["ru/nds/a/index.html"]
    assert rewritten(out) == {"ru/nds/a/index.html"}  # the page first: the writer is waiting
    assert "Новый текст про сроки." in page(out, "ru/nds/a/index.html")
    assert live.pending_search == {"ru"}
    live.refresh_search()  # then the search index of that language
    assert live.pending_search == set()
    changed = rewritten(out) - {"ru/nds/a/index.html"}
    assert changed and all(p.startswith("_search/ru/") for p in changed), changed
    assert "Новый текст про сроки." in page(out, "_search/ru/body.json") + "".join(
        p.read_text(encoding="utf-8") for p in (out / "_search/ru/text").glob("*.json"))


def test_editing_a_title_updates_collection_home_and_neighbours(
    live: LiveSite, project: Path
) -> None:
    out = live.out_dir
    assert "Первая статья" in page(out, "ru/index.html")  # listed as recently updated
    age_everything(out)
    source = (project / "content/ru/nds/a.md").resolve()
    edit(source, "title: Первая статья", "title: Переименованная статья")
    result = live.rebuild({source})
    assert not result.full and result.problems == []
    for rel in ("ru/nds/a/index.html", "ru/nds/index.html", "ru/index.html",
                "ru/nds/b/index.html", "en/nds/a/index.html"):
        assert "Переименованная статья" in page(out, rel), rel
        assert "Первая статья" not in page(out, rel), rel
    changed = rewritten(out)
    assert "ru/oplata/c/index.html" not in changed
    assert "ru/oplata/index.html" not in changed


def test_adding_a_file_is_a_full_rebuild(live: LiveSite, project: Path) -> None:
    new = project / "content/ru/oplata/d.md"
    new.write_text("---\ntitle: Новая статья\n---\nТекст.\n", encoding="utf-8")
    result = live.rebuild({new.resolve()})
    assert result.full
    assert "Новая статья" in page(live.out_dir, "ru/oplata/d/index.html")
    assert "Новая статья" in page(live.out_dir, "ru/oplata/index.html")


def test_removing_a_file_is_a_full_rebuild(live: LiveSite, project: Path) -> None:
    gone = (project / "content/ru/oplata/c.md").resolve()
    gone.unlink()
    result = live.rebuild({gone})
    assert result.full
    assert not (live.out_dir / "ru/oplata/c").exists()


def test_an_edit_with_an_error_changes_nothing(live: LiveSite, project: Path) -> None:
    out = live.out_dir
    age_everything(out)
    source = (project / "content/ru/nds/b.md").resolve()
    edit(source, "a.md#sroki", "a.md#deadlines")
    result = live.rebuild({source})
    assert [str(p) for p in result.problems] == [
        "content/ru/nds/b.md:4: broken anchor: #deadlines is not a heading of "
        "content/ru/nds/a.md"]
    assert rewritten(out) == set()
    edit(source, "a.md#deadlines", "a.md#sroki")
    assert live.rebuild({source}).problems == []


def test_editor_noise_is_ignored(live: LiveSite, project: Path) -> None:
    out = live.out_dir
    age_everything(out)
    swap = project / "content/ru/nds/.a.md.swp"
    swap.write_text("x", encoding="utf-8")
    result = live.rebuild({swap.resolve(), (project / "content/ru/nds/a.md~").resolve()})
    assert (result.full, result.pages) == (False, [])
    assert rewritten(out) == set()


def test_incremental_then_full_build_matches_a_fresh_build(
    live: LiveSite, project: Path, tmp_path: Path
) -> None:
    source = (project / "content/ru/nds/a.md").resolve()
    edit(source, "title: Первая статья", "title: Другая статья")
    live.rebuild({source})
    edit(source, "title: Другая статья", "title: Первая статья")  # reverted
    live.rebuild({source})
    fresh = LiveSite(project / "config.yml", tmp_path / "fresh")
    fresh.full_build()
    for path in sorted(fresh.out_dir.rglob("*")):
        if path.is_file() and not path.name.startswith(".helpcenter"):
            rel = path.relative_to(fresh.out_dir)
            assert (live.out_dir / rel).read_bytes() == path.read_bytes(), rel


# --- the preview server -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSite]:
    """One build shared by the server tests, which only read it."""
    folder = tmp_path_factory.mktemp("served")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HELPCENTER_CACHE", str(folder / "cache"))
        site = LiveSite(make_project(folder / "p") / "config.yml", folder / "site")
        site.full_build()
    yield site


@pytest.fixture(scope="module")
def server(built: LiveSite) -> Iterator[tuple[str, ReloadHub]]:
    hub = ReloadHub()
    httpd = make_server(built.out_dir, "127.0.0.1", 0, hub)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}", hub
    finally:
        httpd.shutdown()
        httpd.server_close()


def fetch(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


def test_pages_are_served_with_the_reload_script(
    server: tuple[str, ReloadHub], built: LiveSite
) -> None:
    base, _ = server
    status, kind, body = fetch(base + "/ru/nds/a/")
    assert status == 200
    assert kind == "text/html; charset=utf-8"
    assert body.count(RELOAD_SCRIPT) == 1
    assert body.index(RELOAD_SCRIPT) < body.rindex(b"</body>")
    on_disk = (built.out_dir / "ru/nds/a/index.html").read_bytes()
    assert RELOAD_SCRIPT not in on_disk  # injected while serving, never written
    assert body.replace(RELOAD_SCRIPT, b"") == on_disk


def test_missing_pages_get_the_404_page(server: tuple[str, ReloadHub], built: LiveSite) -> None:
    base, _ = server
    status, kind, body = fetch(base + "/ru/no-such-page/")
    assert status == 404
    assert kind == "text/html; charset=utf-8"
    assert body.replace(RELOAD_SCRIPT, b"") == (built.out_dir / "404.html").read_bytes()


def test_folders_redirect_to_their_slash_form(server: tuple[str, ReloadHub]) -> None:
    base, _ = server
    connection = http.client.HTTPConnection(base.removeprefix("http://"), timeout=10)
    connection.request("GET", "/ru/nds/a")
    response = connection.getresponse()
    assert response.status == 301
    assert response.getheader("Location") == "/ru/nds/a/"
    connection.close()


def test_assets_are_served_as_they_are(server: tuple[str, ReloadHub], built: LiveSite) -> None:
    base, _ = server
    status, _, body = fetch(base + "/robots.txt")
    assert status == 200
    assert body == (built.out_dir / "robots.txt").read_bytes()


def test_search_page_with_a_shared_query_is_served(server: tuple[str, ReloadHub]) -> None:
    base, _ = server
    status, kind, body = fetch(base + "/ru/search/?q=%D0%BD%D0%B4%D1%81")
    assert status == 200
    assert kind == "text/html; charset=utf-8"
    assert RELOAD_SCRIPT in body


def test_nothing_outside_the_site_is_served(server: tuple[str, ReloadHub], built: LiveSite) -> None:
    base, _ = server
    secret = built.out_dir.parent / "secret.txt"
    secret.write_text("not for readers", encoding="utf-8")
    connection = http.client.HTTPConnection(base.removeprefix("http://"), timeout=10)
    connection.request("GET", "/../secret.txt")
    response = connection.getresponse()
    body = response.read()
    connection.close()
    assert response.status == 404
    assert b"not for readers" not in body


def test_open_pages_hear_about_a_rebuild(server: tuple[str, ReloadHub]) -> None:
    base, hub = server
    stop = threading.Event()

    def keep_bumping() -> None:  # the stream may start listening just after a bump
        while not stop.wait(0.1):
            hub.bump()

    with urllib.request.urlopen(base + RELOAD_PATH, timeout=10) as response:
        assert response.headers["Content-Type"] == "text/event-stream"
        bumper = threading.Thread(target=keep_bumping, daemon=True)
        bumper.start()
        started = time.monotonic()
        try:
            line = response.readline()
        finally:
            stop.set()
            bumper.join()
    assert line == b"data: reload\n"
    assert time.monotonic() - started < 5


def test_removing_a_heading_that_another_page_links_to_is_reported(
    live: LiveSite, project: Path
) -> None:
    source = (project / "content/ru/nds/a.md").resolve()
    edit(source, "## Сроки {#sroki}", "## Другое")
    result = live.rebuild({source})
    assert [str(p) for p in result.problems] == [
        "content/ru/nds/b.md:4: broken anchor: #sroki is not a heading of content/ru/nds/a.md"]


def test_incremental_rebuild_leaves_the_same_site_as_a_full_build(
    live: LiveSite, project: Path, tmp_path: Path
) -> None:
    source = (project / "content/ru/nds/a.md").resolve()
    edit(source, "title: Первая статья", "title: Переименованная статья")
    edit(source, "Текст А.", "Новый текст.")
    assert not live.rebuild({source}).full
    live.refresh_search()
    fresh = LiveSite(project / "config.yml", tmp_path / "fresh")
    fresh.full_build()
    differ = [path.relative_to(fresh.out_dir).as_posix()
              for path in sorted(fresh.out_dir.rglob("*"))
              if path.is_file() and not path.name.startswith(".helpcenter")
              and (live.out_dir / path.relative_to(fresh.out_dir)).read_bytes()
              != path.read_bytes()]
    assert differ == []


def test_editing_a_collection_title_updates_its_pages_without_a_full_build(
    live: LiveSite, project: Path, tmp_path: Path
) -> None:
    source = (project / "content/ru/nds/_index.md").resolve()
    edit(source, "title: НДС", "title: Налог на добавленную стоимость")
    result = live.rebuild({source})
    assert not result.full and result.problems == []
    out = live.out_dir
    assert "Налог на добавленную стоимость" in page(out, "ru/nds/index.html")
    assert "Налог на добавленную стоимость" in page(out, "ru/index.html")  # its card
    assert "Налог на добавленную стоимость" in page(out, "ru/nds/a/index.html")  # breadcrumbs
    assert "Налог на добавленную стоимость" not in page(out, "ru/oplata/c/index.html")
    # and the result is what a full build of the same files gives
    fresh = LiveSite(project / "config.yml", tmp_path / "fresh")
    fresh.full_build()
    for rel in ("ru/nds/index.html", "ru/index.html", "ru/nds/a/index.html", "_data/articles.json"):
        assert page(out, rel) == page(fresh.out_dir, rel), rel


def test_a_collection_body_edit_rewrites_only_the_collection_page(
    live: LiveSite, project: Path
) -> None:
    source = (project / "content/ru/oplata/_index.md").resolve()
    age_everything(live.out_dir)
    source.write_text("---\ntitle: Оплата\n---\nКак платить за сервис.\n", encoding="utf-8")
    result = live.rebuild({source})
    assert not result.full
    assert rewritten(live.out_dir) == {"ru/oplata/index.html"}
    assert "Как платить за сервис." in page(live.out_dir, "ru/oplata/index.html")


def test_a_language_home_edit_rewrites_only_that_home_page(
    live: LiveSite, project: Path, tmp_path: Path
) -> None:
    source = (project / "content/ru/_index.md").resolve()
    age_everything(live.out_dir)
    source.write_text("---\ntitle: Справочный центр\ndescription: Ответы бухгалтеру\n---\n"
                      "Здесь [сроки](nds/a.md#sroki) и **всё** о налогах.\n", encoding="utf-8")
    result = live.rebuild({source})
    assert not result.full and result.problems == []
    assert rewritten(live.out_dir) == {"ru/index.html"}
    home = page(live.out_dir, "ru/index.html")
    assert "Справочный центр" in home and "<strong>всё</strong>" in home
    fresh = LiveSite(project / "config.yml", tmp_path / "fresh")
    fresh.full_build()
    assert home == page(fresh.out_dir, "ru/index.html")


def test_a_broken_link_in_a_language_home_is_reported_and_changes_nothing(
    live: LiveSite, project: Path
) -> None:
    source = (project / "content/ru/_index.md").resolve()
    before = page(live.out_dir, "ru/index.html")
    source.write_text("---\ntitle: Справка\n---\nСм. [статью](nds/gone.md).\n", encoding="utf-8")
    result = live.rebuild({source})
    assert not result.full
    assert [p.line for p in result.problems if not p.warning] == [4]
    assert page(live.out_dir, "ru/index.html") == before
