"""Settings of the site search (the `search:` section of config.yml)."""

from __future__ import annotations

from builder.setting_kinds import BOOL, Setting

SEARCH_SETTINGS: tuple[Setting, ...] = (
    Setting("search.enabled", BOOL, True, "Build the search index and show the search box."),
    Setting("search.precompress", BOOL, True,
            "Write .gz and .br copies of the search files for hosts that serve them as they are "
            "(nginx gzip_static/brotli_static)."),
)
