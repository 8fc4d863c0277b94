"""Search hits as spreadsheets: CSV (UTF-8 with a BOM, so Excel reads Cyrillic) and XLSX.

Both have the same columns, in the operator's language. What readers wrote goes into cells
that a spreadsheet might run as a formula (`=HYPERLINK(...)`, `+1+cmd|...`): every text
cell that starts with = + - @, a tab or a carriage return gets a leading apostrophe, so it
stays text. An export holds at most EXPORT_CAP rows; when there were more, its last row
says so (and the response's headers, see conversation_search_api.py).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from chat_server.store import Record

EXPORT_CAP = 10_000
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

HEADERS = {
    "en": ("Conversation", "Customer", "Email", "User id", "Tags", "Operator", "Group",
           "State", "Created (UTC)", "Last activity (UTC)", "First message"),
    "ru": ("Разговор", "Клиент", "Почта", "ID пользователя", "Метки", "Оператор", "Группа",
           "Состояние", "Начат (UTC)", "Последняя активность (UTC)", "Первое сообщение"),
}
_TRUNCATED = {
    "en": "Only the first {cap} of {total} conversations are here: narrow the filters for "
          "the rest.",
    "ru": "Здесь только первые {cap} из {total} разговоров: сузьте фильтры, чтобы увидеть "
          "остальные.",
}


def safe_text(value: str) -> str:
    """A text cell no spreadsheet runs as a formula. Control characters go first (XLSX is
    XML and cannot hold them), so none can hide a leading = from the check."""
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _time(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).replace(tzinfo=None, microsecond=0)


def _row(hit: Record) -> list[Any]:
    reader, operator = hit["reader"], hit["operator"]
    texts = [reader["name"], reader["email"], reader["user_id"] or "", ", ".join(hit["tags"]),
             operator["name"] if operator else "", hit["group"], hit["state"]]
    return [hit["id"], *(safe_text(str(t)) for t in texts), _time(hit["created_at"]),
            _time(hit["updated_at"]), safe_text(hit["first_message"])]


def _note(total: int, shown: int, lang: str) -> str | None:
    return _TRUNCATED[lang].format(cap=shown, total=total) if total > shown else None


def to_csv(hits: Iterable[Record], total: int, lang: str = "en") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS[lang])
    shown = 0
    for hit in hits:
        row = _row(hit)
        row[8:10] = [t.strftime("%Y-%m-%d %H:%M") for t in row[8:10]]
        writer.writerow(row)
        shown += 1
    if note := _note(total, shown, lang):
        writer.writerow([note])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(hits: Iterable[Record], total: int, lang: str = "en") -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Conversations" if lang == "en" else "Разговоры")
    sheet.append(list(HEADERS[lang]))
    shown = 0
    for hit in hits:
        sheet.append(_row(hit))
        shown += 1
    if note := _note(total, shown, lang):
        sheet.append([note])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

