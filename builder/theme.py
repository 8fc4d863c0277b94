"""The theme: templates, static assets and UI strings, with a project's overrides on top.

The default theme lives in `<repo>/themes/default/`; a project may put files of the same
relative names in its own `themes/` folder next to config.yml (`themes/templates/article.html`,
`themes/assets/css/site.css`, `themes/i18n/ru/site.yml`), and those win. A project template may
still reach the original as `default:article.html` to extend it instead of copying it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PrefixLoader,
    StrictUndefined,
    Template,
    TemplateNotFound,
    TemplateSyntaxError,
    pass_context,
)
from jinja2.runtime import Context

from builder.config import yaml_lines
from builder.config.loader import Config
from builder.errors import Problem
from builder.project_files import FileRefused, ProjectFiles, decode_utf8, outside_message
from builder.urls import relative

DEFAULT_THEME_DIR = Path(__file__).resolve().parent.parent / "themes" / "default"
FALLBACK_LANGUAGE = "en"
HASH_LENGTH = 8
CALLOUT_KINDS = ("note", "tip", "warning", "danger", "details")

# Names of languages in themselves, for the language switcher: a language without UI strings
# of its own must still be offered under its own name, not under the English fallback's.
ENDONYMS = {
    "ar": "العربية",
    "be": "Беларуская",
    "cs": "Čeština",
    "de": "Deutsch",
    "en": "English",
    "es": "Español",
    "fi": "Suomi",
    "fr": "Français",
    "he": "עברית",
    "hy": "Հայերեն",
    "it": "Italiano",
    "ja": "日本語",
    "ka": "ქართული",
    "kk": "Қазақша",
    "ko": "한국어",
    "nl": "Nederlands",
    "pl": "Polski",
    "pt": "Português",
    "ro": "Română",
    "ru": "Русский",
    "sr": "Српски",
    "sv": "Svenska",
    "tr": "Türkçe",
    "uk": "Українська",
    "uz": "Oʻzbekcha",
    "zh": "中文",
}
# Languages whose plurals have one/few/many forms (1 статья, 2 статьи, 5 статей).
_SLAVIC_PLURALS = frozenset({"ru", "uk", "be", "sr", "hr", "bs"})


@dataclass(frozen=True)
class Asset:
    name: str  # as templates ask for it: "css/site.css"
    output: str  # where it is written, with the content hash: "assets/css/site.1a2b3c4d.css"
    data: bytes
    source: str  # what produced it, for the writer's duplicate messages: "theme:css/site.css"


def hashed_name(name: str, data: bytes) -> str:
    """ "css/site.css" → "assets/css/site.<8 hex>.css": a new name whenever the content changes."""
    digest = hashlib.sha256(data).hexdigest()[:HASH_LENGTH]
    path = PurePosixPath(name)
    stem, suffix = (path.stem, path.suffix) if path.suffix else (path.name, "")
    return str(PurePosixPath("assets") / path.parent / f"{stem}.{digest}{suffix}")


def plural_form(lang: str, n: int) -> str:
    if lang in _SLAVIC_PLURALS:
        if n % 10 == 1 and n % 100 != 11:
            return "one"
        if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
            return "few"
        return "many"
    return "one" if n == 1 else "other"


class _ChoiceLoaderRememberingMisses(ChoiceLoader):
    """A ChoiceLoader that remembers which templates do not exist.

    Jinja caches templates it found, not the ones it did not: every page's
    `{% include "partials/chat_scripts.html" ignore missing %}` would ask each folder again.
    A Theme lives for one build, so a miss stays a miss.
    """

    def __init__(self, loaders: list[Any]) -> None:
        super().__init__(loaders)
        self._missing: set[str] = set()

    def load(self, environment: Environment, name: str, globals: Any = None) -> Template:
        if name in self._missing:
            raise TemplateNotFound(name)
        try:
            return super().load(environment, name, globals)
        except TemplateNotFound:
            self._missing.add(name)
            raise


class _ProjectTemplateLoader(FileSystemLoader):
    """The project's templates, but none that leads outside the project folder (the theme
    reports those before anything renders; here they fall through to the default theme)."""

    def __init__(self, folder: Path, allowed: Any) -> None:
        super().__init__(str(folder))
        self._allowed = allowed

    def get_source(self, environment: Environment, template: str) -> Any:
        source, filename, uptodate = super().get_source(environment, template)
        if filename is None or not self._allowed(Path(filename)):
            raise TemplateNotFound(template)
        return source, filename, uptodate


class Theme:
    """Compiled once per build: the Jinja environment, the asset map, strings per language."""

    def __init__(self, config: Config, default_dir: Path = DEFAULT_THEME_DIR) -> None:
        self.config = config
        self.default_dir = default_dir
        self.problems: list[Problem] = []  # warnings (missing strings) and bad theme files
        self._files = ProjectFiles(config.root)
        self._refused: set[Path] = set()
        # Project first: its files shadow the default theme's files of the same name.
        own = config.themes_dir
        self.dirs = [d for d in (own, default_dir) if d.is_dir() and self._allowed(d)]
        self.env = self._environment()
        self._check_project_files()
        self.assets: dict[str, Asset] = {}
        self._load_assets()
        self._strings = {lang: self._load_strings(lang) for lang in config.languages}

    # --- the project's files -----------------------------------------------------------------
    def _allowed(self, path: Path) -> bool:
        """False (with an error, once) for a project theme file leading outside the project;
        the default theme ships with the builder and is always allowed."""
        target = None if path.is_relative_to(self.default_dir) else self._files.escape(path)
        if target is None:
            return True
        if path not in self._refused:
            self._refused.add(path)
            self.problems.append(Problem(self._display(path), 1, outside_message(target)))
        return False

    def _check_project_files(self) -> None:
        """Every override leading outside the project, and every project template that is not
        UTF-8 or not a template, is an error before anything renders (templates are
        otherwise only opened when a page asks for them, and then a traceback is all)."""
        own = self.config.themes_dir
        if own not in self.dirs:
            return
        templates = own / "templates"
        for path in sorted(own.rglob("*")):
            if self._allowed(path) and path.is_relative_to(templates) and path.is_file():
                self._check_template(path)

    def _check_template(self, path: Path) -> None:
        try:
            self.env.parse(decode_utf8(path.read_bytes()), filename=str(path))
        except FileRefused as exc:
            self.problems.append(Problem(self._display(path), exc.line, exc.message))
        except TemplateSyntaxError as exc:
            self.problems.append(Problem(self._display(path), exc.lineno or 1,
                                         f"template: {exc.message}"))
        except OSError as exc:
            self.problems.append(Problem(self._display(path), 0,
                                         f"cannot read: {exc.strerror or exc}"))

    # --- templates ---------------------------------------------------------------------------
    def _environment(self) -> Environment:
        default_loader = FileSystemLoader(str(self.default_dir / "templates"))
        loaders: list[Any] = [
            FileSystemLoader(str(d / "templates")) if d == self.default_dir
            else _ProjectTemplateLoader(d / "templates", self._allowed)
            for d in self.dirs
        ]
        loaders.append(PrefixLoader({"default": default_loader}, delimiter=":"))
        env = Environment(
            loader=_ChoiceLoaderRememberingMisses(loaders),
            autoescape=True,
            undefined=StrictUndefined,
            # Templates are compiled once per build; `serve` makes a new Theme when they change,
            # so skipping the per-include mtime check is safe and saves a stat per include.
            auto_reload=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.globals["asset_url"] = self._asset_url
        env.globals["link"] = _link
        env.globals["plural"] = self._plural
        env.globals["language_name"] = language_name
        env.filters["date"] = self._format_date
        return env

    def template(self, name: str) -> Template:
        return self.env.get_template(name)

    # --- assets ------------------------------------------------------------------------------
    def _load_assets(self) -> None:
        # Default first, then the project's: a project file replaces the default of that name.
        for directory in reversed(self.dirs):
            base = directory / "assets"
            if not base.is_dir():
                continue
            for path in sorted(base.rglob("*")):
                rel = path.relative_to(base).as_posix()
                # README.md files document the theme's sources; they are not served.
                if (
                    path.is_file()
                    and path.suffix != ".md"
                    and not any(part.startswith(".") for part in rel.split("/"))
                    and self._allowed(path)
                ):
                    self.add_asset(rel, path.read_bytes(), f"theme:{rel}")

    def add_asset(self, name: str, data: bytes, source: str) -> Asset:
        """Register an asset (theme file, generated CSS, brand file) under its hashed name."""
        asset = Asset(name=name, output=hashed_name(name, data), data=data, source=source)
        self.assets[name] = asset
        return asset

    def asset_path(self, name: str) -> str:
        """The site-root-relative file of an asset: "assets/css/site.1a2b3c4d.css"."""
        try:
            return self.assets[name].output
        except KeyError:
            raise LookupError(f"the theme has no asset {name!r}") from None

    @pass_context
    def _asset_url(self, context: Context, name: str) -> str:
        return str(context["root"]) + self.asset_path(name)

    # --- strings -----------------------------------------------------------------------------
    def _read_strings(self, lang: str) -> dict[str, str] | None:
        found: dict[str, str] | None = None
        for directory in reversed(self.dirs):  # default first, project strings override per key
            folder = directory / "i18n" / lang
            if not folder.is_dir():
                continue
            for path in sorted(folder.glob("*.yml")):
                if not self._allowed(path):
                    continue
                found = found if found is not None else {}
                _flatten(self._read_yaml(path), "", found)
        return found

    def _read_yaml(self, path: Path) -> Any:
        # The line-keeping loader: UTF-8 and alias bombs are refused as in config.yml.
        try:
            return yaml_lines.load(decode_utf8(path.read_bytes())).data or {}
        except (FileRefused, yaml_lines.YamlSyntaxError) as exc:
            self.problems.append(Problem(self._display(path), exc.line, exc.message))
        except OSError as exc:
            self.problems.append(Problem(self._display(path), 0,
                                         f"cannot read: {exc.strerror or exc}"))
        return {}

    def _display(self, path: Path) -> str:
        try:
            return path.relative_to(self.config.root).as_posix()
        except ValueError:
            return path.as_posix()

    def _load_strings(self, lang: str) -> dict[str, str]:
        fallback = self._read_strings(FALLBACK_LANGUAGE) or {}
        if lang == FALLBACK_LANGUAGE:
            return fallback
        own = self._read_strings(lang)
        if own is None:
            self.problems.append(
                Problem(
                    self.config.display_path,
                    0,
                    f"languages: the theme has no UI strings for '{lang}'; using English",
                    warning=True,
                )
            )
            return dict(fallback)
        return {**fallback, **own}

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.warning]

    def strings(self, lang: str) -> dict[str, str]:
        if lang not in self._strings:
            self._strings[lang] = self._load_strings(lang)
        return self._strings[lang]

    def container_titles(self, lang: str) -> dict[str, str]:
        """Default titles of `::: note` and friends, for the markdown stage."""
        strings = self.strings(lang)
        return {kind: strings.get(f"callout_{kind}", kind.title()) for kind in CALLOUT_KINDS}

    @pass_context
    def _plural(self, context: Context, n: int, key: str) -> str:
        strings: dict[str, str] = context["t"]
        form = plural_form(str(context["lang"]), n)
        for candidate in (form, "other", "many"):
            text = strings.get(f"{key}_{candidate}")
            if text is not None:
                return text.replace("{n}", str(n))
        return str(n)

    @pass_context
    def _format_date(self, context: Context, value: date | datetime) -> str:
        return format_date(value, context["t"])


def format_date(value: date | datetime, strings: dict[str, str]) -> str:
    """ "20 ноября 2026" / "November 20, 2026" from the language's month names and pattern."""
    month = strings.get(f"month_{value.month}", str(value.month))
    pattern = strings.get("date_format", "{year}-{month}-{day}")
    return (
        pattern.replace("{day}", str(value.day))
        .replace("{month}", month)
        .replace("{year}", str(value.year))
    )


@pass_context
def _link(context: Context, url: str) -> str:
    """A site URL ("/ru/nds/") as a link relative to the page being rendered."""
    return relative(str(context["root"]), url)


def language_name(code: str) -> str:
    return ENDONYMS.get(code, code.upper())


def _flatten(data: Any, prefix: str, into: dict[str, str]) -> None:
    if not isinstance(data, dict):
        return
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            _flatten(value, name + ".", into)
        else:
            into[name] = "" if value is None else str(value)
