"""build.py as writers run it: real processes, exit codes, `path:line: message` output."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv" / "bin" / "python"

CONFIG = """\
site: {title: T}
languages: [ru, en]
authors:
  anna: {name: Анна, email: anna@example.com}
"""

BROKEN = {
    "ru/nds/_index.md": "---\ntitle: НДС\n---\n",
    "ru/nds/a.md": "---\ntitle: А\n---\n## Сроки {#sroki}\n",
    "ru/nds/no-title.md": "---\ndescription: d\n---\nТекст.\n",
    "ru/nds/who.md": "---\ntitle: Кто\nauthor: nobody\n---\n",
    "ru/nds/link.md": "---\ntitle: L\n---\n\n[нет](net.md) и [якорь](a.md#deadlines)\n",
    "en/nds/a.md": "---\ntitle: A\ncolour: red\n---\n",
}


def run(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None,
        ) -> subprocess.CompletedProcess[str]:
    python = str(PYTHON) if PYTHON.exists() else sys.executable
    return subprocess.run([python, str(ROOT / "build.py"), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Subprocesses inherit it: nothing is cached inside the repository or the copies.
    monkeypatch.setenv("HELPCENTER_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))


def write_project(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "config.yml").write_text(CONFIG, encoding="utf-8")
    for rel, text in files.items():
        target = root / "content" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root / "config.yml"


@pytest.fixture
def sample_copy(tmp_path: Path) -> Path:
    """A copy of the repository's own help center: `new` must never touch the real content/."""
    copy = tmp_path / "sample"
    copy.mkdir()
    shutil.copy(ROOT / "config.yml", copy / "config.yml")
    shutil.copytree(ROOT / "content", copy / "content")
    shutil.copytree(ROOT / "brand", copy / "brand")
    return copy


# --- help ---------------------------------------------------------------------------------------


def test_top_level_help_lists_every_command() -> None:
    done = run("--help")
    assert done.returncode == 0
    for command in ("build", "serve", "check", "new", "search", "config-reference"):
        assert re.search(rf"^\s+{command}\s", done.stdout, re.M), command


def test_no_command_prints_help_and_exits_2() -> None:
    done = run()
    assert done.returncode == 2
    assert "COMMAND" in done.stdout


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("build", ["--config", "--out", "--drafts", "--debug"]),
        ("serve", ["--config", "--out", "--host", "--port", "--no-drafts"]),
        ("check", ["--config", "--strict", "--debug"]),
        ("new", ["--config", "--title", "--author", "LANG/COLLECTION/SLUG"]),
        ("search", ["--lang", "query"]),
        ("config-reference", ["--help"]),
    ],
)
def test_each_command_has_help(command: str, options: list[str]) -> None:
    done = run(command, "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: build.py {command}")
    for option in options:
        assert option in done.stdout, option


# --- check ------------------------------------------------------------------------------------


def test_check_reports_every_problem_with_path_and_line(tmp_path: Path) -> None:
    config = write_project(tmp_path / "broken", BROKEN)
    done = run("check", "--config", str(config))
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert lines[-1] == "5 errors in 5 articles"
    assert lines[:-1] == [
        "content/en/nds/a.md:3: colour: unknown front matter field (known: author, description, "
        "draft, id, keywords, order, tags, title)",
        "content/ru/nds/link.md:5: broken anchor: #deadlines is not a heading of "
        "content/ru/nds/a.md",
        "content/ru/nds/link.md:5: broken link: net.md (no such article: net.md)",
        "content/ru/nds/no-title.md:2: title: missing (required)",
        "content/ru/nds/who.md:3: author: unknown author 'nobody' (known: anna)",
    ]
    assert done.stdout == ""


def test_check_reports_config_problems_with_the_config_path(tmp_path: Path) -> None:
    root = tmp_path / "p"
    write_project(root, BROKEN)
    (root / "config.yml").write_text("site:\n  titel: T\nlanguages: [ru, en]\n", encoding="utf-8")
    done = run("check", "--config", "config.yml", cwd=root)
    assert done.returncode == 1
    assert done.stderr.splitlines()[:2] == [
        "config.yml:1: site.title: required setting is missing",
        "config.yml:2: site.titel: unknown setting (did you mean 'site.title'?)",
    ]


def test_check_passes_on_the_sample_help_center() -> None:
    done = run("check")
    assert done.returncode == 0, done.stderr
    assert re.match(r"ok: \d+ articles, 0 warnings", done.stdout), done.stdout


def test_check_strict_counts_warnings(tmp_path: Path) -> None:
    files = {"ru/a.md": "---\ntitle: A\n---\n", "en/a.md": "---\ntitle: A\n---\n",
             "de/a.md": "---\ntitle: A\n---\n"}
    config = write_project(tmp_path / "p", files)
    relaxed = run("check", "--config", str(config))
    assert relaxed.returncode == 0
    assert "ok: 2 articles, 1 warnings" in relaxed.stdout
    strict = run("check", "--strict", "--config", str(config))
    assert strict.returncode == 1
    assert "content/de: warning: folder 'de' is not a language" in strict.stderr
    assert strict.stderr.strip().endswith("1 error in 2 articles")


