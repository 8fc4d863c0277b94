"""Split a markdown file into its YAML front matter and body, and check the fields writers use."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from builder.config import yaml_lines
from builder.errors import Problem

ARTICLE_FIELDS = frozenset(
    {"title", "description", "author", "tags", "keywords", "order", "draft", "id"}
)
COLLECTION_FIELDS = frozenset({"title", "description", "icon", "order", "draft", "id"})
REPLY_FIELDS = frozenset({"title", "shortcut", "tags", "draft"})  # a saved reply (builder.replies)


@dataclass
class FrontMatter:
    fields: dict[str, Any]
    body: str
    body_line: int  # 1-based line of the body's first line in the file
    lines: yaml_lines.LinedYaml | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def readable(self) -> bool:
        """False when the front matter itself could not be read: its fields are unknown, so
        no further problem (like a missing title) would be true."""
        return not self.problems

    def line_of(self, key: str) -> int:
        return self.lines.line_of((key,)) if self.lines else 1


def split(text: str, shown: str) -> FrontMatter:
    """Front matter is the YAML between a first line `---` and the next line `---`."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if not (text.startswith("---\n") or text.startswith("---\r\n")):
        return FrontMatter({}, text, 1, problems=[
            Problem(shown, 1, "missing front matter: the file must start with '---', "
                              "then 'title: ...', then '---'")
        ])
    end = _closing_fence(text)
    if end is None:
        return FrontMatter({}, "", 1, problems=[
            Problem(shown, 1, "front matter is not closed: add a line '---' after it")
        ])
    yaml_text = text[text.index("\n") + 1:end[0]]
    body = text[end[1]:]
    body_line = text.count("\n", 0, end[1]) + 1
    try:
        parsed = yaml_lines.load(yaml_text, first_line=2)
    except yaml_lines.YamlSyntaxError as exc:
        return FrontMatter({}, body, body_line, problems=[Problem(shown, exc.line, exc.message)])
    data = parsed.data if parsed.data is not None else {}
    if not isinstance(data, dict):
        return FrontMatter({}, body, body_line, parsed, [
            Problem(shown, 2, "front matter must be a mapping like 'title: ...'")
        ])
    return FrontMatter({str(k): v for k, v in data.items()}, body, body_line, parsed)


def _closing_fence(text: str) -> tuple[int, int] | None:
    """(start of the closing '---' line, start of the body) or None."""
    position = text.index("\n") + 1
    while position < len(text):
        newline = text.find("\n", position)
        line_end = len(text) if newline < 0 else newline
        if text[position:line_end].rstrip("\r") in ("---", "..."):
            return position, min(line_end + 1, len(text))
        if newline < 0:
            return None
        position = newline + 1
    return None


def check_fields(fm: FrontMatter, shown: str, allowed: frozenset[str], known_authors: set[str],
                 title_required: bool = True) -> dict[str, Any]:
    """Normalised fields; problems go to fm.problems, each with the line of its key."""
    out: dict[str, Any] = {}
    readable = fm.readable
    for key, value in fm.fields.items():
        line = fm.line_of(key)
        if key not in allowed:
            fm.problems.append(Problem(shown, line, f"{key}: unknown front matter field "
                                                    f"(known: {', '.join(sorted(allowed))})"))
            continue
        try:
            out[key] = _CHECKS[key](value, known_authors)
        except ValueError as exc:
            fm.problems.append(Problem(shown, line, f"{key}: {exc}"))
            continue
        if key == "id" and not out[key]:
            fm.problems.append(Problem(shown, line, "id: blank, so the path is used as the id",
                                       warning=True))
    if title_required and readable and not out.get("title"):
        if "title" not in fm.fields:
            fm.problems.append(Problem(shown, 2 if fm.lines else 1, "title: missing (required)"))
    return out


def _text(value: Any, _: set[str]) -> str:
    if value is None or isinstance(value, dict | list | bool):
        raise ValueError("expected text")
    return str(value).strip()


def _title(value: Any, authors: set[str]) -> str:
    text = _text(value, authors)
    if not text:
        raise ValueError("must not be empty")
    return text


def _author(value: Any, authors: set[str]) -> str:
    key = _text(value, authors)
    if key not in authors:
        known = ", ".join(sorted(authors)) or "none: add an 'authors:' section to config.yml"
        raise ValueError(f"unknown author {key!r} (known: {known})")
    return key


def _terms(value: Any, _: set[str]) -> tuple[str, ...]:
    if isinstance(value, str):  # "a, b" is a common shorthand for [a, b]
        value = [part for part in value.split(",")]
    if not isinstance(value, list) or any(isinstance(v, dict | list) for v in value):
        raise ValueError("expected a list like [vat, returns]")
    return tuple(str(v).strip() for v in value if str(v).strip())


def _order(value: Any, _: set[str]) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected a whole number, got {value!r}")
    return value


def _draft(value: Any, _: set[str]) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def _id(value: Any, authors: set[str]) -> str:
    # Ids are opaque (upstream uuids, titles): any text will do; a blank one means "the path".
    return _text(value, authors)


_CHECKS = {
    "title": _title,
    "description": _text,
    "author": _author,
    "tags": _terms,
    "keywords": _terms,
    "order": _order,
    "draft": _draft,
    "id": _id,
    "icon": _text,
    "shortcut": _text,  # required and one word: builder.replies checks that
}
