"""`build.py new LANG/COLLECTION/SLUG`: start an article with front matter filled in."""

from __future__ import annotations

import json
import re
from pathlib import Path

from builder.config.loader import Config
from builder.errors import BuildError, Problem

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def new_article(config: Config, spec: str, title: str | None = None,
                author: str | None = None) -> Path:
    """Create content/LANG/COLLECTION/SLUG.md; the folders on the way get an `_index.md`."""
    parts = spec.strip("/").removesuffix(".md").split("/")
    if len(parts) < 2:
        raise BuildError([Problem(spec, 0, "expected LANG/COLLECTION/SLUG, e.g. ru/nds/vozvrat")])
    lang, *folders, slug = parts
    if lang not in config.languages:
        raise BuildError([Problem(spec, 0, f"'{lang}' is not a language of {config.display_path}"
                                           f" (languages: {', '.join(config.languages)})")])
    for part in (*folders, slug):
        if not _SLUG.match(part):
            raise BuildError([Problem(spec, 0, f"'{part}': use lowercase latin letters, digits "
                                               "and '-' in paths (they become URLs)")])
    if author and author not in config.authors:
        raise BuildError([Problem(spec, 0, f"unknown author '{author}' (known: "
                                           f"{', '.join(sorted(config.authors)) or 'none'})")])
    target = config.content_dir.joinpath(lang, *folders, f"{slug}.md")
    if target.exists():
        raise BuildError([Problem(spec, 0, f"{target} already exists")])
    folder = config.content_dir / lang
    for name in folders:
        folder = folder / name
        index = folder / "_index.md"
        if not index.exists():
            folder.mkdir(parents=True, exist_ok=True)
            index.write_text(f"---\ntitle: {_title(name)}\ndescription: \"\"\n---\n",
                             encoding="utf-8")
    target.parent.mkdir(parents=True, exist_ok=True)
    lines = ["---", f"title: {_quote(title or _title(slug))}", 'description: ""']
    lines.append(f"author: {author}" if author else "# author: one of config.yml's authors")
    lines += ["tags: []", "keywords: []", "---", "", "Write the answer here.", ""]
    target.write_text("\n".join(lines), encoding="utf-8")
    return target


def _title(slug: str) -> str:
    return slug.replace("-", " ").capitalize()


def _quote(text: str) -> str:
    # Always a double-quoted scalar: '[', '#', '@', quotes or ': ' in a bare title would be
    # YAML syntax. A JSON string is a valid YAML double-quoted scalar; Cyrillic stays readable.
    return json.dumps(text, ensure_ascii=False)