# --- new ----------------------------------------------------------------------------------------


def test_new_creates_an_article_with_front_matter(sample_copy: Path) -> None:
    done = run("new", "ru/nds/test-slug", "--config", str(sample_copy / "config.yml"))
    assert done.returncode == 0, done.stderr
    created = sample_copy / "content/ru/nds/test-slug.md"
    assert done.stdout.strip() == f"created {created}"
    text = created.read_text(encoding="utf-8")
    assert text.startswith("---\ntitle: \"Test slug\"\n")
    assert "\n---\n" in text[4:]
    assert not (ROOT / "content/ru/nds/test-slug.md").exists()
    check = run("check", "--config", str(sample_copy / "config.yml"))
    assert check.returncode == 0, check.stderr


def test_new_with_title_author_and_a_new_collection(sample_copy: Path) -> None:
    done = run("new", "en/faq/billing/how-to-pay", "--title", "Paying: a how-to",
               "--author", "anna", "--config", str(sample_copy / "config.yml"))
    assert done.returncode == 0, done.stderr
    article = (sample_copy / "content/en/faq/billing/how-to-pay.md").read_text(encoding="utf-8")
    assert 'title: "Paying: a how-to"' in article
    assert "author: anna" in article
    assert (sample_copy / "content/en/faq/_index.md").read_text(encoding="utf-8").startswith(
        "---\ntitle: Faq\n")
    assert (sample_copy / "content/en/faq/billing/_index.md").is_file()
    check = run("check", "--config", str(sample_copy / "config.yml"))
    assert check.returncode == 0, check.stderr


@pytest.mark.parametrize(
    ("spec", "extra", "message"),
    [
        ("ru", [], "expected LANG/COLLECTION/SLUG"),
        ("de/nds/x", [], "'de' is not a language of"),
        ("ru/НДС/x", [], "use lowercase latin letters, digits and '-'"),
        ("ru/nds/Big_Name", [], "'Big_Name': use lowercase latin letters"),
        ("ru/nds/x", ["--author", "nobody"], "unknown author 'nobody'"),
        ("ru/nds/kak-podat-deklaraciyu", [], "already exists"),
    ],
)
def test_new_refuses_a_bad_spec(sample_copy: Path, spec: str, extra: list[str],
                                message: str) -> None:
    before = sorted(p.relative_to(sample_copy) for p in sample_copy.rglob("*"))
    done = run("new", spec, *extra, "--config", str(sample_copy / "config.yml"))
    assert done.returncode == 1
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert sorted(p.relative_to(sample_copy) for p in sample_copy.rglob("*")) == before


# --- build --------------------------------------------------------------------------------------


