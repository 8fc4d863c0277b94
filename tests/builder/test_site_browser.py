"""The sample help center in a real headless chromium: looks, language switch, dark mode, a11y.

Screenshots go to tests/artifacts/ so a person can look at every page at desktop and phone
widths, light and dark.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

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
