"""docs/configuration.md is generated from the one settings list and must not drift from it."""

from __future__ import annotations

import difflib

from support.env import ROOT

from builder.config.reference import reference_markdown
from builder.config.settings import SETTINGS

DOC = ROOT / "docs" / "configuration.md"


def test_configuration_reference_is_up_to_date() -> None:
    expected = reference_markdown()
    actual = DOC.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(difflib.unified_diff(
            actual.splitlines(keepends=True), expected.splitlines(keepends=True),
            "docs/configuration.md", "reference_markdown()"))
        raise AssertionError(
            "docs/configuration.md is out of date with builder/config/settings.py: regenerate it "
            "with "
            f"`make docs`.\n{diff}")


def test_every_setting_is_documented_once() -> None:
    text = reference_markdown()
    for setting in SETTINGS:
        assert text.count(f"| `{setting.key}` |") == 1, setting.key
    assert "| `site.title` | text, or {lang: text} | required |" in text
