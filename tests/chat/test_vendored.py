"""The operator page's and the widget's vendored libraries are the npm releases package.json
pins, unchanged (`make vendor` copies them), each beside its licence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.env import require

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "chat_server" / "static"
COPIES = {
    "operator/vendor/preact.mjs": "preact/dist/preact.mjs",
    "operator/vendor/preact-hooks.mjs": "preact/hooks/dist/hooks.mjs",
    "operator/vendor/LICENSE.preact": "preact/LICENSE",
    "operator/vendor/htm.mjs": "htm/dist/htm.mjs",
    "operator/vendor/LICENSE.htm": "htm/LICENSE",
    "widget/vendor/linkify.min.js": "linkifyjs/dist/linkify.min.js",
    "widget/vendor/LICENSE.linkify": "linkifyjs/LICENSE",
    "widget/vendor/emojibase-ru.json": "emojibase-data/ru/compact.json",
    "widget/vendor/emojibase-en.json": "emojibase-data/en/compact.json",
    "widget/vendor/LICENSE.emojibase": "emojibase-data/LICENSE",
}


@pytest.mark.parametrize("name", sorted(COPIES))
def test_the_vendored_file_is_the_pinned_release(name: str) -> None:
    source = ROOT / "node_modules" / COPIES[name]
    require(source.exists(), "node_modules is not installed (make test-deps)")
    package = COPIES[name].split("/")[0]
    installed = json.loads((ROOT / "node_modules" / package / "package.json").read_text())
    pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"][package]
    assert installed["version"] == pinned
    assert (STATIC / name).read_bytes() == source.read_bytes(), f"run make vendor ({name})"


def test_nothing_else_is_vendored() -> None:
    vendored = {str(p.relative_to(STATIC)) for folder in ("operator", "widget")
                for p in (STATIC / folder / "vendor").iterdir()}
    assert vendored == set(COPIES)
