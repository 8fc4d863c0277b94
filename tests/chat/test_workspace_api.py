"""The operator workspace's REST for scripts and the page: API tokens and roles, tags
(configured, added by an admin, automatic), the customer's profile and attributes pushed by
a back end, reminders falling due (on the page's socket and by mail), saved replies found by
keyword, and the help center's articles found by the site's own index."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from support.chat import (
    Inbox,
    Operator,
    ServerThread,
    add_operator_sync,
    free_port,
    make_settings,
    make_site,
    open_reader,
    recv,
    send,
)

from chat_server import auth
from chat_server.settings import ChatSettings

ROOT = Path(__file__).resolve().parents[2]
TAGS = ({"name": "возврат", "colour": "#dc2626", "description": {"*": "Деньги назад"}},)
TOPICS = ("idea", "help", "bug")


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
async def desk(tmp_path: Path, smtp: tuple[Inbox, int]) -> Any:
    """A sidecar over a built one-article site, Анна an admin, Борис an agent."""
    site = make_site(tmp_path / "project", free_port())
    replies = site / "_data" / "replies.json"
    replies.write_text(json.dumps({"version": 1, "replies": [
        {"lang": "ru", "id": "ru/perenos", "title": "Перенос даты оплаты", "shortcut": "перенос",
         "tags": ["оплата"], "body": "{{reader_name}}, дату можно перенести: Оплата "
         "(https://help.example.com/ru/oplata/).", "links": [], "source": "x.md"},
        {"lang": "ru", "id": "ru/privet", "title": "Приветствие", "shortcut": "привет",
         "tags": [], "body": "Здравствуйте!", "links": [], "source": "y.md"},
        {"lang": "en", "id": "en/reschedule", "title": "Moving a payment date",
         "shortcut": "reschedule", "tags": [], "body": "Sure.", "links": [], "source": "z.md"},
    ]}, ensure_ascii=False), encoding="utf-8")
    settings = make_settings(tmp_path, site_dir=site, tags=TAGS, topics=TOPICS,
                             smtp_url=f"smtp://127.0.0.1:{smtp[1]}",
                             email_from="help@example.com")
    add_operator_sync(settings, "anna@example.com", "Анна", ("support",), role="admin")
    add_operator_sync(settings, "boris@example.com", "Борис", ("support",))
    server = await asyncio.to_thread(ServerThread(settings).start)
    yield server
    await asyncio.to_thread(server.stop)


def cli(settings: ChatSettings, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m chat_server` on a config.yml whose data folder is the test's."""
    config = settings.data_dir / "config.yml"
    config.write_text(f"site:\n  title: T\nchat:\n  data_dir: {settings.data_dir}\n",
                      encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "chat_server", "--config", str(config), *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=60, check=False)


async def reader_asks(server: ServerThread, body: str, **message: Any) -> tuple[Any, int]:
    hello = message.pop("hello", {})
    ws, _ = await open_reader(server.ws, **hello)
    await send(ws, "message", client_id="c-" + body[:10], body=body, **message)
    return ws, (await recv(ws, "ack"))["conversation"]["id"]


# --- tokens and roles ----------------------------------------------------------------------
async def test_a_token_printed_once_acts_without_csrf_until_revoked(desk: ServerThread) -> None:
    made = await asyncio.to_thread(cli, desk.settings, "add-token", "--operator",
                                   "boris@example.com", "--label", "CRM")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip().splitlines()[-1]
    assert token.startswith("hct_")
    listed = (await asyncio.to_thread(cli, desk.settings, "list-tokens")).stdout
    assert "boris@example.com\tCRM\tlive" in listed and token not in listed
    stored = (desk.settings.data_dir / "chat.db").read_bytes()
    assert token.encode() not in stored  # only its hash is kept
    bearer = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=desk.http, headers=bearer) as client:
        put = await client.put("/api/operator/customers/u-42",
                               json={"attributes": {"plan": "Pro"}})
        assert put.status_code == 200, put.text  # no CSRF header, no cookie
        assert put.json()["reader"]["attributes"] == {"plan": "Pro"}
        # Boris is an agent: tags of the team are an admin's.
        refused = await client.post("/api/operator/tags", json={"name": "vip"})
        assert refused.status_code == 403 and refused.json()["error"] == "admin_only"
        wrong = await client.get("/api/operator/inbox",
                                 headers={"Authorization": "Bearer hct_" + "x" * 43})
        assert wrong.status_code == 401 and wrong.json()["error"] == "bad_token"
        token_id = listed.split("\t")[0]
        revoked = await asyncio.to_thread(cli, desk.settings, "revoke-token", token_id)
        assert revoked.returncode == 0, revoked.stderr
        assert (await client.get("/api/operator/inbox")).status_code == 401


