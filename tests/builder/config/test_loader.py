"""config.yml as a writer or admin meets it: every problem at once, each with its line."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from support.env import ROOT

from builder.config import kinds
from builder.config.loader import Config, load_config
from builder.config.settings import SETTINGS, SETTINGS_BY_KEY
from builder.errors import ConfigError
from builder.model import Author


def write_config(folder: Path, text: str) -> Path:
    path = folder / "config.yml"
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return [str(p) for p in caught.value.problems]


# --- all problems at once, with lines ----------------------------------------------------------


def test_every_problem_reported_at_once_with_its_line(tmp_path: Path) -> None:
    path = write_config(tmp_path, "\n".join([
        "site:",                        # 1
        "  titel: Help",                # 2  unknown key, close to site.title
        "  recent_count: many",         # 3  wrong kind
        "languages: [ru, en, ru]",      # 4  duplicate language
        "serach:",                      # 5  unknown section, close to search
        "  enabled: true",              # 6
        "brand:",                       # 7
        "  logo: missing.svg",          # 8  no such file
        "  primary_color: blue",        # 9  not a colour
        "chat:",                        # 10
        "  hours_start: 25:00",         # 11 not a time
        "",
    ]))
    assert problems_of(path) == [
        "config.yml:1: site.title: required setting is missing",
        "config.yml:2: site.titel: unknown setting (did you mean 'site.title'?)",
        "config.yml:3: site.recent_count: expected a whole number, got str 'many'",
        "config.yml:4: languages: language 'ru' is listed twice",
        "config.yml:5: serach: unknown setting (did you mean 'search'?)",
        "config.yml:8: brand.logo: no such file: missing.svg",
        "config.yml:9: brand.primary_color: expected a colour like '#2563eb', got 'blue'",
        "config.yml:11: chat.hours_start: expected a time like '10:00', got '25:00'",
    ]


def test_error_count_in_the_exception_message(tmp_path: Path) -> None:
    path = write_config(tmp_path, "site:\n  title: T\n  colour: red\nlanguges: [ru]\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == "2 errors"


def test_unknown_key_far_from_any_setting_has_no_suggestion(tmp_path: Path) -> None:
    path = write_config(tmp_path, "site:\n  title: T\nwhatever_this_is: 1\n")
    assert problems_of(path) == ["config.yml:3: whatever_this_is: unknown setting"]


def test_missing_site_section_names_title_as_required(tmp_path: Path) -> None:
    path = write_config(tmp_path, "languages: [ru]\n")
    assert problems_of(path) == ["config.yml:1: site.title: required setting is missing"]


def test_blank_title_is_an_error_on_its_line(tmp_path: Path) -> None:
    path = write_config(tmp_path, "languages: [en]\nsite:\n  title: '  '\n")
    assert problems_of(path) == ["config.yml:3: site.title: must not be empty"]


def test_section_given_as_a_scalar(tmp_path: Path) -> None:
    path = write_config(tmp_path, "site:\n  title: T\nbrand: blue\n")
    assert "config.yml:3: brand: expected a mapping of settings" in problems_of(path)


def test_missing_logo_file_points_at_its_line(tmp_path: Path) -> None:
    path = write_config(tmp_path, "site:\n  title: T\nbrand:\n  favicon: img/icon.png\n")
    assert problems_of(path) == ["config.yml:4: brand.favicon: no such file: img/icon.png"]


def test_existing_logo_file_is_accepted_and_resolved(tmp_path: Path) -> None:
    (tmp_path / "brand").mkdir()
    (tmp_path / "brand" / "logo.svg").write_text("<svg/>", encoding="utf-8")
    path = write_config(tmp_path, "site: {title: T}\nbrand: {logo: brand/logo.svg}\n")
    config = load_config(path)
    assert config.resolve("brand.logo") == (tmp_path / "brand" / "logo.svg").resolve()
    assert config.resolve("brand.favicon") is None


def test_bad_yaml_names_its_line(tmp_path: Path) -> None:
    path = write_config(tmp_path, "site:\n  title: T\nlanguages: [ru, en\nauthors: {}\n")
    [problem] = problems_of(path)
    assert problem.startswith("config.yml:4: bad YAML")


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    path = write_config(tmp_path, "- site\n- languages\n")
    assert problems_of(path) == ["config.yml:1: expected a mapping of settings at the top level"]


def test_missing_file_is_one_problem_not_a_traceback(tmp_path: Path) -> None:
    [problem] = problems_of(tmp_path / "config.yml")
    assert problem.startswith("config.yml: cannot read")


def test_display_path_names_the_file_as_the_writer_typed_it(tmp_path: Path) -> None:
    path = write_config(tmp_path, "site: {}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, display_path="docs/config.yml")
    assert [str(p) for p in caught.value.problems] == [
        "docs/config.yml:1: site.title: required setting is missing"
    ]


def test_authors_problems(tmp_path: Path) -> None:
    path = write_config(tmp_path, "\n".join([
        "site: {title: T}",
        "authors:",
        "  Anna:",
        "    name: Анна",
        "",
    ]))
    assert problems_of(path) == [
        "config.yml:2: authors: author key 'Anna': use lowercase letters, digits, '-' and '_'"
    ]
    path = write_config(tmp_path, "site: {title: T}\nauthors:\n  anna: {name: A, phone: 1}\n")
    assert problems_of(path) == ["config.yml:2: authors: author 'anna': unknown field 'phone'"]
    path = write_config(tmp_path, "site: {title: T}\nauthors:\n  anna: {email: a@x}\n")
    assert problems_of(path) == [
        "config.yml:2: authors: author 'anna': expected {name: ..., email: ...}"
    ]


def test_identity_url_takes_https_and_http_only_on_this_machine(tmp_path: Path) -> None:
    for url in ("https://app.example.com/api/help-identity", "http://127.0.0.1:8001/me",
                "http://localhost/me"):
        config = load_config(write_config(tmp_path, f"site: {{title: T}}\nchat:\n"
                                                    f"  url: https://chat.example.com\n"
                                                    f"  identity_url: {url}\n"))
        assert config["chat.identity_url"] == url
    assert load_config(write_config(tmp_path, "site: {title: T}\n"))["chat.identity_url"] == ""
    path = write_config(tmp_path, "\n".join([
        "site: {title: T}",                          # 1
        "chat:",                                     # 2
        "  identity_url: http://app.example.com/me",  # 3 clear text to a real host
        "",
    ]))
    assert problems_of(path) == [
        "config.yml:3: chat.identity_url: expected an https URL (http only for localhost), "
        "got 'http://app.example.com/me'"]
    path = write_config(tmp_path, "site: {title: T}\nchat:\n  identity_url: ftp://app/me\n")
    assert problems_of(path) == [
        "config.yml:3: chat.identity_url: expected an http(s) URL, got 'ftp://app/me'"]


# --- defaults and values ----------------------------------------------------------------------


def test_minimal_config_gets_every_default(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, "site:\n  title: Help\n"))
    assert isinstance(config, Config)
    assert config.title == "Help"
    assert config.languages == ("en",)
    assert config.default_language == "en"
    assert set(config.values) == set(SETTINGS_BY_KEY)
    for setting in SETTINGS:
        if setting.key != "site.title":
            assert config[setting.key] == setting.default, setting.key
    assert config["brand.primary_color"] == "#2563eb"
    assert config["search.enabled"] is True
    assert config["chat.timezone"] == "Europe/Moscow"
    assert config["site.recent_count"] == 6
    assert dict(config.authors) == {}


def test_empty_value_means_the_default(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, "site:\n  title: T\n  description:\nbrand:\n"))
    assert config["site.description"] == ""
    assert config["brand.accent_color"] == "#f59e0b"


def test_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, "site: {title: T}\nlanguages: [ru, en]\n"))
    assert config.root == tmp_path.resolve()
    assert config.content_dir == tmp_path.resolve() / "content"
    assert config.themes_dir == tmp_path.resolve() / "themes"
    assert config.default_language == "ru"


def test_values_are_normalised(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, "\n".join([
        "site:",
        "  title: T",
        "  base_url: https://help.example.com/docs",
        "brand:",
        "  primary_color: '#ABCDEF'",
        "  footer_links:",
        "    - {title: {ru: Контакты, en: Contacts}, url: mailto:x@example.com}",
        "    - {title: Status, url: https://status.example.com}",
        "chat:",
        "  hours_start: 09:30",  # YAML 1.1 reads this as 570
        "  workdays: [5, 1, 1, 3]",
        "  closed_dates: ['01-01', 2027-05-09]",
        "authors:",
        "  anna: {name: Анна, email: anna@example.com}",
        "",
    ])))
    assert config["site.base_url"] == "https://help.example.com/docs/"
    assert config["brand.primary_color"] == "#abcdef"
    assert config["brand.footer_links"] == (
        {"title": {"ru": "Контакты", "en": "Contacts"}, "url": "mailto:x@example.com"},
        {"title": {"*": "Status"}, "url": "https://status.example.com"},
    )
    assert config["chat.hours_start"] == "09:30"
    assert config["chat.workdays"] == (1, 3, 5)
    assert config["chat.closed_dates"] == ("01-01", "2027-05-09")
    assert config.authors["anna"] == Author("anna", "Анна", "anna@example.com")
    assert config.section("chat")["hours_start"] == "09:30"


def test_config_is_frozen(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, "site: {title: T}\n"))
    with pytest.raises(TypeError):
        config.values["site.title"] = "other"  # type: ignore[index]


def test_sample_config_of_the_repository_loads() -> None:
    root = ROOT
    config = load_config(root / "config.yml")
    assert config.languages == ("ru", "en")
    assert set(config.authors) >= {"anna"}


def test_corpora_configs_load_with_defaults(corpus_root: Path) -> None:
    configs = sorted(corpus_root.glob("*/config.yml"))
    assert {p.parent.name for p in configs} >= {"vkcloud", "datalens", "vuejs"}
    for path in configs:
        config = load_config(path)
        assert config.title
        assert set(config.languages) == {"ru", "en"}
        assert config["search.enabled"] is True
        assert config["site.base_url"] == ""


# --- kinds of values ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        (kinds.STRING, ["a"], "expected a string, got a list"),
        (kinds.STRING, True, "expected a string, got bool True"),
        (kinds.BOOL, "yes", "expected true or false, got str 'yes'"),
        (kinds.COLOR, "#12345", "expected a colour like '#2563eb', got '#12345'"),
        (kinds.URL, "help.example.com", "expected an http(s) URL, got 'help.example.com'"),
        (kinds.EDIT_URL, "https://git.example.com/edit", "must contain {path}"),
        (kinds.SECURE_URL, "http://app.example.com/me", "expected an https URL"),
        (kinds.SECURE_URL, "http://localhost.example.com/me", "expected an https URL"),
        (kinds.SECURE_URL, "javascript:alert(1)", "expected an http(s) URL"),
        (kinds.LANGUAGES, [], "expected a non-empty list of language codes"),
        (kinds.LANGUAGES, ["Russian"], "'Russian' is not a language code"),
        (kinds.TIMEZONE, "Mars/Olympus", "unknown time zone 'Mars/Olympus'"),
        (kinds.TIME, "10.00", "expected a time like '10:00', got '10.00'"),
        (kinds.DATES, ["13-01"], "expected 'MM-DD' or 'YYYY-MM-DD', got '13-01'"),
        (kinds.WEEKDAYS, [0], "must be between 1 and 7, got 0"),
        (kinds.integer(0, 50), 51, "must be between 0 and 50, got 51"),
        (kinds.integer(0, 50), True, "expected a whole number, got bool True"),
        (kinds.FOOTER_LINKS, [{"title": "x"}], "item 1: url is missing"),
        (kinds.AUTHORS, ["anna"], "expected a mapping of author keys, got a list"),
    ],
)
def test_kind_rejects_with_a_message(kind: kinds.Kind, value: object, message: str) -> None:
    with pytest.raises(kinds.Invalid, match=None) as caught:
        kind.check(value)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        (kinds.STRING, 42, "42"),
        (kinds.TEXT, "  Help  ", "Help"),
        (kinds.LANGUAGES, ["ru", "en", "pt-BR"], ("ru", "en", "pt-BR")),
        (kinds.TIME, 600, "10:00"),
        (kinds.TIME, "20:00", "20:00"),
        (kinds.DATES, [datetime.date(2027, 1, 7), "12-31"], ("2027-01-07", "12-31")),
        (kinds.BASE_URL, "https://x.example", "https://x.example/"),
        (kinds.BASE_URL, "", ""),
        (kinds.EDIT_URL, "https://g.example/e/{path}", "https://g.example/e/{path}"),
        (kinds.SECURE_URL, "https://app.example.com:8443/me", "https://app.example.com:8443/me"),
        (kinds.SECURE_URL, "http://127.0.0.1:8001/me", "http://127.0.0.1:8001/me"),
    ],
)
def test_kind_accepts_and_normalises(kind: kinds.Kind, value: object, expected: object) -> None:
    assert kind.check(value) == expected


def test_every_setting_default_passes_its_own_kind() -> None:
    for setting in SETTINGS:
        if setting.default in (None, "", ()) or setting.kind is kinds.PATH:
            continue
        value = setting.default
        if isinstance(value, tuple):
            value = list(value)
        assert setting.kind.check(value) == setting.default, setting.key


def test_site_title_may_be_given_per_language(tmp_path: Path) -> None:
    path = tmp_path / "config.yml"
    path.write_text("site:\n  title: {ru: Справка, en: Help}\nlanguages: [ru, en, de]\n",
                    encoding="utf-8")
    config = load_config(path)
    assert (config.title_for("ru"), config.title_for("en")) == ("Справка", "Help")
    assert config.title_for("de") == "Справка"  # no title of its own: the default language's
    assert config.title == "Справка"


def test_site_title_for_a_language_that_is_not_configured_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "config.yml"
    path.write_text("site:\n  title:\n    ru: Справка\n    fr: Aide\nlanguages: [ru]\n",
                    encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert [str(p) for p in caught.value.problems] == [
        "config.yml:4: site.title: 'fr' is not one of the languages"]
