"""The configuration reference (docs/configuration.md), generated from the one settings list."""

from __future__ import annotations

from builder.config.settings import SETTINGS

HEADER = """# Configuration reference

Generated from `builder/config/settings.py` by `python build.py config-reference`; a test fails when
this file and the settings list disagree. Every key is optional unless marked required.
Secrets (chat keys, SMTP passwords) never go here: they come from environment variables.

"""

SECTION_TITLES = {
    "site": "Site", "languages": "Languages", "authors": "Authors", "brand": "Branding",
    "search": "Search", "chat": "Chat sidecar",
}


def reference_markdown() -> str:
    out = [HEADER]
    current = None
    for setting in SETTINGS:
        section = setting.section
        if section != current:
            current = section
            out.append(f"\n## {SECTION_TITLES.get(section, section.title())}\n\n")
            out.append("| key | kind | default | meaning |\n|---|---|---|---|\n")
        default = "required" if setting.required else _show(setting.default)
        meaning = setting.help.replace("|", "\\|")
        out.append(f"| `{setting.key}` | {setting.kind.name} | {default} | {meaning} |\n")
    return "".join(out)


def _show(value: object) -> str:
    if value in ("", (), {}, None):
        return "—"
    if isinstance(value, tuple):
        value = list(value)
    text = str(value).replace("'", "")
    return f"`{text}`"