def test_build_into_a_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = run("build", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert re.match(rf"built \d+ pages into {re.escape(str(out))} in ", done.stdout)
    for name in ("index.html", "404.html", "robots.txt", "sitemap.xml", "_data/articles.json",
                 "ru/index.html", "en/index.html", "ru/nds/kak-podat-deklaraciyu/index.html"):
        assert (out / name).is_file(), name
    again = run("build", "--out", str(out))
    assert again.returncode == 0, again.stderr
    assert "nothing changed" in again.stdout or "0 written" in again.stdout


def test_build_with_errors_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    config = write_project(tmp_path / "broken", BROKEN)
    done = run("build", "--config", str(config), "--out", str(out))
    assert done.returncode == 1
    assert "content/ru/nds/no-title.md:2: title: missing (required)" in done.stderr
    assert done.stderr.strip().endswith("5 errors: nothing was written")
    assert "Traceback" not in done.stderr
    assert not out.exists()


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    config = write_project(tmp_path / "broken", BROKEN)
    done = run("build", "--debug", "--config", str(config), "--out", str(tmp_path / "out"))
    assert done.returncode == 1
    assert "Traceback" in done.stderr


def test_build_refuses_a_foreign_folder(tmp_path: Path) -> None:
    out = tmp_path / "home"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    done = run("build", "--out", str(out))
    assert done.returncode == 1
    assert "is not empty and was not written by this builder" in done.stderr
    assert os.listdir(out) == ["notes.txt"]


def test_config_reference_prints_markdown() -> None:
    done = run("config-reference")
    assert done.returncode == 0
    assert done.stdout.startswith("# Configuration reference")
    assert "| `site.title` |" in done.stdout


@pytest.mark.parametrize(
    "title", ["[Бета] Новая функция", "#1 совет", "@channel", '"В кавычках"', "Цена 100 # руб"]
)
def test_new_keeps_any_title_as_typed(tmp_path: Path, title: str) -> None:
    from builder import frontmatter
    from builder.config.loader import load_config
    from builder.scaffold import new_article

    config = load_config(write_project(tmp_path / "p", {"en/a.md": "---\ntitle: A\n---\n"}))
    created = new_article(config, "ru/x/s", title=title)  # what `build.py new` calls
    fm = frontmatter.split(created.read_text(encoding="utf-8"), "s.md")
    fields = frontmatter.check_fields(fm, "s.md", frontmatter.ARTICLE_FIELDS, set())
    assert fm.problems == []
    assert fields["title"] == title


# --- the README's commands with whatever `python` a newcomer has --------------------------------


def bare_python() -> str:
    """An interpreter that cannot import the project's packages, whatever is installed: the
    base Python (not the venv) with site-packages switched off, as a fresh machine's is."""
    return getattr(sys, "_base_executable", sys.executable)


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A fresh `git clone` of the repository (its committed state, no .venv, no site/)."""
    target = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(target)], check=True,
                   capture_output=True, timeout=120)
    return target


def run_bare(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    return subprocess.run([bare_python(), "-S", "build.py", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(not PYTHON.exists(), reason="no .venv here to reuse (make install makes it)")
def test_a_clean_clone_checks_with_the_system_python_through_its_venv(clone: Path) -> None:
    (clone / ".venv").symlink_to(ROOT / ".venv")  # what `make install` would have made, reused
    done = run_bare(clone, "check")
    assert done.returncode == 0, done.stderr
    assert re.match(r"ok: \d+ articles, 0 warnings", done.stdout)
    assert "Traceback" not in done.stderr


def test_a_clean_clone_without_a_venv_says_to_run_make_install(clone: Path) -> None:
    done = run_bare(clone, "check")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr  # one sentence, no traceback
    assert "run `make install`" in lines[0]
    assert "markdown-it-py" in lines[0]


def test_an_incomplete_venv_is_not_re_run_forever(tmp_path: Path) -> None:
    # A .venv whose python lacks the packages too (a half-finished install): one message.
    project = tmp_path / "p"
    shutil.copytree(ROOT / "builder", project / "builder")
    shutil.copy(ROOT / "build.py", project / "build.py")
    (project / ".venv" / "bin").mkdir(parents=True)
    wrapper = project / ".venv" / "bin" / "python"
    wrapper.write_text(f"#!/bin/sh\nexec {bare_python()} -S \"$@\"\n", encoding="utf-8")
    wrapper.chmod(0o755)
    done = run_bare(project, "check")
    assert done.returncode == 2
    assert "lacks" in done.stderr and "make install" in done.stderr
    assert "Traceback" not in done.stderr


# --- serve: the preview's own folder ------------------------------------------------------------


def test_serve_refuses_the_builds_output(sample_copy: Path) -> None:
    site = sample_copy / "site"
    done = subprocess.run([str(PYTHON) if PYTHON.exists() else sys.executable,
                           str(ROOT / "build.py"), "serve", "--config",
                           str(sample_copy / "config.yml"), "--out", str(site), "--port", "0"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "the preview never writes the build's output" in done.stderr
    assert "Traceback" not in done.stderr
    assert not site.exists()


def test_serve_refuses_a_folder_a_build_wrote(sample_copy: Path, tmp_path: Path) -> None:
    from builder.errors import BuildError
    from builder.preview_dir import preview_dir

    published = tmp_path / "public"
    assert run("build", "--config", str(sample_copy / "config.yml"),
               "--out", str(published)).returncode == 0
    before = sorted(p.relative_to(published) for p in published.rglob("*"))
    with pytest.raises(BuildError) as refused:
        preview_dir(sample_copy / "config.yml", published)
    assert "written by `build.py build`" in str(refused.value.problems[0])
    with pytest.raises(BuildError) as refused:
        preview_dir(sample_copy / "config.yml", sample_copy)  # holds site/ inside it
    assert "the build's output" in str(refused.value.problems[0])
    assert sorted(p.relative_to(published) for p in published.rglob("*")) == before


def test_serve_previews_into_its_own_folder(sample_copy: Path) -> None:
    from builder.incremental import LiveSite
    from builder.preview_dir import MARK, mark, preview_dir

    folder = preview_dir(sample_copy / "config.yml", None)
    assert folder == (sample_copy / ".preview").resolve()
    LiveSite(sample_copy / "config.yml", folder).full_build()
    mark(folder)
    assert (folder / MARK).is_file()
    assert preview_dir(sample_copy / "config.yml", None) == folder  # its own folder again
    assert ".preview/" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()


def test_build_refuses_the_previews_folder(sample_copy: Path) -> None:
    from builder.incremental import LiveSite
    from builder.preview_dir import mark, preview_dir

    folder = preview_dir(sample_copy / "config.yml", None)
    LiveSite(sample_copy / "config.yml", folder).full_build()
    mark(folder)
    done = run("build", "--config", str(sample_copy / "config.yml"), "--out", str(folder))
    assert done.returncode == 1
    assert "this is the preview's folder" in done.stderr
    assert "Traceback" not in done.stderr
