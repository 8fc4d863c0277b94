"""Settings of the site search (the `search:` section of config.yml)."""

from __future__ import annotations

from builder.setting_kinds import BOOL, Setting

SEARCH_SETTINGS: tuple[Setting, ...] = (
    Setting("search.enabled", BOOL, True, "Build the search index and show the search box."),
)
