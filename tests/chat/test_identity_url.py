"""chat.identity_url in headless chromium: the help center's own pages (no inline script, a
strict policy) learn who is logged in to the host product from its endpoint, with the reader's
cookies and CORS, before the widget's first hello; when the endpoint says no (401) or does not
answer in time, the chat works as before, anonymously."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

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
)
from support.env import CHROMIUM_FLAGS, chromium_executable, require

from chat_server import auth
from chat_server.settings import ChatSettings

pytestmark = pytest.mark.browser
SESSION = "app-session-of-42"  # the host product's login cookie
USER = {"user_id": "42", "name": "Анна Смирнова", "email": "anna.smirnova@example.com",
        "attributes": {"plan": "Pro", "paying": True}}


class IdentityEndpoint:
    """The host product's endpoint on a port of its own (another origin than the help
    center's): who is logged in, by their cookie, to the help center's origin only."""

    def __init__(self, site_origin: str, secret: str, answer: str) -> None:
        self.asked: list[dict[str, str]] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - stdlib signature
                endpoint.asked.append({"origin": self.headers.get("Origin", ""),
                                       "cookie": self.headers.get("Cookie", "")})
                if answer == "slow":
                    time.sleep(6)  # longer than the widget waits
                logged_in = f"app_session={SESSION}" in self.headers.get("Cookie", "")
                if answer == "identified" and logged_in:
                    user = {**USER, "user_hash": auth.user_hash(secret, USER["user_id"])}
                    self.reply(200, json.dumps(user).encode())
                else:
                    self.reply(401, b'{"error": "not logged in"}')

            def reply(self, status: int, body: bytes) -> None:
                self.send_response(status)
                if self.headers.get("Origin") == site_origin:
                    self.send_header("Access-Control-Allow-Origin", site_origin)
                    self.send_header("Access-Control-Allow-Credentials", "true")
                self.send_header("Vary", "Origin")
                self.send_header("Cache-Control", "no-store")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except OSError:  # the widget gave up waiting
                    pass

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/help-identity"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def chromium() -> Iterator[str]:
    executable = chromium_executable()
    require(executable is not None, "Debian's chromium is not installed")
    assert executable is not None
    yield executable


async def chat_once(executable: str, tmp_path: Path, answer: str
                    ) -> tuple[dict[str, Any], IdentityEndpoint, list[str], ChatSettings]:
    """Build the site with identity_url, serve it from the sidecar, send one message as a
    reader logged in to the product; the conversation as the operator sees it."""
    port = free_port()
    site_origin = f"http://127.0.0.1:{port}"
    endpoint = IdentityEndpoint(site_origin, make_settings(tmp_path).identity_secret, answer)
    site = await asyncio.to_thread(make_site, tmp_path / "project", port,
                                   f"  identity_url: {endpoint.url}\n")
    settings = make_settings(tmp_path, url=site_origin, site_dir=site, languages=("ru",))
    add_operator_sync(settings, "anna@example.com", "Анна")
    server = await asyncio.to_thread(ServerThread(settings, port=port).start)
    console: list[str] = []
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=executable,
                                                       headless=True, args=CHROMIUM_FLAGS)
            try:
                context = await browser.new_context(locale="ru-RU")
                # Logged in to the product: its cookie (cookies do not tell ports apart).
                await context.add_cookies([{"name": "app_session", "value": SESSION,
                                            "domain": "127.0.0.1", "path": "/"}])
                page = await context.new_page()
                page.on("console", lambda message: console.append(message.text))
                page.on("pageerror", lambda exc: console.append("pageerror " + str(exc)))
                await page.add_init_script("""
                    window.__violations = [];
                    document.addEventListener("securitypolicyviolation", e =>
                        window.__violations.push(e.effectiveDirective + " " + e.blockedURI));""")
                await page.goto(f"{site_origin}/ru/nds/deklaraciya/")
                await page.wait_for_selector(".hc-chat-launcher")
                assert endpoint.asked == []  # not before the reader opens the chat
                await page.click(".hc-chat-launcher")
                await page.fill(".hc-chat-compose textarea", "Где декларация?")
                await page.click(".hc-chat-send")
                await page.wait_for_selector(".hc-chat-mine .hc-chat-mark:text('✓')",
                                             timeout=15_000)
                assert await page.evaluate("() => window.__violations") == []
            finally:
                await browser.close()
        conversation = await asyncio.to_thread(operator_view, server)
    finally:
        await asyncio.to_thread(server.stop)
        endpoint.close()
    return conversation, endpoint, console, settings


def operator_view(server: ServerThread) -> dict[str, Any]:
    """The one conversation, as GET /api/operator/conversations/{id} gives it to Anna."""
    with httpx.Client(base_url=server.http) as client:
        client.post("/api/operator/login",
                    json={"email": "anna@example.com", "password": PASSWORD}).raise_for_status()
        inbox = client.get("/api/operator/inbox", params={"view": "all"}).json()
        [row] = inbox["conversations"]
        found = client.get(f"/api/operator/conversations/{row['id']}")
        found.raise_for_status()
        return dict(found.json())


def no_policy_complaints(console: list[str]) -> None:
    assert not [m for m in console if "Content Security Policy" in m or "pageerror" in m], console


async def test_a_reader_logged_in_to_the_product_is_identified(chromium: str,
                                                               tmp_path: Path) -> None:
    conversation, endpoint, console, settings = await chat_once(chromium, tmp_path, "identified")
    reader = conversation["reader"]
    assert reader["user_id"] == "42"
    assert reader["name"] == "Анна Смирнова"
    assert reader["attributes"] == {"plan": "Pro", "paying": True}
    assert [m["body"] for m in conversation["messages"]] == ["Где декларация?"]
    # Asked once, before the first hello, from the help center's origin, with the cookie.
    assert len(endpoint.asked) == 1
    assert endpoint.asked[0]["origin"] == settings.url
    assert f"app_session={SESSION}" in endpoint.asked[0]["cookie"]
    no_policy_complaints(console)


@pytest.mark.parametrize("answer", ["401", "slow"])
async def test_without_an_identity_the_chat_works_anonymously(chromium: str, tmp_path: Path,
                                                              answer: str) -> None:
    conversation, endpoint, console, _ = await chat_once(chromium, tmp_path, answer)
    reader = conversation["reader"]
    assert reader["user_id"] is None and reader["attributes"] == {}
    assert reader["name"] != "Анна Смирнова"
    assert [m["body"] for m in conversation["messages"]] == ["Где декларация?"]
    assert len(endpoint.asked) == 1
    no_policy_complaints(console)
