"""The line-keeping YAML loader: values with their lines, and documents that would explode
(alias bombs, aliases into themselves, absurd nesting) refused fast with a line."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.env import ROOT

from builder.config import yaml_lines
from builder.errors import BuildError
from builder.pipeline import build


def bomb(levels: int, indent: str = "") -> str:
    """ "Billion laughs": each level is a list of nine aliases to the level below."""
    lines = [f'{indent}l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        aliases = ", ".join([f"*l{level - 1}"] * 9)
        lines.append(f"{indent}l{level}: &l{level} [{aliases}]")
    return "\n".join(lines) + "\n"


def test_values_keep_their_lines() -> None:
    parsed = yaml_lines.load("site:\n  title: Help\nlanguages: [ru, en]\n")
    assert parsed.data == {"site": {"title": "Help"}, "languages": ["ru", "en"]}
    assert parsed.line_of(("site", "title")) == 2 and parsed.line_of(("languages", 1)) == 3


def test_a_few_repeated_aliases_are_fine() -> None:
    parsed = yaml_lines.load("base: &b {name: Анна}\nanna: *b\nanya: *b\n")
    assert parsed.data["anya"] == {"name": "Анна"}


def test_an_alias_bomb_is_refused_fast_with_a_line() -> None:
    text = bomb(9)
    assert len(text) < 700  # tiny on disk, 387 million values when expanded
    started = time.perf_counter()
    with pytest.raises(yaml_lines.YamlSyntaxError) as caught:
        yaml_lines.load(text, first_line=2)
    assert time.perf_counter() - started < 5
    assert caught.value.line == 6  # the fifth level (line 5 of the text) crosses the bound
    assert "aliases repeat more than 10,000 values" in caught.value.message


def test_an_alias_into_its_own_value_is_refused() -> None:
    with pytest.raises(yaml_lines.YamlSyntaxError) as caught:
        yaml_lines.load("a: 1\nloop: &x [1, *x]\n")
    assert caught.value.line == 2 and "refers to the value that contains it" in caught.value.message


def test_absurd_nesting_is_refused() -> None:
    with pytest.raises(yaml_lines.YamlSyntaxError) as caught:
        yaml_lines.load("deep: " + "[" * 900 + "]" * 900 + "\n")
    assert "nested more than 200 levels deep" in caught.value.message


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_an_alias_bomb_in_front_matter_is_an_error_of_that_article(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPCENTER_CACHE", str(tmp_path / "cache"))
    write(tmp_path / "p/config.yml", "site: {title: Help}\nlanguages: [ru]\n")
    write(tmp_path / "p/content/ru/ok.md", "---\ntitle: Fine\n---\n")
    write(tmp_path / "p/content/ru/bomb.md", "---\ntitle: Bomb\n" + bomb(9) + "---\nText.\n")
    started = time.perf_counter()
    with pytest.raises(BuildError) as caught:
        build(tmp_path / "p/config.yml", tmp_path / "site", force=True)
    assert time.perf_counter() - started < 5
    assert [str(p) for p in caught.value.problems] == [
        "content/ru/bomb.md:7: bad YAML: aliases repeat more than 10,000 values; write the "
        "values out instead"]


def test_an_alias_bomb_in_config_is_a_config_error_within_a_memory_cap(tmp_path: Path) -> None:
    # Seven levels took 1.2 GB before; the check runs in a process capped at 512 MB of heap.
    write(tmp_path / "config.yml", "site: {title: Help}\nx:\n" + bomb(7, "  "))
    script = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_DATA, (512 << 20, 512 << 20))\n"
        "from builder.cli import main\n"
        f"sys.exit(main(['check', '--config', {str(tmp_path / 'config.yml')!r}]))\n"
    )
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert time.perf_counter() - started < 30  # a fresh interpreter and imports, then fast
    assert done.returncode == 1, done.stderr
    assert "config.yml:7: bad YAML: aliases repeat more than 10,000 values" in done.stderr
    assert "Traceback" not in done.stderr
