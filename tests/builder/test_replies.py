"""Saved replies from `content/<lang>/_replies/`: checked like articles, shipped as
`site/_data/replies.json` for the sidecar, never pages of the site."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from builder.errors import ContentError
from builder.incremental import LiveSite
from builder.pipeline import build
from builder.project import load_project

ROOT = Path(__file__).resolve().parents[2]

CONFIG = """\
site: {title: T, base_url: "https://help.example.com/"}
languages: [ru, en]
"""

ARTICLES = {
    "ru/oplata/_index.md": "---\ntitle: Оплата\n---\n",
    "ru/oplata/schet.md": "---\ntitle: Оплата по счёту\n---\n## Как получить счёт {#get-invoice}"
                          "\n\nОткройте настройки.\n",
    "en/oplata/schet.md": "---\ntitle: Paying by invoice\n---\nOpen the settings.\n",
}

PERENOS = """\
---
title: Перенос даты оплаты
shortcut: перенос
tags: [оплата, счёт]
---
Здравствуйте, {{ reader_name }}!

Выставьте **новый счёт**: см. [инструкцию](../oplata/schet.md#get-invoice).

- счёт действует *5 дней*;
- данные сохранятся.

Пишите на <help@example.com> или [в Telegram](https://t.me/buh_help). {{operator_name}}
"""

RESCHEDULE = """\
---
title: Moving the payment date
shortcut: reschedule
---
See [Paying by invoice](../oplata/schet.md).
"""


def write_project(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "config.yml").write_text(CONFIG, encoding="utf-8")
    for rel, text in files.items():
        target = root / "content" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root / "config.yml"


def replies_of(site: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((site / "_data/replies.json").read_text(encoding="utf-8"))
    return data


def errors_of(config: Path) -> list[str]:
    return [str(p) for p in load_project(config).errors]


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPCENTER_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))


# --- the output -------------------------------------------------------------------------------


def test_replies_json_holds_chat_ready_text_and_absolute_links(tmp_path: Path) -> None:
    config = write_project(tmp_path / "p", {**ARTICLES, "ru/_replies/perenos.md": PERENOS,
                                            "en/_replies/reschedule.md": RESCHEDULE})
    build(config, tmp_path / "site")
    assert replies_of(tmp_path / "site") == {"version": 1, "replies": [
        {
            "lang": "en",
            "id": "en/reschedule",
            "title": "Moving the payment date",
            "shortcut": "reschedule",
            "tags": [],
            "body": "See Paying by invoice (https://help.example.com/en/oplata/schet/).",
            "links": [{"title": "Paying by invoice",
                       "url": "https://help.example.com/en/oplata/schet/"}],
            "source": "content/en/_replies/reschedule.md",
        },
        {
            "lang": "ru",
            "id": "ru/perenos",
            "title": "Перенос даты оплаты",
            "shortcut": "перенос",
            "tags": ["оплата", "счёт"],
            "body": "Здравствуйте, {{reader_name}}!\n\n"
                    "Выставьте новый счёт: см. инструкцию "
                    "(https://help.example.com/ru/oplata/schet/#get-invoice).\n\n"
                    "- счёт действует 5 дней;\n"
                    "- данные сохранятся.\n\n"
                    "Пишите на help@example.com или в Telegram (https://t.me/buh_help). "
                    "{{operator_name}}",
            "links": [{"title": "Оплата по счёту",
                       "url": "https://help.example.com/ru/oplata/schet/#get-invoice"}],
            "source": "content/ru/_replies/perenos.md",
        },
    ]}


def test_a_rebuild_writes_the_same_bytes(tmp_path: Path) -> None:
    config = write_project(tmp_path / "p", {**ARTICLES, "ru/_replies/perenos.md": PERENOS,
                                            "ru/_replies/a.md": RESCHEDULE.replace(
                                                "reschedule", "аааа")})
    build(config, tmp_path / "site")
    first = (tmp_path / "site/_data/replies.json").read_bytes()
    build(config, tmp_path / "site", force=True)
    assert (tmp_path / "site/_data/replies.json").read_bytes() == first
    shortcuts = [r["shortcut"] for r in replies_of(tmp_path / "site")["replies"]]
    assert shortcuts == ["аааа", "перенос"]  # sorted by language, then shortcut


def test_a_project_without_replies_ships_an_empty_list(tmp_path: Path) -> None:
    build(write_project(tmp_path / "p", ARTICLES), tmp_path / "site")
    assert replies_of(tmp_path / "site") == {"version": 1, "replies": []}


def test_replies_are_not_pages_search_documents_or_sitemap_entries(tmp_path: Path) -> None:
    config = write_project(tmp_path / "p", {**ARTICLES, "ru/_replies/perenos.md": PERENOS})
    site = tmp_path / "site"
    build(config, site)
    published = [p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()]
    assert not [p for p in published if "_replies" in p or "perenos" in p]
    for rel in ("sitemap.xml", "_data/articles.json", "ru/index.html", "ru/oplata/index.html"):
        text = (site / rel).read_text(encoding="utf-8")
        assert "perenos" not in text and "Перенос даты" not in text, rel
    search = "".join(p.read_text(encoding="utf-8") for p in (site / "_search").rglob("*.json"))
    assert "Выставьте" not in search and "Перенос даты" not in search
    assert [a.path for a in load_project(config).sites["ru"].articles] == ["oplata/schet"]


# --- checks -----------------------------------------------------------------------------------


def test_every_problem_of_a_reply_is_reported_with_file_and_line(tmp_path: Path) -> None:
    config = write_project(tmp_path / "p", {
        **ARTICLES,
        "ru/_replies/bez-zagolovka.md": "---\nshortcut: zagolovok\n---\nТекст.\n",
        "ru/_replies/pustoj.md": "---\ntitle: ''\nshortcut: ''\n---\nТекст.\n",
        "ru/_replies/bez-shortcut.md": "---\ntitle: Без шортката\n---\nТекст.\n",
        "ru/_replies/dva-slova.md": "---\ntitle: Два слова\nshortcut: два слова\n---\nТекст.\n",
        "ru/_replies/ssylki.md": "---\ntitle: Ссылки\nshortcut: ssylki\n---\nПервая строка.\n\n"
                                 "См. [нет такой](../oplata/net.md).\n"
                                 "И [якорь](../oplata/schet.md#net).\n",
        "ru/_replies/peremennye.md": "---\ntitle: Для {{client}}\nshortcut: var\n---\n"
                                     "Привет, {{reader_name}}.\n\nВаш {{ order_id }}.\n",
    })
    assert errors_of(config) == [
        "content/ru/_replies/bez-shortcut.md:2: shortcut: missing (required: the word an "
        "operator types to find this reply, e.g. 'shortcut: refund')",
        "content/ru/_replies/bez-zagolovka.md:2: title: missing (required)",
        "content/ru/_replies/dva-slova.md:3: shortcut: 'два слова' must be one word (letters "
        "and digits; - _ . + inside it)",
        "content/ru/_replies/peremennye.md:2: unknown variable {{client}} (known: "
        "{{reader_name}}, {{operator_name}})",
        "content/ru/_replies/peremennye.md:7: unknown variable {{ order_id }} (known: "
        "{{reader_name}}, {{operator_name}})",
        "content/ru/_replies/pustoj.md:2: title: must not be empty",
        "content/ru/_replies/pustoj.md:3: shortcut: must not be empty",
        "content/ru/_replies/ssylki.md:7: broken link: ../oplata/net.md (no such article: "
        "../oplata/net.md)",
        "content/ru/_replies/ssylki.md:8: broken anchor: #net is not a heading of "
        "content/ru/oplata/schet.md",
    ]


def test_check_and_build_report_reply_errors_and_build_writes_nothing(tmp_path: Path) -> None:
    config = write_project(tmp_path / "p", {
        **ARTICLES, "ru/_replies/x.md": "---\ntitle: X\nshortcut: x\n---\n[a](../net.md)\n"})
    done = subprocess.run([sys.executable, "build.py", "check", "--config", str(config)],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 1
    assert "content/ru/_replies/x.md:5: broken link: ../net.md" in done.stdout + done.stderr
    with pytest.raises(ContentError) as raised:
        build(config, tmp_path / "site")
    assert [p.path for p in raised.value.problems] == ["content/ru/_replies/x.md"]
    assert not (tmp_path / "site").exists()


@pytest.mark.parametrize("first, second", [
    ("Перенос", "перенос"),  # case
    ("ПЕРЕНОС", "перенос"),
    ("ёлка", "е\u0308лка"),  # composed ё and е + combining diaeresis
    ("Ёлка", "е\u0308лка"),  # both at once
])
def test_a_shortcut_may_not_repeat_in_a_language_ignoring_case_and_nfc(
        tmp_path: Path, first: str, second: str) -> None:
    config = write_project(tmp_path / "p", {
        **ARTICLES,
        "ru/_replies/a.md": f"---\ntitle: A\nshortcut: {first}\n---\nТекст.\n",
        "ru/_replies/b.md": f"---\ntitle: B\nshortcut: {second}\n---\nТекст.\n",
        "en/_replies/b.md": f"---\ntitle: B\nshortcut: {second}\n---\nText.\n",  # another lang
    })
    assert errors_of(config) == [
        f"content/ru/_replies/b.md:3: shortcut: '{second}' is already used by "
        "content/ru/_replies/a.md:3 (shortcuts are compared ignoring case)"]


def test_an_overlong_reply_is_an_error(tmp_path: Path) -> None:
    config = write_project(tmp_path / "p", {
        **ARTICLES, "ru/_replies/dlinnyj.md": "---\ntitle: Длинный\nshortcut: long\n---\n"
                                              + "Слово. " * 700 + "\n"})
    [error] = errors_of(config)
    assert error.startswith("content/ru/_replies/dlinnyj.md:5: the reply is 4899 characters")


# --- drafts -----------------------------------------------------------------------------------


def test_drafts_are_left_out_of_a_build_and_kept_in_a_preview(tmp_path: Path) -> None:
    draft = PERENOS.replace("tags:", "draft: true\ntags:")
    config = write_project(tmp_path / "p", {**ARTICLES, "ru/_replies/perenos.md": draft})
    build(config, tmp_path / "site")
    assert replies_of(tmp_path / "site")["replies"] == []
    build(config, tmp_path / "preview", include_drafts=True)
    assert [r["id"] for r in replies_of(tmp_path / "preview")["replies"]] == ["ru/perenos"]


# --- serve: incremental rebuilds ----------------------------------------------------------------


@pytest.fixture
def live(tmp_path: Path) -> LiveSite:
    config = write_project(tmp_path / "p", {**ARTICLES, "ru/_replies/perenos.md": PERENOS})
    site = LiveSite(config.resolve(), tmp_path / "site")
    report = site.full_build()
    assert report.project is not None and report.project.errors == []
    return site


def content_file(live: LiveSite, rel: str) -> Path:
    return live.config_path.parent / "content" / rel


def test_editing_a_reply_rewrites_only_replies_json(live: LiveSite) -> None:
    source = content_file(live, "ru/_replies/perenos.md")
    source.write_text(PERENOS.replace("Здравствуйте", "Добрый день"), encoding="utf-8")
    result = live.rebuild({source})
    assert not result.full and result.problems == []
    assert result.pages == ["_data/replies.json"]
    assert replies_of(live.out_dir)["replies"][0]["body"].startswith("Добрый день")


def test_adding_and_deleting_a_reply_need_no_full_build(live: LiveSite) -> None:
    added = content_file(live, "ru/_replies/novyj.md")
    added.write_text("---\ntitle: Новый\nshortcut: новый\n---\nТекст.\n", encoding="utf-8")
    result = live.rebuild({added})
    assert not result.full and result.pages == ["_data/replies.json"]
    assert [r["id"] for r in replies_of(live.out_dir)["replies"]] == ["ru/novyj", "ru/perenos"]
    added.unlink()
    result = live.rebuild({added})
    assert not result.full
    assert [r["id"] for r in replies_of(live.out_dir)["replies"]] == ["ru/perenos"]


def test_a_broken_reply_in_serve_is_reported_and_the_last_good_file_stays(
        live: LiveSite) -> None:
    source = content_file(live, "ru/_replies/perenos.md")
    before = (live.out_dir / "_data/replies.json").read_bytes()
    source.write_text(PERENOS.replace("{{operator_name}}", "{{operator}}"), encoding="utf-8")
    result = live.rebuild({source})
    assert [str(p) for p in result.problems] == [
        "content/ru/_replies/perenos.md:13: unknown variable {{operator}} (known: "
        "{{reader_name}}, {{operator_name}})"]
    assert (live.out_dir / "_data/replies.json").read_bytes() == before


def test_editing_a_linked_article_rechecks_the_reply(live: LiveSite) -> None:
    article = content_file(live, "ru/oplata/schet.md").resolve()
    article.write_text(ARTICLES["ru/oplata/schet.md"].replace("{#get-invoice}", "{#invoice}")
                       .replace("Оплата по счёту", "Счёт"), encoding="utf-8")
    result = live.rebuild({article})
    assert not result.full
    assert [str(p) for p in result.problems] == [
        "content/ru/_replies/perenos.md:8: broken anchor: #get-invoice is not a heading of "
        "content/ru/oplata/schet.md"]
    article.write_text(ARTICLES["ru/oplata/schet.md"].replace("Оплата по счёту", "Счёт"),
                       encoding="utf-8")
    result = live.rebuild({article})
    assert result.problems == []
    # the link's title is the article's, so a new title reaches replies.json too
    assert replies_of(live.out_dir)["replies"][0]["links"][0]["title"] == "Счёт"


def test_deleting_a_linked_article_makes_the_reply_link_an_error(live: LiveSite) -> None:
    article = content_file(live, "ru/oplata/schet.md").resolve()
    article.unlink()
    with pytest.raises(ContentError) as raised:
        live.rebuild({article})
    assert [str(p) for p in raised.value.problems] == [
        "content/ru/_replies/perenos.md:8: broken link: ../oplata/schet.md (no such "
        "article: ../oplata/schet.md)"]


# --- the sample help center ---------------------------------------------------------------------


def test_the_sample_help_center_ships_its_saved_replies(tmp_path: Path) -> None:
    sample = tmp_path / "sample"
    sample.mkdir()
    shutil.copy(ROOT / "config.yml", sample / "config.yml")
    for name in ("content", "brand"):
        shutil.copytree(ROOT / name, sample / name)
    report = build(sample / "config.yml", tmp_path / "site")
    assert report.project is not None and report.project.problems == []
    replies = {r["id"]: r for r in replies_of(tmp_path / "site")["replies"]}
    assert len([i for i in replies if i.startswith("ru/")]) >= 5
    assert len([i for i in replies if i.startswith("en/")]) >= 5
    perenos = replies["ru/perenos"]
    assert perenos["shortcut"] == "перенос"
    assert perenos["links"] == [{"title": "Оплата по счёту", "url":
                                 "https://help.buh-online.example/ru/oplata/schet/#get-invoice"}]
    assert "(https://help.buh-online.example/ru/oplata/schet/#get-invoice)" in perenos["body"]
    assert "{{reader_name}}" in perenos["body"] and "{{operator_name}}" in perenos["body"]
    assert replies["en/reschedule"]["shortcut"] == "reschedule"
    assert sum("{{" in r["body"] for r in replies.values()) >= 2


# --- the body as a chat message -----------------------------------------------------------------


RICH = """\
---
title: Всё сразу
shortcut: rich
---
## Что сделать

1. Откройте «Настройки».
2. Нажмите **Выставить счёт**:
   - по почте;
   - в PDF.

::: warning Важно
Платите со счёта *той же* организации.
:::

```text
Оплата по счёту № БО-1
```

| Тариф | Цена |
|---|---|
| Старт | 990 ₽ |

Строка\\
с переносом и <https://пример.рф/путь>, [](https://example.com/x).
"""


def test_markdown_structure_survives_as_plain_text(tmp_path: Path) -> None:
    config = write_project(tmp_path / "p", {**ARTICLES, "ru/_replies/rich.md": RICH})
    build(config, tmp_path / "site")
    [reply] = replies_of(tmp_path / "site")["replies"]
    assert reply["body"] == (
        "Что сделать\n\n"
        "1. Откройте «Настройки».\n"
        "2. Нажмите Выставить счёт:\n"
        "   - по почте;\n"
        "   - в PDF.\n\n"
        "Важно\n\n"
        "Платите со счёта той же организации.\n\n"
        "Оплата по счёту № БО-1\n\n"
        "Тариф | Цена\n"
        "Старт | 990 ₽\n\n"
        "Строка\n"
        "с переносом и https://пример.рф/путь, https://example.com/x.")
    assert reply["links"] == []  # external links are in the text only


def test_without_a_base_url_links_are_site_relative_and_a_warning_says_why(
        tmp_path: Path) -> None:
    config = write_project(tmp_path / "p", {**ARTICLES, "ru/_replies/perenos.md": PERENOS})
    config.write_text("site: {title: T}\nlanguages: [ru, en]\n", encoding="utf-8")
    project = load_project(config)
    assert project.errors == []
    [warning] = project.warnings
    assert warning.path.endswith("config.yml") and warning.message == (
        "site.base_url is not set, so saved replies link to articles from the site root "
        "(/ru/...), which a reader's chat can't open; set it to the site's public address")
    assert project.replies[0].links[0].url == "/ru/oplata/schet/#get-invoice"
