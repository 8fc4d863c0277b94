"""Load `config.yml`, check every key against the one settings list, report all problems at once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from builder.config import yaml_lines
from builder.config.kinds import PATH, Invalid, Setting
from builder.config.settings import SECTIONS, SETTINGS, SETTINGS_BY_KEY
from builder.errors import ConfigError, Problem
from builder.model import Author
from builder.project_files import FileRefused, ProjectFiles, decode_utf8


@dataclass(frozen=True)
class Config:
    path: Path  # the config file
    values: Mapping[str, Any]  # every setting by dotted key, defaults filled in
    authors: Mapping[str, Author] = field(default_factory=dict)
    display_path: str = "config.yml"  # how messages name the file

    @property
    def root(self) -> Path:
        """The project folder: content/ and an optional themes/ sit next to config.yml."""
        return self.path.parent

    @property
    def content_dir(self) -> Path:
        return self.root / "content"

    @property
    def themes_dir(self) -> Path:
        """The project's own overrides of the default theme (same relative names)."""
        return self.root / "themes"

    @property
    def languages(self) -> tuple[str, ...]:
        languages: tuple[str, ...] = self.values["languages"]
        return languages

    @property
    def default_language(self) -> str:
        return self.languages[0]

    @property
    def title(self) -> str:
        """The help center's name in the default language."""
        return self.title_for(self.default_language)

    def title_for(self, lang: str) -> str:
        titles: dict[str, str] = self.values["site.title"]
        return (titles.get(lang) or titles.get(self.default_language) or titles.get("*")
                or next(iter(titles.values())))

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def section(self, name: str) -> dict[str, Any]:
        """Settings of one section without the prefix: section('chat')['url']."""
        prefix = name + "."
        return {k[len(prefix):]: v for k, v in self.values.items() if k.startswith(prefix)}

    def resolve(self, key: str) -> Path | None:
        """An absolute path for a path setting, or None when it is not set."""
        value = self.values.get(key)
        return (self.root / value).resolve() if value else None


def load_config(path: Path, display_path: str | None = None) -> Config:
    """Read and validate config.yml; raise ConfigError with every problem found."""
    shown = display_path or path.name
    try:
        text = decode_utf8(path.read_bytes())
    except OSError as exc:
        raise ConfigError([Problem(shown, 0, f"cannot read: {exc.strerror or exc}")]) from exc
    except FileRefused as exc:
        raise ConfigError([Problem(shown, exc.line, exc.message)]) from None
    try:
        parsed = yaml_lines.load(text)
    except yaml_lines.YamlSyntaxError as exc:
        raise ConfigError([Problem(shown, exc.line, exc.message)]) from exc
    data = parsed.data if parsed.data is not None else {}
    if not isinstance(data, dict):
        raise ConfigError([Problem(shown, 1, "expected a mapping of settings at the top level")])
    problems: list[Problem] = []
    values = _validate(data, parsed, shown, problems)
    _check_paths(values, path.parent, parsed, shown, problems)
    _check_title_languages(values, parsed, shown, problems)
    _check_author_languages(values, parsed, shown, problems)
    if problems:
        raise ConfigError(problems)
    authors = {key: _author(key, f, values["languages"][0])
               for key, f in values["authors"].items()}
    return Config(
        path=path.resolve(),
        values=MappingProxyType(values),
        authors=MappingProxyType(authors),
        display_path=shown,
    )


def _validate(
    data: dict[str, Any], parsed: yaml_lines.LinedYaml, shown: str, problems: list[Problem]
) -> dict[str, Any]:
    for key, value in data.items():
        key = str(key)
        line = parsed.line_of((key,))
        if key not in SECTIONS:
            problems.append(Problem(shown, line, f"{key}: unknown setting{_suggest(key)}"))
        elif key not in SETTINGS_BY_KEY and not isinstance(value, dict | type(None)):
            problems.append(Problem(shown, line, f"{key}: expected a mapping of settings"))
        elif isinstance(value, dict) and key not in SETTINGS_BY_KEY:
            for sub in value:
                dotted = f"{key}.{sub}"
                if dotted not in SETTINGS_BY_KEY:
                    problems.append(
                        Problem(shown, parsed.line_of((key, str(sub))),
                                f"{dotted}: unknown setting{_suggest(dotted)}")
                    )
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        values[setting.key] = _value_of(setting, data, parsed, shown, problems)
    return values


def _value_of(
    setting: Setting,
    data: dict[str, Any],
    parsed: yaml_lines.LinedYaml,
    shown: str,
    problems: list[Problem],
) -> Any:
    parts = tuple(setting.key.split("."))
    node: Any = data
    for part in parts:
        if not isinstance(node, dict) or part not in node:
            if setting.required:
                line = parsed.line_of(parts[:-1], default=1)
                problems.append(Problem(shown, line, f"{setting.key}: required setting is missing"))
            return setting.default
        node = node[part]
    if node is None and not setting.required:
        return setting.default
    try:
        return setting.kind.check(node)
    except Invalid as exc:
        problems.append(Problem(shown, parsed.line_of(parts), f"{setting.key}: {exc}"))
        return setting.default


def _check_paths(
    values: dict[str, Any], root: Path, parsed: yaml_lines.LinedYaml, shown: str,
    problems: list[Problem],
) -> None:
    """Files named by the config are published (logo, favicon, CSS): they must exist and lie
    inside the project folder, symlinks followed."""
    files = ProjectFiles(root)
    for setting in SETTINGS:
        value = values.get(setting.key)
        if setting.kind is not PATH or not value:
            continue
        line = parsed.line_of(tuple(setting.key.split(".")))
        if files.escape(root / value) is not None:
            problems.append(Problem(shown, line, f"{setting.key}: {value} is outside the project "
                                                 "folder; only files inside it are published"))
        elif not (root / value).is_file():
            problems.append(Problem(shown, line, f"{setting.key}: no such file: {value}"))


def _check_title_languages(values: dict[str, Any], parsed: yaml_lines.LinedYaml, shown: str,
                           problems: list[Problem]) -> None:
    titles = values.get("site.title") or {}
    for lang in titles:
        if lang != "*" and lang not in values["languages"]:
            problems.append(Problem(shown, parsed.line_of(("site", "title", lang)),
                                    f"site.title: '{lang}' is not one of the languages"))


def _check_author_languages(values: dict[str, Any], parsed: yaml_lines.LinedYaml, shown: str,
                            problems: list[Problem]) -> None:
    for key, fields in (values.get("authors") or {}).items():
        for lang in fields["name"]:
            if lang != "*" and lang not in values["languages"]:
                problems.append(Problem(shown, parsed.line_of(("authors", key, "name", lang)),
                                        f"authors: {key}: '{lang}' is not one of the languages"))


def _author(key: str, fields: dict[str, Any], default_lang: str) -> Author:
    """An author with a name per language. A language without one uses the default
    language's name, else the first one given: a name is better than none."""
    names: dict[str, str] = fields["name"]
    plain = names.get("*") or names.get(default_lang) or next(iter(names.values()))
    return Author(key=key, name=plain, email=fields.get("email", ""),
                  avatar=fields.get("avatar", ""),
                  names=tuple(sorted((lang, n) for lang, n in names.items() if lang != "*")))


def _suggest(key: str) -> str:
    import difflib

    close = difflib.get_close_matches(key, [*SETTINGS_BY_KEY, *SECTIONS], n=1, cutoff=0.75)
    return f" (did you mean '{close[0]}'?)" if close else ""
