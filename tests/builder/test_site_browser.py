"""The sample help center in a real headless chromium: looks, language switch, dark mode, a11y.

Screenshots go to tests/artifacts/ so a person can look at every page at desktop and phone
widths, light and dark.
"""

from __future__ import annotations

import functools
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PAGES = {
    "home": "ru/",
    "collection": "ru/oplata/",
    "article": "ru/oplata/schet/",
    "search": "ru/search/?q=%D1%81%D1%87%D1%91%D1%82",
}
WIDTHS = (1280, 360)
AUDITED = {("light", 1280), ("dark", 360)}


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from builder.pipeline import build

    out = tmp_path_factory.mktemp("site") / "site"
    build(ROOT / "config.yml", out)
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=out))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture
def page_at(browser: Any) -> Iterator[Any]:
    contexts: list[Any] = []

    def open_page(width: int = 1280, scheme: str = "light") -> Any:
        context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def axe_violations(page: Any) -> list[str]:
    # Evaluated, not added as a <script>: the site's Content-Security-Policy refuses inline
    # scripts, and the audit is the test's, not the page's.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate(
        """async () => (await axe.run(document)).violations
            .filter(v => v.impact === "serious" || v.impact === "critical")
            .map(v => v.impact + " " + v.id + ": " + v.help + " @ " +
                 v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", "))"""
    )
    return list(found)


@pytest.mark.parametrize("name", list(PAGES))
def test_pages_look_right_and_pass_axe(
    name: str, site_url: str, page_at: Any, artifacts_dir: Path
) -> None:
    problems: list[str] = []
    for scheme in ("light", "dark"):
        for width in WIDTHS:
            page = page_at(width, scheme)
            errors: list[str] = []
            page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
            page.goto(site_url + PAGES[name])
            page.wait_for_load_state("networkidle")
            assert page.locator("html").get_attribute("data-theme") == scheme
            page.screenshot(
                path=str(artifacts_dir / f"site-{name}-{width}-{scheme}.png"), full_page=True
            )
            # No sideways scrolling of the whole page, even at 360 px.
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{name} at {width}px scrolls sideways by {overflow}px"
            assert not errors, f"{name}: JavaScript errors {errors}"
            # axe is slow on a shared machine: audit each theme once, at one width each.
            if (scheme, width) in AUDITED:
                problems.extend(f"{name} {width}px {scheme}: {v}" for v in axe_violations(page))
    assert not problems, "\n".join(problems)