async def test_an_admin_adds_tags_an_agent_cannot(desk: ServerThread) -> None:
    anna = await Operator.login(desk, "anna@example.com")
    boris = await Operator.login(desk, "boris@example.com")
    assert anna.me["role"] == "admin" and boris.me["role"] == "agent"
    added = await anna.post("/api/operator/tags", name="  VIP  Клиент ", colour="#16A34A",
                            description="<b>важный</b>")
    assert added.status_code == 200 and added.json()["tag"]["name"] == "vip клиент"
    assert (await boris.post("/api/operator/tags", name="spam")).status_code == 403
    bad = await anna.post("/api/operator/tags", name="kind:bug")
    assert bad.status_code == 400
    catalog = (await boris.client.get("/api/operator/tags")).json()["tags"]
    by_name = {t["name"]: t for t in catalog}
    assert by_name["возврат"]["source"] == "config" and by_name["возврат"]["colour"] == "#dc2626"
    assert by_name["vip клиент"]["colour"] == "#16a34a"
    assert by_name["kind:bug"]["source"] == "auto"
    assert (await boris.send("DELETE", "/api/operator/tags/vip клиент")).status_code == 403
    assert (await anna.send("DELETE", "/api/operator/tags/vip клиент")).status_code == 200
    await anna.close()
    await boris.close()


# --- tags on conversations -----------------------------------------------------------------
async def test_new_conversations_get_automatic_tags(desk: ServerThread) -> None:
    anna = await Operator.login(desk, "anna@example.com")
    first, first_id = await reader_asks(desk, "Нашёл ошибку", topic="bug",
                                        context={"search": "ндс возврат"})
    tags = (await anna.client.get(f"/api/operator/conversations/{first_id}")).json()[
        "conversation"]["tags"]
    assert set(tags) == {"first-contact", "kind:bug", "failed-search"}
    await send(first, "message", client_id="x2", body="ещё", conversation_id=first_id)
    await recv(first, "ack")
    sad, sad_id = await reader_asks(desk, "Статья не помогла",
                                    article={"id": "nds/deklaraciya", "lang": "ru",
                                             "rating": "sad"},
                                    hello={"user_id": "u-7", "user_hash": auth.user_hash(
                                        "identity-secret", "u-7")})
    sad_tags = (await anna.client.get(f"/api/operator/conversations/{sad_id}")).json()[
        "conversation"]["tags"]
    assert {"first-contact", "sad-rating", "collection:nds"} <= set(sad_tags)
    await sad.close()
    again, again_id = await reader_asks(desk, "Снова я", hello={
        "user_id": "u-7", "user_hash": auth.user_hash("identity-secret", "u-7")})
    row_tags = (await anna.client.get(f"/api/operator/conversations/{again_id}")).json()[
        "conversation"]["tags"]
    assert "returning" in row_tags and "first-contact" not in row_tags
    for ws in (first, again):
        await ws.close()
    await anna.close()


async def test_tags_set_by_an_operator_filter_the_inbox_and_reach_pages(
        desk: ServerThread) -> None:
    anna = await Operator.login(desk, "anna@example.com")
    boris = await Operator.login(desk, "boris@example.com")
    watcher = await boris.socket()
    await recv(watcher, "welcome")
    reader_a, refund = await reader_asks(desk, "Верните деньги")
    reader_b, other = await reader_asks(desk, "Просто вопрос")
    put = await anna.send("PUT", f"/api/operator/conversations/{refund}/tags",
                          {"tags": ["Возврат", "first-contact", "<script>x</script>"]})
    assert put.status_code == 200, put.text
    assert put.json()["tags"] == ["first-contact", "возврат", "<script>x</script>"]
    heard = await recv(watcher, "tags")  # the automatic ones of each new conversation first
    while heard["conversation_id"] != refund or "возврат" not in heard["tags"]:
        heard = await recv(watcher, "tags")
    assert heard["tags"] == ["first-contact", "возврат", "<script>x</script>"]
    listed = (await boris.client.get("/api/operator/inbox?view=all&tag=возврат")).json()
    assert [r["id"] for r in listed["conversations"]] == [refund]
    assert "возврат" in listed["conversations"][0]["tags"]
    every = (await boris.client.get("/api/operator/inbox?view=all")).json()["conversations"]
    assert {r["id"] for r in every} == {refund, other}
    for bad in ({"tags": "возврат"}, {"tags": ["x" * 41]}, {"tags": ["a:b"]},
                {"tags": [1]}, {"tags": ["t"] * 31}):
        assert (await anna.send("PUT", f"/api/operator/conversations/{refund}/tags",
                                bad)).status_code == 400, bad
    assert (await anna.send("PUT", "/api/operator/conversations/999999/tags",
                            {"tags": []})).status_code == 404
    history = (await anna.client.get(f"/api/operator/conversations/{refund}")).json()["actions"]
    assert any(a["kind"] == "tagged" for a in history)
    for ws in (reader_a, reader_b, watcher):
        await ws.close()
    await anna.close()
    await boris.close()


