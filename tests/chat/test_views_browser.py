"""Article views and popular articles in headless chromium, on the sample help center built for
real with a running sidecar: one view per page view and none under Do Not Track or Global
Privacy Control, no cookie sent; the «Popular articles» block on the home page (as text, and
hidden without the sidecar or enough views); the operators' ratings tab with views and the
authors' names; the English byline in English."""

from __future__ import annotations

import asyncio
import functools
import json
import re
import shutil
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, Request, async_playwright, expect
from support.chat import PASSWORD, ServerThread, add_operator_sync, free_port, make_settings
from support.env import CHROMIUM_FLAGS, chromium_executable, require

from builder.pipeline import build
from chat_server import article_views
from chat_server.store import Store, open_store

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path("/tmp/h3-shots")
ARTICLE = "/ru/nds/kak-podat-deklaraciyu/"
HOSTILE = '<img src=x onerror="window.__pwned=1">Ставки'
# What a browser says when its reader turned on Do Not Track, or Global Privacy Control.
DNT = "Object.defineProperty(Navigator.prototype, 'doNotTrack', {get: () => '1'});"
GPC = "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true});"


@dataclass(frozen=True)
class Sample:
    site: Path
    port: int


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    """The project's own sample help center, its pages pointing at a sidecar on a free port,
    and one title made hostile in the manifest the sidecar reads."""
    project = tmp_path_factory.mktemp("views") / "sample"
    project.mkdir()
    for name in ("content", "brand"):
        shutil.copytree(ROOT / name, project / name)
    port = free_port()
    config = (ROOT / "config.yml").read_text(encoding="utf-8")
    config, changed = re.subn(r"(?m)^  url: http://127\.0\.0\.1:8000$",
                              f"  url: http://127.0.0.1:{port}", config)
    assert changed == 1, "the sample config.yml names its sidecar differently now"
    (project / "config.yml").write_text(config, encoding="utf-8")
    build(project / "config.yml", project / "site", force=True)
    manifest = project / "site" / "_data" / "articles.json"
    entries = json.loads(manifest.read_text(encoding="utf-8"))
    for entry in entries:
        if (entry["lang"], entry["id"]) == ("ru", "nds/stavki-nds"):
            entry["title"] = HOSTILE
    manifest.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    return Sample(project / "site", port)


@dataclass
class Running:
    server: ServerThread
    browser: Browser
    store: Store

    def url(self, path: str) -> str:
        return self.server.http + path

    async def reader(self, *scripts: str) -> Page:
        context = await self.browser.new_context(locale="ru-RU")
        for script in scripts:
            await context.add_init_script(script)
        # A cookie on the sidecar's origin (the sidecar serves the site here): the view
        # must not carry it.
        await context.add_cookies([{"name": "chat_session", "value": "operator-secret",
                                    "url": self.server.http}])
        page = await context.new_page()
        page.views = []  # type: ignore[attr-defined]
        page.on("request", lambda r: page.views.append(r)  # type: ignore[attr-defined]
                if r.url.endswith("/api/views") else None)
        return page

    async def views(self) -> dict[tuple[str, str], tuple[int, int]]:
        return await self.store.view_counts(0)


@pytest.fixture
async def running(tmp_path: Path, sample: Sample) -> AsyncIterator[Running]:
    executable = chromium_executable()
    require(executable is not None, "Debian's chromium is not installed")
    settings = make_settings(tmp_path, url=f"http://127.0.0.1:{sample.port}",
                             site_dir=sample.site)
    add_operator_sync(settings, "dmitry@example.com", "Дмитрий", ("support",), role="admin")
    server = await asyncio.to_thread(ServerThread(settings, port=sample.port).start)
    store = open_store(settings.database)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, headless=True,
                                                   args=CHROMIUM_FLAGS)
        try:
            yield Running(server, browser, store)
        finally:
            await browser.close()
            await store.close()
            await asyncio.to_thread(server.stop)


async def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


async def settle(page: Page) -> None:
    """Long enough after load for a deferred script's beacon to have gone out."""
    await page.wait_for_load_state("networkidle")
    await page.wait_for_timeout(300)


async def test_each_page_view_is_counted_once_without_cookies(running: Running) -> None:
    page = await running.reader()
    async with page.expect_response(lambda r: r.url.endswith("/api/views")) as answered:
        await page.goto(running.url(ARTICLE))
    assert (await answered.value).status == 202
    # The tab is hidden and shown again, the reader scrolls: still the one view.
    await page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    await page.mouse.wheel(0, 600)
    await settle(page)
    assert await running.views() == {("ru", "nds/kak-podat-deklaraciyu"): (1, 1)}
    sent: Request = page.views[0]  # type: ignore[attr-defined]
    headers = await sent.all_headers()
    assert "cookie" not in headers
    assert json.loads(sent.post_data or "") == {"article_id": "nds/kak-podat-deklaraciyu",
                                                "lang": "ru"}
    # Another page view of the same article is another view; the home page is none.
    await page.goto(running.url("/ru/"))
    await page.goto(running.url(ARTICLE))
    await settle(page)
    assert len(page.views) == 2  # type: ignore[attr-defined]
    assert await running.views() == {("ru", "nds/kak-podat-deklaraciyu"): (2, 2)}


