"""Only the project's own files reach the site: symlinks leaving the project folder, brand paths
outside it, oversized and non-UTF-8 files are errors with a file and a line, reported together."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from builder.cli import main
from builder.config.loader import load_config
from builder.errors import BuildError, ConfigError
from builder.incremental import LiveSite
from builder.pipeline import build

ROOT = Path(__file__).resolve().parents[2]
CONFIG = "site: {title: Help}\nlanguages: [ru]\n"
SECRET = "deploy-token-7f3a9c"  # what must never show up in site/


def article(title: str, body: str = "Text.\n") -> str:
    return f"---\ntitle: {title}\n---\n{body}"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tmp/p is the project; tmp/outside holds a secret next to it, outside the project."""
    monkeypatch.setenv("HELPCENTER_CACHE", str(tmp_path / "cache"))
    root = tmp_path / "p"
    write(root / "config.yml", CONFIG)
    write(root / "content/ru/_index.md", "---\ntitle: Справка\n---\n")
    write(root / "content/ru/nds/_index.md", "---\ntitle: НДС\n---\n")
    write(root / "content/ru/nds/a.md", article("Статья"))
    write(tmp_path / "outside/secret.txt", SECRET)
    write(tmp_path / "outside/folder/secret.md", article("Secret", SECRET))
    return root


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def build_errors(root: Path, out: Path) -> list[str]:
    with pytest.raises(BuildError) as caught:
        build(root / "config.yml", out, force=True)
    return [str(p) for p in caught.value.problems]


def published(out: Path) -> str:
    """Every byte of the built site as text, to look for the secret in."""
    if not out.exists():
        return ""
    return "".join(p.read_bytes().decode("utf-8", "replace") for p in out.rglob("*")
                   if p.is_file())


def test_symlink_to_the_build_environment_is_an_error_and_not_published(
        project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEPLOY_TOKEN", SECRET)
    os.symlink("/proc/self/environ", project / "content/ru/nds/env.txt")
    write(project / "content/ru/nds/a.md", article("Статья", "[env](env.txt)\n"))
    out = tmp_path / "site"
    errors = build_errors(project, out)
    assert any(e.startswith("content/ru/nds/env.txt:1: ") and "outside the project" in e
               for e in errors), errors
    assert SECRET not in published(out)


def test_symlinked_folder_leading_outside_is_an_error_and_not_published(
        project: Path, tmp_path: Path) -> None:
    os.symlink(tmp_path / "outside/folder", project / "content/ru/leak")
    out = tmp_path / "site"
    errors = build_errors(project, out)
    assert any(e.startswith("content/ru/leak:1: ") and "outside the project" in e
               for e in errors), errors
    assert SECRET not in published(out)


def test_symlinked_article_leading_outside_is_an_error(project: Path, tmp_path: Path) -> None:
    os.symlink(tmp_path / "outside/folder/secret.md", project / "content/ru/nds/b.md")
    out = tmp_path / "site"
    errors = build_errors(project, out)
    assert any(e.startswith("content/ru/nds/b.md:1: ") for e in errors), errors
    assert SECRET not in published(out)


def test_content_folder_that_is_a_symlink_outside_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "elsewhere/ru/a.md", article("Elsewhere", SECRET))
    root = tmp_path / "p"
    write(root / "config.yml", CONFIG)
    os.symlink(tmp_path / "elsewhere", root / "content")
    out = tmp_path / "site"
    errors = build_errors(root, out)
    assert any(e.startswith("content:1: ") and "outside the project" in e for e in errors), errors
    assert SECRET not in published(out)


def test_symlinks_inside_the_project_are_followed(project: Path, tmp_path: Path) -> None:
    write(project / "shared/logo.svg", "<svg>inside</svg>")
    write(project / "shared/texts/common.md", article("Общее"))
    os.symlink("../../../shared/logo.svg", project / "content/ru/nds/logo.svg")
    os.symlink(project / "shared/texts", project / "content/ru/common")
    write(project / "content/ru/nds/a.md", article("Статья", "![logo](logo.svg)\n"))
    out = tmp_path / "site"
    report = build(project / "config.yml", out, force=True)
    assert report.project is not None and report.project.errors == []
    assert (out / "ru/nds/logo.svg").read_text() == "<svg>inside</svg>"
    assert (out / "ru/common/common/index.html").is_file()