# --- the customer --------------------------------------------------------------------------
async def test_a_back_end_pushes_attributes_and_the_profile_shows_the_path(
        desk: ServerThread) -> None:
    anna = await Operator.login(desk, "anna@example.com")
    hello = {"user_id": "u-1", "user_hash": auth.user_hash("identity-secret", "u-1"),
             "attributes": {"plan": "Start"}}
    ws, conversation_id = await reader_asks(desk, "Здравствуйте", hello=hello)
    path = "/api/operator/customers/u-1"
    pushed = await anna.send("PUT", path, {"attributes": {
        "paid_until": "2027-01-31", "crm": "<img src=x onerror=alert(1)>", "x" * 100: "long",
        "nested": {"no": 1}}, "email": "client@example.com"})
    assert pushed.status_code == 200, pushed.text
    attributes = pushed.json()["reader"]["attributes"]
    assert attributes["plan"] == "Start" and attributes["paid_until"] == "2027-01-31"
    assert attributes["crm"] == "<img src=x onerror=alert(1)>"  # stored as text, shown as text
    assert "nested" not in attributes and "x" * 64 in attributes
    removed = await anna.send("PUT", path, {"attributes": {"plan": None}})
    assert "plan" not in removed.json()["reader"]["attributes"]
    assert (await anna.send("PUT", path, {"email": "not an email"})).status_code == 400
    assert (await anna.send("PUT", path, {"attributes": [1]})).status_code == 400
    reader_id = removed.json()["reader"]["id"]
    note = await anna.post(f"/api/operator/readers/{reader_id}/notes",
                           body="Юрлицо, платит по счёту")
    assert note.status_code == 200
    assert (await anna.post(f"/api/operator/readers/{reader_id}/notes",
                            body="x" * 2001)).status_code == 400
    await anna.send("PUT", f"/api/operator/conversations/{conversation_id}/tags",
                    {"tags": ["возврат"]})
    profile = (await anna.client.get(f"/api/operator/readers/{reader_id}")).json()
    assert profile["reader"]["email"] == "client@example.com"
    assert [n["body"] for n in profile["notes"]] == ["Юрлицо, платит по счёту"]
    assert profile["conversations"][0]["id"] == conversation_id
    assert profile["conversations"][0]["tags"] == ["возврат"]
    # The next identify() from the widget keeps what the back end pushed.
    await ws.close()
    again, _ = await open_reader(desk.ws, **{**hello, "attributes": {"plan": "Pro"}})
    fresh = (await anna.client.get(path)).json()["reader"]["attributes"]
    assert fresh["plan"] == "Pro" and fresh["paid_until"] == "2027-01-31"
    note_path = f"/api/operator/readers/{reader_id}/notes/{note.json()['note']['id']}"
    boris = await Operator.login(desk, "boris@example.com")  # an agent, not its author
    refused = await boris.send("DELETE", note_path)
    assert (refused.status_code, refused.json()["error"]) == (403, "not_yours")
    assert len((await anna.client.get(f"/api/operator/readers/{reader_id}")).json()["notes"]) == 1
    await boris.close()
    gone = await anna.send("DELETE", note_path)
    assert gone.status_code == 200
    assert (await anna.client.get("/api/operator/customers/nobody")).status_code == 404
    await again.close()
    await anna.close()


