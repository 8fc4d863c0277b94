"""The theme: default templates and assets, a project's overrides, UI strings and their fallback."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
import yaml

from builder.config.loader import Config, load_config
from builder.theme import DEFAULT_THEME_DIR, Theme, format_date, hashed_name, plural_form


def make_config(root: Path, languages: str = "[ru, en]") -> Config:
    root.mkdir(parents=True, exist_ok=True)
    (root / "config.yml").write_text(
        f"site:\n  title: Help\nlanguages: {languages}\n", encoding="utf-8"
    )
    return load_config(root / "config.yml")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_hashed_names_change_with_content() -> None:
    first = hashed_name("css/site.css", b"body{}")
    assert re.fullmatch(r"assets/css/site\.[0-9a-f]{8}\.css", first)
    assert hashed_name("css/site.css", b"body{}") == first
    assert hashed_name("css/site.css", b"body{color:red}") != first
    # Only the last suffix moves: "lunr.ru.min.js" keeps its dotted name readable.
    assert re.fullmatch(
        r"assets/vendor/lunr.ru.min\.[0-9a-f]{8}\.js", hashed_name("vendor/lunr.ru.min.js", b"x")
    )
    assert re.fullmatch(r"assets/LICENSE\.[0-9a-f]{8}", hashed_name("LICENSE", b"x"))


def test_default_theme_has_every_page_template(tmp_path: Path) -> None:
    theme = Theme(make_config(tmp_path))
    for name in ("home", "collection", "article", "search", "404", "root"):
        assert theme.template(f"{name}.html").filename.startswith(str(DEFAULT_THEME_DIR))
    assert "css/site.css" in theme.assets and "js/site.js" in theme.assets
    assert theme.problems == []


def test_project_templates_and_assets_override_the_default(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    write(tmp_path / "themes/templates/partials/footer.html", "<footer>ours</footer>")
    write(tmp_path / "themes/assets/css/site.css", "body{color:red}")
    write(tmp_path / "themes/assets/img/extra.svg", "<svg/>")
    theme = Theme(config)
    footer = theme.template("partials/footer.html")
    assert footer.render() == "<footer>ours</footer>"
    # The original stays reachable, so an override can extend instead of copying.
    original = theme.env.loader.get_source(theme.env, "default:partials/footer.html")[0]
    assert "site-footer" in original
    assert theme.assets["css/site.css"].data == b"body{color:red}"
    assert theme.asset_path("css/site.css") == hashed_name("css/site.css", b"body{color:red}")
    assert theme.assets["img/extra.svg"].source == "theme:img/extra.svg"
    assert "js/site.js" in theme.assets  # untouched defaults remain


def test_asset_url_is_relative_to_the_page(tmp_path: Path) -> None:
    theme = Theme(make_config(tmp_path))
    template = theme.env.from_string("{{ asset_url('css/site.css') }}")
    assert template.render(root="../../") == "../../" + theme.asset_path("css/site.css")
    with pytest.raises(LookupError, match="no asset"):
        theme.env.from_string("{{ asset_url('nope.css') }}").render(root="./")


def test_ru_and_en_strings_are_complete() -> None:
    en = yaml.safe_load((DEFAULT_THEME_DIR / "i18n/en/site.yml").read_text(encoding="utf-8"))
    ru = yaml.safe_load((DEFAULT_THEME_DIR / "i18n/ru/site.yml").read_text(encoding="utf-8"))
    assert set(en) <= set(ru), f"missing in ru: {sorted(set(en) - set(ru))}"
    assert {"articles_one", "articles_few", "articles_many"} <= set(ru)


def test_a_language_without_strings_falls_back_to_english_with_one_warning(
    tmp_path: Path,
) -> None:
    theme = Theme(make_config(tmp_path, "[ru, de]"))
    assert theme.strings("de")["search"] == "Search"
    theme.strings("de")
    warnings = theme.warnings
    assert len(warnings) == 1 and warnings[0].warning
    assert "'de'" in warnings[0].message


def test_every_yml_of_a_language_is_merged_and_projects_override_per_key(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    write(tmp_path / "themes/i18n/ru/site.yml", "search: Искать\n")
    write(tmp_path / "themes/i18n/ru/chat.yml", "chat:\n  open: Открыть чат\n")
    theme = Theme(config)
    strings = theme.strings("ru")
    assert strings["search"] == "Искать"
    assert strings["home"] == "Главная"  # the rest of the default file is kept
    assert strings["chat.open"] == "Открыть чат"


def test_bad_yaml_in_strings_is_a_problem_with_a_line(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    write(tmp_path / "themes/i18n/ru/site.yml", "search: ok\nbad: [unclosed\n")
    theme = Theme(config)
    [problem] = theme.problems
    assert problem.path == "themes/i18n/ru/site.yml" and problem.line >= 2
    assert not problem.warning


def test_container_titles_come_from_the_language_strings(tmp_path: Path) -> None:
    theme = Theme(make_config(tmp_path))
    assert theme.container_titles("ru") == {
        "note": "Примечание",
        "tip": "Совет",
        "warning": "Внимание",
        "danger": "Опасно",
        "details": "Подробнее",
    }
    assert theme.container_titles("en")["warning"] == "Warning"


def test_dates_and_plurals_in_the_page_language(tmp_path: Path) -> None:
    theme = Theme(make_config(tmp_path))
    day = date(2026, 11, 20)
    assert format_date(day, theme.strings("ru")) == "20 ноября 2026"
    assert format_date(day, theme.strings("en")) == "November 20, 2026"
    assert [plural_form("ru", n) for n in (1, 2, 5, 11, 21, 22, 112)] == [
        "one",
        "few",
        "many",
        "many",
        "one",
        "few",
        "many",
    ]
    template = theme.env.from_string("{{ plural(n, 'articles') }}")
    assert template.render(n=3, lang="ru", t=theme.strings("ru")) == "3 статьи"
    assert template.render(n=5, lang="ru", t=theme.strings("ru")) == "5 статей"
    assert template.render(n=1, lang="en", t=theme.strings("en")) == "1 article"


def test_templates_fail_loudly_on_undefined_names(tmp_path: Path) -> None:
    from jinja2 import UndefinedError

    theme = Theme(make_config(tmp_path))
    with pytest.raises(UndefinedError):
        theme.env.from_string("{{ missing.attr }}").render()


@pytest.mark.parametrize("primary", ["#2563eb", "#f59e0b", "#ffff00", "#0f766e", "#111111"])
def test_brand_colours_stay_readable(primary: str) -> None:
    from builder.colors import DARK_BG, LIGHT_BG, brand_variables, contrast

    css = brand_variables(primary, "#f59e0b")
    light = dict(re.findall(r"(--[\w-]+):(#[0-9a-f]{6})", css.split("@media")[0]))
    dark = dict(re.findall(r"(--[\w-]+):(#[0-9a-f]{6})", css.split('[data-theme="dark"]')[1]))
    assert light["--brand-primary"] == primary  # the admin's value stays available as is
    assert contrast(light["--color-primary"], LIGHT_BG) >= 4.5
    assert contrast(light["--color-on-primary"], light["--color-primary-fill"]) >= 4.5
    assert contrast(dark["--color-primary"], DARK_BG) >= 4.5


def test_a_broken_project_template_is_a_problem_with_a_line_not_a_traceback(
        tmp_path: Path) -> None:
    config = make_config(tmp_path)
    write(tmp_path / "themes/templates/partials/footer.html", "<footer>\n{% if %}</footer>\n")
    (tmp_path / "themes/templates/home.html").write_bytes(b"<p>\xff</p>")
    theme = Theme(config)
    assert sorted(str(p) for p in theme.problems) == [
        "themes/templates/home.html:1: not UTF-8 text (byte 0xff at line 1); save the file "
        "as UTF-8",
        "themes/templates/partials/footer.html:2: template: Expected an expression, got 'end "
        "of statement block'",
    ]
