"""The widget follows the brand: the launcher, the reader's bubbles and the buttons take
config.yml's brand.primary_color (with text that reads on it), on the help center built with
that colour and on a product's own page that embeds the widget with README's snippet
("Embed the chat on your product"), served from another origin. In headless chromium; the
screenshots go to /tmp/h2-shots/."""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.async_api import Page, async_playwright
from support.chat import ServerThread, free_port, make_settings
from support.env import CHROMIUM_FLAGS, chromium_executable, require

from builder.pipeline import build

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/h2-shots")
TEAL, DARK = "#0f766e", "#1e1b4b"
CONFIG = re.compile(r'<script type="application/json" id="helpcenter-chat-config">(.*?)</script>')
WIDGET_SCRIPTS = re.compile(r'<script src="[^"]*/widget/[^"]*" defer></script>')


def rgb(hex_colour: str) -> str:
    red, green, blue = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


def brand_site(root: Path, port: int, primary: str) -> Path:
    """A one-article help center whose brand colour is `primary`, with the chat on `port`."""
    (root / "content" / "ru" / "nds").mkdir(parents=True)
    (root / "config.yml").write_text(
        "site:\n  title: Справка\nlanguages: [ru]\n"
        f"brand:\n  primary_color: \"{primary}\"\n  accent_color: \"#f59e0b\"\n"
        f"chat:\n  url: http://127.0.0.1:{port}\n", encoding="utf-8")
    (root / "content" / "ru" / "nds" / "_index.md").write_text(
        "---\ntitle: НДС\n---\n", encoding="utf-8")
    (root / "content" / "ru" / "nds" / "deklaraciya.md").write_text(
        "---\ntitle: Как подать декларацию\n---\n\nПодайте её до 25 числа.\n", encoding="utf-8")
    build(root / "config.yml", root / "site", force=True)
    return root / "site"


def host_page(site: Path, chat: str, primary: str, only_widget: bool) -> str:
    """A product's page with README's snippet: the config (with the help center's absolute
    URLs and the product's own brand) and the widget's script tags, copied from a built page;
    `only_widget`: just widget.js, which loads what it needs."""
    built = (site / "ru" / "nds" / "deklaraciya" / "index.html").read_text(encoding="utf-8")
    found = CONFIG.search(built)
    assert found is not None
    config = json.loads(found.group(1))
    config.update(root=f"{chat}/", search_url=f"{chat}/ru/search/", article=None,
                  brand={"primary": primary})
    snippet = json.dumps(config, ensure_ascii=False).replace("</", "<\\/")
    tags = WIDGET_SCRIPTS.findall(built)
    assert any("/widget/reply-time.js" in tag for tag in tags)
    scripts = "\n".join(tag for tag in tags if not only_widget or "/widget/widget.js" in tag)
    return (f"<!doctype html><html lang=ru><head><meta charset=utf-8><title>Кабинет</title>"
            f"</head><body style='font-family: sans-serif'><h1>Личный кабинет</h1>"
            f"<script type=\"application/json\" id=\"helpcenter-chat-config\">{snippet}</script>"
            f"\n{scripts}\n</body></html>")


@contextmanager
def serve(html: str) -> Iterator[str]:
    """The product's own site: one page, on its own origin."""
    body = html.encode()

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - stdlib signature
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            return None

    httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), Page)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        thread.join()


async def colours(page: Page, selector: str) -> tuple[str, str]:
    found = await page.eval_on_selector(
        selector, "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).color]")
    return str(found[0]), str(found[1])


async def ask_and_check(page: Page, primary: str, on_primary: str, shot: str) -> None:
    await page.wait_for_selector(".hc-chat-launcher")
    assert await colours(page, ".hc-chat-launcher") == (rgb(primary), rgb(on_primary))
    await page.click(".hc-chat-launcher")
    await page.wait_for_selector(".hc-chat-status:not(:text-is('Подключение…'))")
    await page.fill(".hc-chat-compose textarea", "Где счёт за декабрь?")
    await page.click(".hc-chat-send")
    await page.wait_for_selector(".hc-chat-mine .hc-chat-mark:text('✓')")
    assert await colours(page, ".hc-chat-mine") == (rgb(primary), rgb(on_primary))
    assert await colours(page, ".hc-chat-send") == (rgb(primary), rgb(on_primary))
    await page.screenshot(path=str(SHOTS / shot))


@pytest.mark.parametrize(("primary", "name"), [(TEAL, "teal"), (DARK, "dark")])
async def test_the_widget_wears_the_brand_here_and_on_a_product_page(
        tmp_path: Path, primary: str, name: str) -> None:
    executable = chromium_executable()
    require(executable is not None, "Debian's chromium is not installed")
    SHOTS.mkdir(exist_ok=True)
    port = free_port()
    site = await asyncio.to_thread(brand_site, tmp_path / "project", port, primary)
    chat = f"http://127.0.0.1:{port}"
    product_brand = "#fde047" if name == "teal" else primary  # a light one reads dark text
    with serve(host_page(site, chat, product_brand, only_widget=name == "dark")) as product:
        settings = make_settings(tmp_path, url=chat, site_dir=site, languages=("ru",),
                                 allowed_origins=(product,))
        server = await asyncio.to_thread(ServerThread(settings, port=port).start)
        try:
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(
                    executable_path=executable, headless=True, args=CHROMIUM_FLAGS)
                try:
                    context = await browser.new_context(locale="ru-RU")
                    page = await context.new_page()
                    await page.goto(f"{chat}/ru/nds/deklaraciya/")
                    await ask_and_check(page, primary, "#ffffff", f"brand-{name}-help-center.png")
                    embedded = await (await browser.new_context(locale="ru-RU")).new_page()
                    errors: list[str] = []
                    embedded.on("pageerror", lambda e: errors.append(str(e)))
                    await embedded.goto(f"{product}/account")
                    on = "#111827" if product_brand == "#fde047" else "#ffffff"
                    await ask_and_check(embedded, product_brand, on, f"brand-{name}-product.png")
                    assert errors == []
                finally:
                    await browser.close()
        finally:
            await asyncio.to_thread(server.stop)
