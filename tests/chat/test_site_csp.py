"""The site the sidecar serves runs no inline script: an article carrying one (the review's
attack: read the inbox, post a reply as the logged-in operator) does nothing in chromium."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from playwright.async_api import async_playwright
from support.chat import (
    PASSWORD,
    ServerThread,
    add_operator_sync,
    free_port,
    make_settings,
    make_site,
    open_reader,
    recv,
    send,
)
from support.env import CHROMIUM_FLAGS, chromium_executable, require

from chat_server.app import OPERATOR_CSP
from chat_server.site_csp import default_policy

# What the review's article did once an operator opened it in the same browser.
ATTACK = """<script>
window.__ran = 1;
fetch("/api/operator/me").then(r => r.json()).then(me =>
  fetch("/api/operator/inbox?view=all").then(r => r.json()).then(inbox =>
    Promise.all(inbox.conversations.map(c =>
      fetch("/api/operator/conversations/" + c.id + "/reply", {method: "POST",
        headers: {"Content-Type": "application/json", "X-CSRF-Token": me.csrf},
        body: JSON.stringify({body: "pwned", client_id: "pwned-" + c.id})})))))
  .then(() => { window.__ran = 2; });
</script>"""
ARTICLE = "ru/nds/deklaraciya/index.html"


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


def assert_no_inline_script(policy: str) -> None:
    found = directives(policy)
    script = found.get("script-src", found.get("default-src"))
    assert script is not None and "'unsafe-inline'" not in script
    assert "'unsafe-eval'" not in script and "*" not in script
    assert found["object-src"] == ["'none'"]


async def test_site_pages_carry_a_policy_without_inline_script(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "ru").mkdir(parents=True)
    (site / "ru" / "index.html").write_text("<h1>Справка</h1>", encoding="utf-8")
    settings = make_settings(tmp_path, site_dir=site, url="https://chat.example.com/")
    server = await asyncio.to_thread(ServerThread(settings).start)
    try:
        async with httpx.AsyncClient(base_url=server.http) as client:
            page = await client.get("/ru/")
            assert page.status_code == 200
            policy = page.headers["content-security-policy"]
            assert policy == default_policy(settings)
            assert_no_inline_script(policy)
            assert "https://chat.example.com" in directives(policy)["script-src"]
            assert "wss://chat.example.com" in directives(policy)["connect-src"]
            # The site's own policy, once the build writes one, replaces the default.
            (site / "_data").mkdir()
            (site / "_data" / "csp.txt").write_text(
                "default-src 'self'; object-src 'none'; frame-ancestors 'self'\n",
                encoding="utf-8")
            again = await client.get("/ru/")
            assert again.headers["content-security-policy"] == (
                "default-src 'self'; object-src 'none'; frame-ancestors 'self'")
            operator = await client.get("/operator/")
            assert operator.headers["content-security-policy"] == OPERATOR_CSP
    finally:
        await asyncio.to_thread(server.stop)


def test_the_operator_page_is_never_framed() -> None:
    assert "frame-ancestors 'none'" in OPERATOR_CSP


@pytest.mark.browser
async def test_an_articles_inline_script_does_not_run_for_a_logged_in_operator(
        tmp_path: Path) -> None:
    executable = chromium_executable()
    require(executable is not None, "Debian's chromium is not installed")
    port = free_port()
    site = await asyncio.to_thread(make_site, tmp_path / "project", port)
    article = site / ARTICLE
    html = article.read_text(encoding="utf-8")
    article.write_text(html.replace("</body>", ATTACK + "</body>"), encoding="utf-8")
    settings = make_settings(tmp_path, url=f"http://127.0.0.1:{port}", site_dir=site,
                             languages=("ru",))
    add_operator_sync(settings, "anna@example.com", "Анна")
    server = await asyncio.to_thread(ServerThread(settings, port=port).start)
    reader, _ = await open_reader(server.ws)
    await send(reader, "message", client_id="q", body="Вопрос")
    conversation_id = (await recv(reader, "ack"))["conversation"]["id"]
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=executable,
                                                       headless=True, args=CHROMIUM_FLAGS)
            context = await browser.new_context()
            # Logged in in this browser: the session cookie rides along with the page's fetches.
            login = await context.request.post(
                f"{server.http}/api/operator/login",
                data={"email": "anna@example.com", "password": PASSWORD},
                headers={"Origin": server.http})
            assert login.status == 200
            page = await context.new_page()
            refused: list[str] = []
            page.on("console", lambda message: refused.append(message.text))
            await page.goto(f"{server.http}/{ARTICLE.removesuffix('index.html')}")
            await page.wait_for_selector(".hc-chat-launcher")  # the site's own scripts run
            await asyncio.sleep(0.5)
            assert await page.evaluate("() => window.__ran") is None
            assert any("Content Security Policy" in text for text in refused), refused
            await browser.close()
        async with httpx.AsyncClient(base_url=server.http) as client:
            me = await client.post("/api/operator/login",
                                   json={"email": "anna@example.com", "password": PASSWORD})
            assert me.status_code == 200
            detail = (await client.get(f"/api/operator/conversations/{conversation_id}")).json()
        assert [m["body"] for m in detail["messages"]] == ["Вопрос"]
    finally:
        await reader.close()
        await asyncio.to_thread(server.stop)
