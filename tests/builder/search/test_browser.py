"""Search in a real headless chromium on the sample site: type-ahead, keyboard, layout switch,
snippets, landing highlight, the failed-search hook, and axe in light and dark."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from support.env import ROOT

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"

pytestmark = pytest.mark.browser


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from builder.pipeline import build

    out = tmp_path_factory.mktemp("search-site") / "site"
    build(ROOT / "config.yml", out)
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=out))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def serious_axe_violations(page: Any) -> list[str]:
    # Evaluated, not added as a <script>: the site's Content-Security-Policy refuses inline
    # scripts, and the audit is the test's, not the page's.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    return list(
        page.evaluate(
            """async () => (await axe.run(document)).violations
                .filter(v => v.impact === "serious" || v.impact === "critical")
                .map(v => v.id + ": " + v.nodes.slice(0, 3).map(n => n.target.join(" ")))"""
        )
    )


def test_type_ahead_keyboard_and_landing_highlight(
    site_url: str, page: Any, artifacts_dir: Path
) -> None:
    page.goto(site_url + "ru/nds/")
    box = page.locator("header [data-search-input]")
    box.click()
    box.press_sequentially("налоговую деклар", delay=20)  # the last word is unfinished
    # The list follows every keystroke; wait for the one answering the whole query.
    page.wait_for_function(
        """() => [...document.querySelectorAll("header [role=option]")].slice(0, 3)
                 .some(o => o.textContent.toLowerCase().includes("деклар"))"""
    )
    assert box.get_attribute("aria-expanded") == "true"
    page.screenshot(path=str(artifacts_dir / "search-dropdown-light.png"))

    box.press("ArrowDown")
    active = box.get_attribute("aria-activedescendant")
    assert active and page.locator(f"#{active}").get_attribute("aria-selected") == "true"
    href = page.locator(f"#{active}").get_attribute("data-href")
    box.press("Enter")
    page.wait_for_url("**" + href.split("?")[0].replace("../", "") + "**")
    page.locator("mark.search-hit").first.wait_for()
    assert "hl=" not in page.url  # the highlight words are removed from the address


def test_escape_closes_and_layout_switch_is_announced(site_url: str, page: Any) -> None:
    page.goto(site_url + "ru/")
    box = page.locator("main [data-search-input]").first
    box.click()
    box.press_sequentially("yfkju", delay=20)  # "налог" typed in the English layout
    # the note follows the keystrokes ("yf" → «на»); wait for the whole word
    page.wait_for_function(
        """() => [...document.querySelectorAll("main .search-dropdown__note")]
                 .some(n => n.textContent.includes("«налог»"))"""
    )
    box.press("Escape")
    assert box.get_attribute("aria-expanded") == "false"


def test_russian_typed_in_latin_letters_is_found_and_announced(
    site_url: str, page: Any, artifacts_dir: Path
) -> None:
    page.goto(site_url + "ru/")
    box = page.locator("header [data-search-input]")
    box.click()
    box.press_sequentially("vozvrat deneg", delay=20)  # «возврат денег» in Latin letters
    page.wait_for_function(
        """() => [...document.querySelectorAll("header [role=option]")].slice(0, 3)
                 .some(o => o.textContent.includes("Возврат денег"))"""
    )
    note = page.locator("header .search-dropdown__note")
    assert "«возврат денег»" in note.inner_text()
    page.screenshot(path=str(artifacts_dir / "search-translit.png"))
    box.press("Enter")  # the results page searches the same words
    page.wait_for_url("**/ru/search/**")
    page.locator(".search-result").first.wait_for()
    assert "Возврат денег" in page.locator(".search-result").first.inner_text()


def test_results_page_snippets_and_failed_search_hook(site_url: str, page: Any) -> None:
    page.goto(site_url + "ru/search/?q=" + "учёт%20расходов")
    # Titles answer first; snippets with the matched words marked follow the body index.
    page.locator(".search-result__snippet mark").nth(1).wait_for()

    page.evaluate(
        """() => { window.failed = [];
            document.addEventListener("helpcenter:failed-search", e => failed.push(e.detail));
            window.HelpCenterSearch.onFailedSearch(d => failed.push("cb:" + d.query)); }"""
    )
    box = page.locator("main [data-search-input]")
    box.fill("")
    box.press_sequentially("зюзюкабракадабра", delay=10)
    box.press("Enter")
    page.wait_for_function("window.failed.length >= 2")
    box.press("Enter")  # the same query again: not reported twice
    page.wait_for_timeout(1800)  # and not again after the pause either
    failed = page.evaluate("window.failed")
    assert failed[0] == {"lang": "ru", "query": "зюзюкабракадабра", "page": "/ru/search/"}
    assert failed[1:] == ["cb:зюзюкабракадабра"]


def test_a_faq_question_is_found_and_opened_by_its_result(
    site_url: str, page: Any, artifacts_dir: Path
) -> None:
    # «Можно ли оплатить картой?» is a folded question (`::: details`) of «Оплата по счёту»:
    # the search names the question, and its link opens the answer where it is on the page.
    page.goto(site_url + "ru/search/?q=" + "оплатить%20картой")
    first = page.locator(".search-result").first
    first.wait_for()
    assert first.locator(".search-result__heading").inner_text() == "Можно ли оплатить картой?"
    first.locator("a.search-result__link").click()
    page.wait_for_url("**/ru/oplata/schet/**#**")
    answer = page.locator("details#можно-ли-оплатить-картой")
    page.wait_for_function("document.querySelector('details[id^=\"можно\"]').open")
    assert answer.locator("text=Принимаем карты").is_visible()
    box = answer.bounding_box()
    assert box is not None and 0 <= box["y"] < 900  # scrolled to, not left below the fold
    page.screenshot(path=str(artifacts_dir / "search-faq-opened.png"))


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_open_dropdown_passes_axe(
    site_url: str, browser: Any, scheme: str, artifacts_dir: Path
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    try:
        page.goto(site_url + "ru/")
        box = page.locator("header [data-search-input]")
        if not box.is_visible():
            box = page.locator("main [data-search-input]").first
        box.click()
        box.press_sequentially("ндс", delay=20)
        page.locator("[role=option]").first.wait_for()
        box.press("ArrowDown")
        page.screenshot(path=str(artifacts_dir / f"search-dropdown-{scheme}-home.png"))
        assert serious_axe_violations(page) == []
    finally:
        context.close()
