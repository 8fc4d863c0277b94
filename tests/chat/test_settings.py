"""The sidecar's settings from the environment: one list of CHAT_* variables, all read, all
documented where an admin looks."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from support.chat import write_config

from builder.config.loader import load_config
from chat_server.settings import ENVIRONMENT, ChatSettings

ROOT = Path(__file__).resolve().parents[2]


def test_every_listed_variable_reaches_its_setting(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, 8000))
    given = {var.name: f"value-of-{var.name.lower()}" for var in ENVIRONMENT}
    given["CHAT_TRUSTED_PROXIES"] = "10.0.0.1"
    settings = ChatSettings.from_config(config, env=given)
    for var in ENVIRONMENT:
        got = getattr(settings, var.field)
        expected = (given[var.name],) if var.field == "trusted_proxies" else given[var.name]
        assert got == expected, var.name


def test_the_readme_and_the_help_name_exactly_the_listed_variables() -> None:
    listed = {var.name for var in ENVIRONMENT}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert set(re.findall(r"^\| `(CHAT_[A-Z_]+)` \|", readme, re.M)) == listed
    shown = subprocess.run([sys.executable, "-m", "chat_server", "--help"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout
    assert set(re.findall(r"CHAT_[A-Z_]+", shown)) == listed


def test_topics_and_the_routes_that_name_them(tmp_path: Path) -> None:
    import pytest

    from builder.errors import ConfigError

    topics = ("  topics:\n    - {id: invoice, title: {ru: Счета, en: Invoices}}\n"
              "    - {id: bug, title: Ошибка}\n")
    groups = "  groups:\n    billing: {title: Счета}\n"
    good = write_config(tmp_path, 8000, topics + groups
                        + "  routes:\n    - {group: billing, topic: invoice}\n")
    settings = ChatSettings.from_config(load_config(good), env={"CHAT_SECRET_KEY": "k"})
    assert settings.topics == ("invoice", "bug")
    assert settings.routes == ({"group": "billing", "topic": "invoice"},)
    bad = write_config(tmp_path, 8000, topics + groups
                       + "  routes:\n    - {group: billing, topic: refunds}\n")
    with pytest.raises(ConfigError) as info:
        ChatSettings.from_config(load_config(bad), env={"CHAT_SECRET_KEY": "k"})
    assert "topic 'refunds'" in str(info.value.problems[0])