@pytest.mark.parametrize("signal", [DNT, GPC], ids=["do-not-track", "global-privacy-control"])
async def test_no_view_is_sent_when_the_reader_asks_not_to_be_tracked(
        running: Running, signal: str) -> None:
    page = await running.reader(signal)
    await page.goto(running.url(ARTICLE))
    await settle(page)
    await page.goto(running.url("/en/nds/kak-podat-deklaraciyu/"))
    await settle(page)
    assert page.views == []  # type: ignore[attr-defined]
    assert await running.views() == {}
    # The rest of the page works as ever: the widget's rating buttons are there.
    await expect(page.locator("button[data-rating='happy']")).to_be_enabled()


async def test_popular_articles_on_the_home_page_as_text(running: Running) -> None:
    today = article_views.today()
    reads = {"nds/kak-podat-deklaraciyu": 9, "nds/stavki-nds": 7,
             "nachalo/registraciya": 5, "nds/trebovaniya-nalogovoj": 2}
    for article_id, count in reads.items():
        for _ in range(count):
            await running.store.count_view(article_id, "ru", today)
    page = await running.reader()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    await page.goto(running.url("/ru/"))
    block = page.locator("[data-hc-popular]")
    await expect(block).to_be_visible()
    await expect(block.locator("h2")).to_have_text("Популярные статьи")
    items = block.locator("li a")
    await expect(items).to_have_count(3)  # two views are not popular yet
    titles = await items.all_inner_texts()
    assert titles == ["Как подать декларацию по НДС", HOSTILE, "Регистрация и первые шаги"], titles
    assert await block.locator("img").count() == 0
    assert await page.evaluate("() => window.__pwned") is None
    await shot(page, "popular-ru-home")
    await items.first.click()
    await page.wait_for_url("**" + ARTICLE)
    # The English home has no views: no block at all.
    await page.goto(running.url("/en/"))
    await settle(page)
    await expect(page.locator("[data-hc-popular]")).to_be_hidden()
    assert errors == []


@pytest.fixture
def static_host(sample: Sample) -> Iterator[str]:
    """The built site on a plain static server, while no sidecar runs at chat.url."""
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(sample.site))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


async def test_without_the_sidecar_the_block_stays_hidden(static_host: str) -> None:
    executable = chromium_executable()
    require(executable is not None, "Debian's chromium is not installed")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, headless=True,
                                                   args=CHROMIUM_FLAGS)
        try:
            page = await browser.new_page(locale="ru-RU")
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            await page.goto(static_host + "/ru/")
            await settle(page)
            await expect(page.locator("[data-hc-popular]")).to_be_hidden()
            await expect(page.locator("#collections-title")).to_be_visible()
            await shot(page, "no-sidecar-ru-home")
            assert errors == []
        finally:
            await browser.close()


async def test_operators_ratings_tab_shows_views_and_authors_names(running: Running) -> None:
    page = await running.reader()
    await page.goto(running.url(ARTICLE))
    await settle(page)
    await page.click("button[data-rating='happy']")
    await page.goto(running.url("/en/nds/kak-podat-deklaraciyu/"))
    await settle(page)
    for _ in range(4):
        await running.store.count_view("nds/stavki-nds", "ru", article_views.today())
    operator = await (await running.browser.new_context(locale="ru-RU")).new_page()
    await operator.goto(running.url("/operator/"))
    await operator.fill("#login-email", "dmitry@example.com")
    await operator.fill("#login-password", PASSWORD)
    await operator.click("#login-form button[type=submit]")
    await operator.wait_for_selector("#app:not([hidden])")
    await operator.click("[data-tab='ratings']")
    rated = operator.locator("#ratings-rows tr[data-article='ru/nds/kak-podat-deklaraciyu']")
    await expect(rated).to_contain_text("Как подать декларацию")
    await expect(rated.locator(".ratings-views")).to_have_text("1")
    await expect(rated.locator(".ratings-author")).to_have_text("Дмитрий Козлов")
    english = operator.locator("#ratings-rows tr[data-article='en/nds/kak-podat-deklaraciyu']")
    await expect(english.locator(".ratings-author")).to_have_text("Dmitry Kozlov")
    await expect(english.locator(".ratings-views")).to_have_text("1")
    hostile = operator.locator("#ratings-rows tr[data-article='ru/nds/stavki-nds']")
    await expect(hostile.locator(".ratings-views")).to_have_text("4")
    await expect(hostile.locator("a")).to_have_text(HOSTILE)  # a title is text here too
    assert await operator.locator("#ratings-rows img").count() == 0
    assert "dmitry" not in await operator.inner_text("#ratings-rows")
    await shot(operator, "operator-ratings")
    # The view's words exist in both languages (a missing one would show English).
    keys = await operator.evaluate("""async () => {
        const m = await import("/operator/static/views/ratings_strings.mjs");
        return [Object.keys(m.RATINGS_STRINGS.ru).sort(), Object.keys(m.RATINGS_STRINGS.en).sort()];
    }""")
    assert keys[0] == keys[1] and keys[0]


async def test_english_pages_write_the_authors_english_name(running: Running) -> None:
    page = await running.reader()
    await page.goto(running.url("/en/nds/kak-podat-deklaraciyu/"))
    meta = page.locator(".article-meta")
    await expect(meta).to_contain_text("Written by Dmitry Kozlov")
    await expect(meta.locator(".avatar")).to_have_text("D")
    await shot(page, "byline-en")
    await page.goto(running.url(ARTICLE))
    await expect(page.locator(".article-meta")).to_contain_text("Автор Дмитрий Козлов")