def test_a_folder_linking_to_its_own_parent_is_an_error_not_a_hang(
        project: Path, tmp_path: Path) -> None:
    os.symlink("..", project / "content/ru/nds/loop")
    errors = build_errors(project, tmp_path / "site")
    assert any(e.startswith("content/ru/nds/loop:1: ") for e in errors), errors


@pytest.mark.parametrize("key, value", [
    ("logo", "../outside/secret.txt"),
    ("favicon", "/etc/hostname"),
    ("custom_css", "../outside/secret.txt"),
])
def test_brand_files_outside_the_project_are_config_errors(
        project: Path, key: str, value: str) -> None:
    write(project / "config.yml", f"{CONFIG}brand:\n  primary_color: '#123456'\n"
                                  f"  {key}: {value}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(project / "config.yml")
    assert [str(p) for p in caught.value.problems] == [
        f"config.yml:5: brand.{key}: {value} is outside the project folder; only files inside "
        f"it are published"]


def test_brand_file_symlinked_outside_is_a_config_error(project: Path, tmp_path: Path) -> None:
    write(project / "config.yml", f"{CONFIG}brand: {{logo: brand/logo.svg}}\n")
    (project / "brand").mkdir()
    os.symlink(tmp_path / "outside/secret.txt", project / "brand/logo.svg")
    with pytest.raises(ConfigError) as caught:
        load_config(project / "config.yml")
    assert [str(p) for p in caught.value.problems] == [
        "config.yml:3: brand.logo: brand/logo.svg is outside the project folder; only files "
        "inside it are published"]


@pytest.mark.parametrize("override", [
    "themes/assets/css/leak.css",
    "themes/templates/partials/footer.html",
    "themes/i18n/ru/site.yml",
])
def test_theme_overrides_leading_outside_are_errors(
        project: Path, tmp_path: Path, override: str) -> None:
    (project / override).parent.mkdir(parents=True)
    os.symlink(tmp_path / "outside/secret.txt", project / override)
    out = tmp_path / "site"
    errors = build_errors(project, out)
    assert any(e.startswith(f"{override}:1: ") and "outside the project" in e
               for e in errors), errors
    assert SECRET not in published(out)


def test_every_escape_is_reported_at_once(project: Path, tmp_path: Path) -> None:
    os.symlink(tmp_path / "outside/secret.txt", project / "content/ru/nds/one.txt")
    os.symlink(tmp_path / "outside/folder", project / "content/ru/two")
    (project / "themes/assets").mkdir(parents=True)
    os.symlink(tmp_path / "outside/secret.txt", project / "themes/assets/three.css")
    write(project / "content/ru/nds/bad.md", "---\ntitle: [unclosed\n---\n")
    errors = build_errors(project, tmp_path / "site")
    for where in ("content/ru/nds/one.txt:1:", "content/ru/two:1:", "themes/assets/three.css:1:",
                  "content/ru/nds/bad.md:"):
        assert any(e.startswith(where) for e in errors), (where, errors)


def test_serve_refuses_an_article_replaced_by_a_symlink_outside(
        project: Path, tmp_path: Path) -> None:
    live = LiveSite(project / "config.yml", tmp_path / "site")
    assert live.full_build().project.errors == []  # type: ignore[union-attr]
    source = project / "content/ru/nds/a.md"
    source.unlink()
    os.symlink(tmp_path / "outside/folder/secret.md", source)
    result = live.rebuild({source})
    assert any(str(p).startswith("content/ru/nds/a.md:1: ") and "outside the project" in str(p)
               for p in result.problems), result.problems
    assert SECRET not in published(tmp_path / "site")


def test_an_article_over_the_size_limit_is_an_error_not_minutes_of_rendering(
        project: Path, tmp_path: Path) -> None:
    # 20 MB of headings and text: about 40 s of markdown and gigabytes of tokens without a limit.
    write(project / "content/ru/nds/big.md", article("Big", "## Раздел\n\nТекст.\n\n" * 700_000))
    started = time.perf_counter()
    errors = build_errors(project, tmp_path / "site")
    assert time.perf_counter() - started < 5
    assert errors == ["content/ru/nds/big.md:1: article is 20 MB, over the limit of 2 MB "
                      "(build.max_article_bytes)"]


def test_the_size_limit_is_a_setting(project: Path, tmp_path: Path) -> None:
    write(project / "config.yml", CONFIG + "build: {max_article_bytes: 4096}\n")
    write(project / "content/ru/nds/_index.md", "---\ntitle: НДС\n---\n" + "Вступление. " * 500)
    errors = build_errors(project, tmp_path / "site")
    assert errors == ["content/ru/nds/_index.md:1: article is 11 KB, over the limit of "
                      "4 KB (build.max_article_bytes)"]


def test_config_that_is_not_utf8_is_a_config_error(project: Path) -> None:
    write(project / "config.yml", "site:\n  title: Справка\n".encode("cp1251"))
    with pytest.raises(ConfigError) as caught:
        load_config(project / "config.yml")
    assert [str(p) for p in caught.value.problems] == [
        "config.yml:2: not UTF-8 text (byte 0xd1 at line 2); save the file as UTF-8"]


def test_check_reports_a_non_utf8_config_without_a_traceback(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(project / "config.yml", "site: {title: Справка}\n".encode("cp1251"))
    assert main(["check", "--config", str(project / "config.yml")]) == 1
    err = capsys.readouterr().err
    assert "config.yml:1: not UTF-8 text" in err and "Traceback" not in err


def test_article_that_is_not_utf8_names_the_line(project: Path, tmp_path: Path) -> None:
    write(project / "content/ru/nds/a.md",
          "---\ntitle: Статья\n---\nПервая строка.\n".encode("cp1251"))
    write(project / "content/ru/nds/b.md", b"---\ntitle: ok\n---\n\xff\n")
    errors = build_errors(project, tmp_path / "site")
    assert errors == [
        "content/ru/nds/a.md:2: not UTF-8 text (byte 0xd1 at line 2); save the file as UTF-8",
        "content/ru/nds/b.md:4: not UTF-8 text (byte 0xff at line 4); save the file as UTF-8",
    ]


def test_theme_strings_that_are_not_utf8_are_an_error(project: Path, tmp_path: Path) -> None:
    write(project / "themes/i18n/ru/site.yml", "search: Искать\n".encode("cp1251"))
    errors = build_errors(project, tmp_path / "site")
    assert errors == ["themes/i18n/ru/site.yml:1: not UTF-8 text (byte 0xc8 at line 1); save "
                      "the file as UTF-8"]


def test_a_pipe_named_like_an_article_does_not_block_the_build(
        project: Path, tmp_path: Path) -> None:
    os.mkfifo(project / "content/ru/nds/pipe.md")
    script = ("import sys; from pathlib import Path; from builder.cli import main; "
              f"sys.exit(main(['check', '--config', {str(project / 'config.yml')!r}]))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, cwd=ROOT, env={**os.environ, "HELPCENTER_CACHE":
                                                     str(tmp_path / "cache")})
    assert done.returncode == 1
    assert "content/ru/nds/pipe.md:1: not a regular file" in done.stderr


def test_a_dangling_symlink_is_an_error_not_a_traceback(project: Path, tmp_path: Path) -> None:
    os.symlink("/nonexistent/secret.png", project / "content/ru/nds/gone.png")
    errors = build_errors(project, tmp_path / "site")
    assert errors == ["content/ru/nds/gone.png:1: leads outside the project folder (to "
                      "/nonexistent/secret.png); only files inside it are published"]


def test_an_edit_inside_a_symlinked_folder_is_built(project: Path, tmp_path: Path) -> None:
    write(project / "shared/texts/common.md", article("Общее", "Первая версия.\n"))
    os.symlink(project / "shared/texts", project / "content/ru/common")
    out = tmp_path / "site"
    build(project / "config.yml", out)
    write(project / "shared/texts/common.md", article("Общее", "Вторая версия, длиннее.\n"))
    report = build(project / "config.yml", out)  # not --force: the fingerprint must see it
    assert not report.unchanged
    assert "Вторая версия" in (out / "ru/common/common/index.html").read_text()