def test_switch_language_on_an_article(site_url: str, page_at: Any) -> None:
    page = page_at()
    page.goto(site_url + PAGES["article"])
    assert page.locator("html").get_attribute("lang") == "ru"
    page.locator("details.lang-menu > summary").click()
    page.locator("[data-lang-link='en']").click()
    page.wait_for_url("**/en/oplata/schet/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() != ""
    # And back through the in-article link to the other language.
    page.locator("[data-translation='ru']").click()
    page.wait_for_url("**/ru/oplata/schet/")


def test_dark_mode_toggle_is_remembered(site_url: str, page_at: Any, artifacts_dir: Path) -> None:
    page = page_at()
    page.goto(site_url + PAGES["article"])
    html = page.locator("html")
    assert html.get_attribute("data-theme") == "light"
    toggle = page.locator("[data-theme-toggle]")
    toggle.click()
    assert html.get_attribute("data-theme") == "dark"
    assert toggle.get_attribute("aria-pressed") == "true"
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background != "rgb(246, 247, 249)"
    page.screenshot(path=str(artifacts_dir / "site-article-toggled-dark.png"))
    page.reload()
    assert page.locator("html").get_attribute("data-theme") == "dark"  # set before first paint
    page.locator("[data-theme-toggle]").click()
    assert page.locator("html").get_attribute("data-theme") == "light"


def test_keyboard_starts_with_skip_link(site_url: str, page_at: Any) -> None:
    page = page_at()
    page.goto(site_url + PAGES["article"])
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert focused == "skip-link"
    assert page.locator(".skip-link").is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"


def test_root_sends_reader_to_their_language(browser: Any, site_url: str) -> None:
    context = browser.new_context(locale="en-US")
    try:
        page = context.new_page()
        page.goto(site_url)
        page.wait_for_url("**/en/")
        assert page.locator("html").get_attribute("lang") == "en"
    finally:
        context.close()


def test_print_hides_chrome(site_url: str, page_at: Any, artifacts_dir: Path) -> None:
    page = page_at()
    page.goto(site_url + PAGES["article"])
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert not page.locator(".site-footer").is_visible()
    assert page.locator(".article-body").is_visible()
    page.screenshot(path=str(artifacts_dir / "site-article-print.png"), full_page=True)


# --- writers' and readers' small things: copy buttons, search keys, 404 language, print -----------

ARTICLE_WITH_CODE = "ru/oplata/schet/"


def test_code_blocks_have_a_copy_button(browser: Any, site_url: str, artifacts_dir: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  permissions=["clipboard-read", "clipboard-write"])
    try:
        page = context.new_page()
        page.goto(site_url + ARTICLE_WITH_CODE)
        button = page.locator(".prose .copy-code").first
        assert button.inner_text() == "Копировать"
        assert button.get_attribute("aria-label") == "Скопировать код в буфер обмена"
        # Reachable by keyboard: Tab from the article's heading reaches it.
        page.locator("h1").first.evaluate("h => { h.tabIndex = -1; h.focus(); }")
        for _ in range(60):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.classList.contains('copy-code')"):
                break
        else:
            pytest.fail("Tab never reached a copy button")
        page.keyboard.press("Enter")
        focused = page.locator(".copy-code:focus")
        expect(focused).to_have_text("Скопировано")
        code = focused.evaluate("b => b.parentNode.querySelector('pre').innerText")
        assert page.evaluate("navigator.clipboard.readText()") == code.rstrip("\n")
        assert page.locator(".code-block [role='status']").first.inner_text() == "Скопировано"
        shot = artifacts_dir / "site-copy-button.png"
        page.locator(".code-block").first.screenshot(path=str(shot))
        expect(focused).to_have_text("Копировать", timeout=5000)  # back after a moment
        # The copy is the code alone: the button's label is not part of it.
        assert "Копировать" not in code
        page.goto(site_url + "en/oplata/schet/")
        assert page.locator(".prose .copy-code").first.inner_text() == "Copy"
    finally:
        context.close()


@pytest.mark.parametrize("keys", ["/", "Control+k", "Meta+k"])
def test_keys_focus_the_search_box(site_url: str, page_at: Any, keys: str) -> None:
    page = page_at()
    page.goto(site_url + PAGES["article"])
    page.keyboard.press(keys)
    focused = page.locator("[data-search-input]:focus")
    expect(focused).to_have_count(1)
    assert focused.get_attribute("id") == "search-header"
    assert focused.input_value() == ""  # the "/" was not typed into it
    # While typing in the box the keys are the reader's.
    page.keyboard.type("a/b")
    assert focused.input_value() == "a/b"


def test_slash_focuses_the_big_search_on_the_home_page(site_url: str, page_at: Any) -> None:
    page = page_at(360)
    page.goto(site_url + "ru/")
    page.keyboard.press("/")
    focused = page.locator("[data-search-input]:focus")
    expect(focused).to_have_count(1)
    assert focused.is_visible()


def test_slash_is_typed_in_other_fields(site_url: str, page_at: Any) -> None:
    page = page_at()
    page.goto(site_url + PAGES["article"])
    page.evaluate("""() => { const t = document.createElement('textarea'); t.id = 'note';
                             document.querySelector('main').prepend(t); }""")
    page.locator("#note").focus()
    page.keyboard.type("1/2")
    assert page.locator("#note").input_value() == "1/2"
    assert page.evaluate("document.activeElement.id") == "note"


@pytest.fixture(scope="module")
def sidecar(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The sample help center served by the chat sidecar (`serve --site`), with its widget."""
    from support.chat import ServerThread, free_port, make_settings

    folder = tmp_path_factory.mktemp("sidecar")
    port = free_port()
    config = (ROOT / "config.yml").read_text(encoding="utf-8")
    assert "url: http://127.0.0.1:8000" in config
    project = folder / "help"
    project.mkdir()
    (project / "config.yml").write_text(
        config.replace("url: http://127.0.0.1:8000", f"url: http://127.0.0.1:{port}"),
        encoding="utf-8")
    shutil.copytree(ROOT / "content", project / "content")
    shutil.copytree(ROOT / "brand", project / "brand")
    from builder.pipeline import build

    build(project / "config.yml", folder / "site")
    settings = make_settings(folder, url=f"http://127.0.0.1:{port}", site_dir=folder / "site")
    server = ServerThread(settings, port=port).start()
    yield server.http + "/"
    server.stop()


def test_print_hides_the_chat_button_and_the_rating(
    sidecar: str, page_at: Any, artifacts_dir: Path
) -> None:
    page = page_at()
    page.goto(sidecar + PAGES["article"])
    launcher, rating = page.locator(".hc-chat-launcher"), page.locator(".hc-feedback")
    expect(launcher).to_be_visible()
    expect(rating).to_be_visible()
    expect(page.locator(".copy-code").first).to_be_visible()
    page.emulate_media(media="print")
    for chrome in (launcher, rating, page.locator(".copy-code").first,
                   page.locator(".site-header"), page.locator(".toc")):
        expect(chrome).to_be_hidden()
    assert page.locator(".article-body").is_visible()
    page.screenshot(path=str(artifacts_dir / "site-article-print-with-chat.png"), full_page=True)


@pytest.mark.parametrize(("path", "lang", "title"), [
    ("en/no-such-page/?q=1#top", "en", "Page not found"),
    ("ru/oplata/net-takoi/", "ru", "Страница не найдена"),
])
def test_404_speaks_the_language_of_the_path(
    sidecar: str, browser: Any, artifacts_dir: Path, path: str, lang: str, title: str
) -> None:
    # The reader's browser prefers the other language: the path wins.
    context = browser.new_context(locale="en-US" if lang == "ru" else "ru-RU")
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        response = page.goto(sidecar + path)
        assert response is not None and response.status == 404
        expect(page.locator("html")).to_have_attribute("lang", lang)
        page.wait_for_load_state("networkidle")
        assert page.locator("h1").inner_text() == title
        assert page.title().startswith(title)
        # The whole page, not only its text: the header's search and the chat's strings.
        placeholder = page.locator("#search-header").get_attribute("placeholder")
        assert placeholder == ("Search for answers…" if lang == "en" else "Найти ответ…")
        assert page.evaluate("location.pathname + location.search + location.hash") == "/" + path
        assert not errors
        page.screenshot(path=str(artifacts_dir / f"site-404-{lang}.png"))
    finally:
        context.close()


def test_404_outside_a_language_follows_the_reader(sidecar: str, browser: Any) -> None:
    context = browser.new_context(locale="en-GB")
    try:
        page = context.new_page()
        page.goto(sidecar + "no-such-thing")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        assert page.locator("h1").inner_text() == "Page not found"
        assert page.evaluate("location.pathname") == "/no-such-thing"
    finally:
        context.close()


def test_404_without_script_is_the_first_language(sidecar: str, browser: Any) -> None:
    context = browser.new_context(locale="en-GB", java_script_enabled=False)
    try:
        page = context.new_page()
        response = page.goto(sidecar + "en/no-such-page/")
        assert response is not None and response.status == 404
        assert page.locator("html").get_attribute("lang") == "ru"
        assert page.locator("h1").inner_text() == "Страница не найдена"
    finally:
        context.close()