# --- reminders -----------------------------------------------------------------------------
async def test_a_reminder_falls_due_on_the_owners_page_and_by_mail(
        desk: ServerThread, smtp: tuple[Inbox, int]) -> None:
    inbox, _ = smtp
    anna = await Operator.login(desk, "anna@example.com")
    boris = await Operator.login(desk, "boris@example.com")
    page = await boris.socket()
    await recv(page, "welcome")
    ws, conversation_id = await reader_asks(desk, "Перезвоните в пятницу")
    due = int(time.time() * 1000) + 1500
    made = await anna.post("/api/operator/reminders", conversation_id=conversation_id,
                           owner_id=boris.me["id"], due_at=due, note="Уточнить оплату")
    assert made.status_code == 200, made.text
    told = await recv(page, "reminder")
    assert told["due"] is False
    fallen = await recv(page, "reminder", timeout=6)
    assert fallen["due"] is True and fallen["reminder"]["note"] == "Уточнить оплату"
    for _ in range(100):
        if inbox.messages:
            break
        await asyncio.sleep(0.05)
    [(rcpt, mail)] = inbox.messages
    assert rcpt == ["boris@example.com"] and "Уточнить оплату" in mail.get_content()
    mine = (await boris.client.get("/api/operator/reminders?due=overdue")).json()["reminders"]
    assert [r["note"] for r in mine] == ["Уточнить оплату"]
    assert (await anna.client.get("/api/operator/reminders?due=today")).json()["reminders"] == []
    everyone = (await anna.client.get("/api/operator/reminders?due=today&owner=any")).json()
    assert len(everyone["reminders"]) == 1
    reminder_id = made.json()["reminder"]["id"]
    moved = await boris.post(f"/api/operator/reminders/{reminder_id}",
                             due_at=int(time.time() * 1000) + 3 * 86_400_000)
    assert moved.status_code == 200
    assert (await boris.client.get("/api/operator/reminders?due=today")).json()["reminders"] == []
    done = await boris.post(f"/api/operator/reminders/{reminder_id}", done=True)
    assert done.json()["reminder"]["done_at"]
    assert (await boris.client.get("/api/operator/reminders?due=all")).json()["reminders"] == []
    for bad in ({"conversation_id": conversation_id, "due_at": "завтра"},
                {"conversation_id": conversation_id, "due_at": due, "note": "x" * 1001},
                {"reader_id": "nobody", "due_at": due},
                {"conversation_id": conversation_id, "due_at": due, "owner_id": 999}):
        assert (await anna.post("/api/operator/reminders", **bad)).status_code == 400, bad
    await ws.close()
    await page.close()
    await anna.close()
    await boris.close()


# --- saved replies and articles ------------------------------------------------------------
@pytest.mark.parametrize("typed", ["перенос", "#пере", "переноса", "пеернос", "gthtyjc",
                                   "оплат"])
async def test_a_keyword_finds_the_saved_reply(desk: ServerThread, typed: str) -> None:
    anna = await Operator.login(desk, "anna@example.com")
    found = (await anna.client.get("/api/operator/replies", params={
        "q": typed, "lang": "ru"})).json()["replies"]
    assert found and found[0]["shortcut"] == "перенос", (typed, found)
    assert "{{reader_name}}" in found[0]["body"]
    assert all(r["lang"] == "ru" for r in found)
    await anna.close()


async def test_personal_replies_are_the_operators_own(desk: ServerThread) -> None:
    anna = await Operator.login(desk, "anna@example.com")
    boris = await Operator.login(desk, "boris@example.com")
    made = await anna.post("/api/operator/replies", lang="ru", shortcut="#Счёт",
                           title="Счёт на оплату", body="Счёт отправила на почту.")
    assert made.status_code == 200, made.text
    assert made.json()["reply"]["shortcut"] == "счет"
    dup = await anna.post("/api/operator/replies", lang="ru", shortcut="счет", title="x",
                          body="y")
    assert dup.status_code == 409
    for bad in ({"lang": "de", "shortcut": "a", "title": "b", "body": "c"},
                {"lang": "ru", "shortcut": "два слова", "title": "b", "body": "c"},
                {"lang": "ru", "shortcut": "a", "title": "b", "body": "c" * 4001}):
        assert (await anna.post("/api/operator/replies", **bad)).status_code == 400, bad
    mine = (await anna.client.get("/api/operator/replies?lang=ru&q=счет")).json()["replies"]
    assert mine[0]["scope"] == "personal"
    theirs = (await boris.client.get("/api/operator/replies?lang=ru")).json()["replies"]
    assert all(r["scope"] == "team" for r in theirs)
    reply_id = int(made.json()["reply"]["id"].split(":")[1])
    assert (await boris.send("DELETE", f"/api/operator/replies/{reply_id}")).status_code == 404
    assert (await anna.send("DELETE", f"/api/operator/replies/{reply_id}")).status_code == 200
    await anna.close()
    await boris.close()


async def test_articles_for_a_reply_come_from_the_sites_index(desk: ServerThread) -> None:
    anna = await Operator.login(desk, "anna@example.com")
    for typed in ("декларация", "декларац", "подать декларацию", "деклорация"):
        found = (await anna.client.get("/api/operator/articles", params={
            "q": typed, "lang": "ru"})).json()["articles"]
        assert [a["title"] for a in found] == ["Как подать декларацию"], typed
        assert found[0]["url"].startswith("http")
        assert found[0]["url"].endswith("/ru/nds/deklaraciya/")
    none = (await anna.client.get("/api/operator/articles?q=трактор&lang=ru")).json()
    assert none["articles"] == []
    assert (await anna.client.get("/api/operator/articles?q=x&lang=zz")).status_code == 400
    await anna.close()
