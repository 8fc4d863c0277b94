"""Authors' names per language in config.yml: the byline of each language, the fallbacks, and
errors that name the file and line."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.env import ROOT

from builder.config.loader import load_config
from builder.errors import ConfigError
from builder.model import Author

HEAD = "site: {title: T}\nlanguages: [ru, en, kk]\n"


def load(tmp_path: Path, authors: str) -> dict[str, Author]:
    path = tmp_path / "config.yml"
    path.write_text(HEAD + "authors:\n" + authors, encoding="utf-8")
    return dict(load_config(path).authors)


def problems(tmp_path: Path, authors: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, authors)
    return [str(p) for p in caught.value.problems]


def test_a_name_per_language(tmp_path: Path) -> None:
    anna = load(tmp_path, "  anna:\n    name: {ru: Анна Смирнова, en: Anna Smirnova}\n"
                          "    email: anna@example.com\n")["anna"]
    assert anna.name_in("ru") == "Анна Смирнова"
    assert anna.name_in("en") == "Anna Smirnova"
    # Kazakh pages have no name of their own: the default language's, not none.
    assert anna.name_in("kk") == "Анна Смирнова"
    assert anna.name == "Анна Смирнова" and anna.email == "anna@example.com"


def test_without_the_default_language_the_first_name_given(tmp_path: Path) -> None:
    igor = load(tmp_path, "  igor: {name: {en: Igor Petrov}}\n")["igor"]
    assert [igor.name_in(lang) for lang in ("ru", "en", "kk")] == ["Igor Petrov"] * 3


def test_a_plain_string_is_every_languages_name(tmp_path: Path) -> None:
    elena = load(tmp_path, "  elena: {name: Елена Волкова}\n")["elena"]
    assert elena == Author("elena", "Елена Волкова")
    assert elena.name_in("en") == "Елена Волкова"


def test_errors_name_the_line(tmp_path: Path) -> None:
    assert problems(tmp_path, "  anna:\n    name:\n      ru: Анна\n      de: Anna\n") == [
        "config.yml:7: authors: anna: 'de' is not one of the languages"]
    assert problems(tmp_path, "  anna: {name: {ru: '  '}}\n") == [
        "config.yml:3: authors: author 'anna': name: must not be empty"]
    assert problems(tmp_path, "  anna: {name: {}}\n") == [
        "config.yml:3: authors: author 'anna': name: expected a text or a mapping of "
        "language code to text"]
    assert problems(tmp_path, "  anna: {name: [Анна]}\n") == [
        "config.yml:3: authors: author 'anna': name: expected a string, got a list"]


def test_the_sample_config_names_every_author_in_english() -> None:
    config = load_config(ROOT / "config.yml")
    for author in config.authors.values():
        english = author.name_in("en")
        assert english.isascii() and english != author.name_in("ru"), author
