"""«Ответим в течение 15 минут после открытия, в четверг в 10:00»: the phrase a reader sees
when nobody is at work, built by the widget's reply-time.js in node from the opening moment
that hours.py computes — over a week of cases, in Russian and English, in the reader's own
time zone (the same opening is "today" in Tokyo and "tomorrow" in New York)."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import yaml
from support.env import ROOT, require

from chat_server.hours import BusinessHours

MOSCOW = ZoneInfo("Europe/Moscow")
SCRIPT = ROOT / "chat_server" / "static" / "widget" / "reply-time.js"
RUNNER = """
const api = require(process.argv[1]);
const cases = JSON.parse(require("fs").readFileSync(0, "utf8"));
const out = cases.map((c) => api.phrase({ nextOpen: c.next_open, now: new Date(c.now),
  minutes: c.minutes, lang: c.lang, timeZone: c.zone,
  t: (key) => c.strings["chat_" + key] || key }));
process.stdout.write(JSON.stringify(out));
"""


def strings(lang: str) -> dict[str, str]:
    """The theme's chat strings for `lang`, English where it has none (as the build does)."""
    folder = ROOT / "themes" / "default" / "i18n"
    english = yaml.safe_load((folder / "en" / "chat.yml").read_text(encoding="utf-8"))
    own = yaml.safe_load((folder / lang / "chat.yml").read_text(encoding="utf-8"))
    return {**english, **own}


def phrases(cases: list[dict[str, object]]) -> list[str]:
    node = shutil.which("node")
    require(node is not None, "node is not installed")
    assert node is not None
    done = subprocess.run([node, "-e", RUNNER, str(SCRIPT)], input=json.dumps(cases),
                          capture_output=True, text=True, check=True, timeout=30)
    return list(json.loads(done.stdout))


def case(now: datetime, workdays: tuple[int, ...], lang: str, zone: str = "Europe/Moscow",
         minutes: int = 15) -> dict[str, object]:
    hours = BusinessHours("Europe/Moscow", "10:00", "20:00", workdays, ())
    opening = hours.next_open(now)
    assert opening is not None and not hours.is_open(now)
    return {"now": now.isoformat(), "next_open": opening.isoformat(), "minutes": minutes,
            "lang": lang, "zone": zone, "strings": strings(lang)}


# Sunday 6 December 2026, 21:00 in Moscow, closed; the team works only on the day named.
SUNDAY_NIGHT = datetime(2026, 12, 6, 21, 0, tzinfo=MOSCOW)
WEEK = [
    ((1,), "завтра в 10:00", "tomorrow at 10:00"),
    ((2,), "во вторник в 10:00", "on Tuesday at 10:00"),
    ((3,), "в среду в 10:00", "on Wednesday at 10:00"),
    ((4,), "в четверг в 10:00", "on Thursday at 10:00"),
    ((5,), "в пятницу в 10:00", "on Friday at 10:00"),
    ((6,), "в субботу в 10:00", "on Saturday at 10:00"),
    ((7,), "13 декабря в 10:00", "on December 13 at 10:00"),  # a week away: the date
]


def test_every_day_of_the_week_in_russian_and_english() -> None:
    cases = [case(SUNDAY_NIGHT, days, lang) for days, _ru, _en in WEEK for lang in ("ru", "en")]
    got = phrases(cases)
    expected = [text for _days, ru, en in WEEK for text in (ru, en)]
    for phrase, when in zip(got, expected, strict=True):
        assert phrase.endswith(when + "."), (phrase, when)
    assert got[0] == ("Сейчас нас нет на месте — ответим в течение 15 минут после открытия, "
                      "завтра в 10:00.")
    assert got[1] == ("We are away now and will answer within 15 minutes after we open, "
                      "tomorrow at 10:00.")


def test_monday_from_saturday_and_today_before_opening() -> None:
    saturday = datetime(2026, 12, 5, 12, 0, tzinfo=MOSCOW)
    early_monday = datetime(2026, 12, 7, 8, 30, tzinfo=MOSCOW)
    got = phrases([case(saturday, (1, 2, 3, 4, 5), "ru"), case(saturday, (1, 2, 3, 4, 5), "en"),
                   case(early_monday, (1, 2, 3, 4, 5), "ru"), case(early_monday, (1,), "en")])
    assert got[0].endswith("в понедельник в 10:00.")
    assert got[1].endswith("on Monday at 10:00.")
    assert got[2].endswith("сегодня в 10:00.")
    assert got[3].endswith("today at 10:00.")


@pytest.mark.parametrize(("zone", "ru", "en"), [
    ("Asia/Yekaterinburg", "завтра в 12:00", "tomorrow at 12:00"),  # Monday 12:00 there
    ("Asia/Tokyo", "сегодня в 16:00", "today at 16:00"),  # already Monday 03:00 there
    ("America/New_York", "завтра в 02:00", "tomorrow at 02:00"),  # Sunday 13:00 there
    ("America/Los_Angeles", "сегодня в 23:00", "today at 23:00"),  # opens Sunday 23:00 there
])
def test_the_readers_time_zone_decides_the_day_and_the_hour(zone: str, ru: str, en: str) -> None:
    got = phrases([case(SUNDAY_NIGHT, (1,), "ru", zone), case(SUNDAY_NIGHT, (1,), "en", zone)])
    assert got[0].endswith(ru + "."), got[0]
    assert got[1].endswith(en + "."), got[1]


@pytest.mark.parametrize(("minutes", "ru", "en"), [
    (1, "в течение 1 минуты", "within 1 minute"),
    (2, "в течение 2 минут", "within 2 minutes"),
    (5, "в течение 5 минут", "within 5 minutes"),
    (21, "в течение 21 минуты", "within 21 minutes"),
    (30, "в течение 30 минут", "within 30 minutes"),
])
def test_minutes_agree_with_the_number(minutes: int, ru: str, en: str) -> None:
    got = phrases([case(SUNDAY_NIGHT, (1,), "ru", minutes=minutes),
                   case(SUNDAY_NIGHT, (1,), "en", minutes=minutes)])
    assert ru in got[0], got[0]
    assert en in got[1], got[1]
