"""The site's Content-Security-Policy: on every page, allowing exactly the theme's inline
scripts, and in a real chromium: a writer's script does not run (sanitised away by default,
refused by the policy when the project trusts its writers' HTML), while search, the colour
scheme, the language redirect, the chat widget and the preview's live reload all still work."""

from __future__ import annotations

import functools
import json
import re
import threading
from collections.abc import Iterator
from html import unescape as html_unescape
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from builder.csp import script_hash, site_policy
from builder.pipeline import build
from builder.serve import ReloadHub, make_server

ROOT = Path(__file__).resolve().parents[2]
CHAT_STATIC = ROOT / "chat_server" / "static"

HOSTILE = """\
Intro.

<script>window.__ran = "script"; alert("script")</script>

<img src="missing.png" onerror="window.__ran = 'onerror'; alert('onerror')">

<a href="javascript:alert('link')" id="bad-link">a link</a>
"""
ARTICLE = "---\ntitle: {title}\n---\n## Раздел\n\nНалоговая декларация по НДС.\n\n{body}"
META = re.compile(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">')
INLINE = re.compile(r"<script(?![^>]*\b(?:src|type)=)[^>]*>(.*?)</script>", re.S)


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass


def serve_folder(folder: Path) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 functools.partial(QuietHandler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def make_site(root: Path, raw_html: str, chat_url: str) -> Path:
    write(root / "config.yml", f"site: {{title: Help}}\nlanguages: [ru, en]\n"
                               f"markdown: {{raw_html: {raw_html}}}\nchat: {{url: '{chat_url}'}}\n")
    write(root / "content/ru/nds/_index.md", "---\ntitle: НДС\n---\n")
    write(root / "content/ru/nds/hostile.md", ARTICLE.format(title="Опасная", body=HOSTILE))
    write(root / "content/ru/nds/plain.md", ARTICLE.format(title="Обычная", body="Текст.\n"))
    write(root / "content/en/nds/plain.md", ARTICLE.format(title="Plain", body="Text.\n"))
    build(root / "config.yml", root / "site", force=True)
    return root / "site"


@pytest.fixture(scope="module")
def chat_origin() -> Iterator[str]:
    """The widget's files from a server of their own: the chat sidecar's origin."""
    server, url = serve_folder(CHAT_STATIC)
    yield url
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory, chat_origin: str) -> Iterator[dict[str, str]]:
    """The same content built with the default (sanitize) and with trusted raw HTML, served."""
    urls: dict[str, str] = {}
    servers = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HELPCENTER_CACHE", str(tmp_path_factory.mktemp("cache")))
        for mode in ("sanitize", "trusted"):
            folder = make_site(tmp_path_factory.mktemp(mode), mode, chat_origin)
            server, url = serve_folder(folder)
            servers.append(server)
            urls[mode] = url + "/"
            urls[mode + ":dir"] = str(folder)
    yield urls
    for server in servers:
        server.shutdown()
        server.server_close()


def test_the_policy_refuses_inline_script_but_the_hashed_ones() -> None:
    policy = site_policy(["a()"], "https://chat.example.com/widget")
    directives = dict(d.split(" ", 1) for d in policy.split("; "))
    assert directives["script-src"] == (f"'self' blob: {script_hash('a()')} "
                                        "https://chat.example.com")
    assert directives["connect-src"] == "'self' https://chat.example.com wss://chat.example.com"
    assert directives["object-src"] == "'none'" and directives["base-uri"] == "'self'"
    assert "unsafe" not in directives["script-src"] and "*" not in policy
    assert "chat" not in site_policy(["a()"], "")


def test_the_identity_endpoint_may_only_be_fetched() -> None:
    policy = site_policy(["a()"], "https://chat.example.com",
                         "https://app.example.com/api/help-identity?x=1")
    directives = dict(d.split(" ", 1) for d in policy.split("; "))
    assert directives["connect-src"] == ("'self' https://chat.example.com wss://chat.example.com"
                                         " https://app.example.com")
    assert "app.example.com" not in policy.replace(directives["connect-src"], "")
    same = site_policy(["a()"], "https://chat.example.com", "https://chat.example.com/me")
    assert same == site_policy(["a()"], "https://chat.example.com")  # listed once
    assert site_policy(["a()"], "", "https://app.example.com/me") == site_policy(["a()"], "")


CONFIG_JSON = re.compile(
    r'<script type="application/json" id="helpcenter-chat-config">(.*?)</script>', re.S)


def built_article(root: Path, chat: str) -> tuple[dict[str, Any], dict[str, str], str]:
    """The chat config JSON, the CSP meta's directives and _data/csp.txt of a site built with
    `chat` as config.yml's chat section ({} for a page without the widget)."""
    write(root / "config.yml", f"site: {{title: Help}}\nlanguages: [en]\nchat: {chat}\n")
    write(root / "content/en/nds/plain.md", ARTICLE.format(title="Plain", body="Text.\n"))
    build(root / "config.yml", root / "site", force=True)
    html = (root / "site/en/nds/plain/index.html").read_text()
    found = META.search(html)
    config = CONFIG_JSON.search(html)
    assert found
    policy = html_unescape(found.group(1))
    directives = dict(d.split(" ", 1) for d in policy.split("; "))
    header = (root / "site/_data/csp.txt").read_text()
    return json.loads(config.group(1)) if config else {}, directives, header


def test_a_site_with_an_identity_url_tells_the_widget_and_lets_it_connect(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPCENTER_CACHE", str(tmp_path / "cache"))
    plain_config, plain, plain_header = built_article(
        tmp_path / "plain", "{url: 'https://chat.example.com'}")
    config, directives, header = built_article(
        tmp_path / "identity", "{url: 'https://chat.example.com', "
                               "identity_url: 'https://app.example.com:8443/api/help-identity'}")
    assert config["identity_url"] == "https://app.example.com:8443/api/help-identity"
    assert config["url"] == "https://chat.example.com"
    assert directives["connect-src"] == ("'self' https://chat.example.com wss://chat.example.com"
                                         " https://app.example.com:8443")
    assert "connect-src " + directives["connect-src"] in header
    # Only connect-src changes, and without the setting nothing does.
    assert {k: v for k, v in directives.items() if k != "connect-src"} == {
        k: v for k, v in plain.items() if k != "connect-src"}
    assert "identity_url" not in plain_config
    assert plain["connect-src"] == "'self' https://chat.example.com wss://chat.example.com"
    assert "app.example.com" not in plain_header
    # No chat, no widget: the endpoint is never asked, so the policy does not name it.
    config, directives, _ = built_article(tmp_path / "nochat",
                                          "{identity_url: 'https://app.example.com/me'}")
    assert config == {} and directives["connect-src"] == "'self'"


def test_every_page_carries_the_policy_and_it_allows_exactly_its_inline_scripts(
        sites: dict[str, str]) -> None:
    folder = Path(sites["sanitize:dir"])
    pages = sorted(folder.rglob("*.html"))
    assert {p.relative_to(folder).as_posix() for p in pages} >= {
        "index.html", "404.html", "ru/index.html", "ru/search/index.html",
        "ru/nds/hostile/index.html"}
    header = (folder / "_data/csp.txt").read_text()
    for page in pages:
        html = page.read_text()
        head = html.split("</head>", 1)[0]
        found = META.search(head)
        assert found, f"{page}: no Content-Security-Policy meta"
        assert head.index("<meta charset") < found.start() < head.index("<script")
        policy = found.group(1).replace("&#39;", "'")
        assert header == policy + "; frame-ancestors 'self'\n"
        scripts = INLINE.findall(html)
        assert scripts, f"{page}: the theme's inline script is missing"
        for source in scripts:
            assert script_hash(source) in policy, f"{page}: inline script not allowed"


def watch(page: Any) -> dict[str, list[str]]:
    """Dialogs, page errors and CSP violations of a page, from before its first script."""
    seen: dict[str, list[str]] = {"dialogs": [], "errors": []}

    def dismiss(dialog: Any) -> None:
        seen["dialogs"].append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.on("pageerror", lambda exc: seen["errors"].append(str(exc)))
    page.add_init_script("""
        window.__violations = [];
        document.addEventListener("securitypolicyviolation",
            e => window.__violations.push(e.effectiveDirective + " " + e.blockedURI));""")
    return seen


@pytest.mark.browser
@pytest.mark.parametrize("mode", ["sanitize", "trusted"])
def test_a_writers_script_does_not_run(sites: dict[str, str], browser: Any, mode: str) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        seen = watch(page)
        page.goto(sites[mode] + "ru/nds/hostile/")
        page.wait_for_load_state("networkidle")
        link = page.locator("#bad-link")
        if link.count():
            link.click()
            page.wait_for_timeout(200)
        assert seen["dialogs"] == [] and page.evaluate("() => window.__ran") is None
        violations = page.evaluate("() => window.__violations")
        if mode == "trusted":  # the script reached the page; the policy refused it
            assert page.locator("main script").count() == 1
            assert any(v.startswith("script-src") for v in violations), violations
        else:  # sanitised before it got there
            assert page.locator("main script, main [onerror]").count() == 0
    finally:
        context.close()


@pytest.mark.browser
def test_the_site_works_under_its_policy(sites: dict[str, str], browser: Any,
                                         chat_origin: str) -> None:
    context = browser.new_context(locale="en-US", color_scheme="dark")
    try:
        page = context.new_page()
        seen = watch(page)
        page.goto(sites["sanitize"])  # the root page's inline redirect
        page.wait_for_url("**/en/")
        page.goto(sites["sanitize"] + "ru/nds/plain/")
        assert page.locator("html").get_attribute("data-theme") == "dark"  # before first paint
        page.wait_for_function("() => window.HelpCenterChat !== undefined")  # widget from chat
        box = page.locator("header [data-search-input]")
        box.click()
        box.press_sequentially("деклар", delay=20)
        page.wait_for_function(
            """() => [...document.querySelectorAll("header [role=option]")]
                     .some(o => o.textContent.includes("Обычная"))""")
        talks = page.evaluate(
            """async (chat) => {
                // no-cors: this test server sends no CORS headers; the policy is what is tested
                const ok = (await fetch(chat + "/widget/widget.css", {mode: "no-cors"}))
                    .type === "opaque";
                const socket = await new Promise(done => {
                    const ws = new WebSocket(chat.replace("http", "ws") + "/ws/reader");
                    ws.onerror = ws.onclose = () => done("closed"); });
                return [ok, socket]; }""", chat_origin)
        assert talks == [True, "closed"]
        assert page.evaluate("() => window.__violations") == []
        assert seen["errors"] == []
        refused = page.evaluate(
            """() => fetch("http://127.0.0.1:9/", {mode: "no-cors"})
                     .then(() => "fetched", () => "refused")""")
        assert refused == "refused"
        assert page.evaluate("() => window.__violations") == ["connect-src http://127.0.0.1:9/"]
    finally:
        context.close()


@pytest.mark.browser
def test_the_preview_still_reloads_open_pages(sites: dict[str, str], browser: Any) -> None:
    hub = ReloadHub()
    server = make_server(Path(sites["sanitize:dir"]), "127.0.0.1", 0, hub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    context = browser.new_context()
    try:
        page = context.new_page()
        watch(page)
        page.goto(f"http://127.0.0.1:{server.server_port}/ru/nds/plain/")
        page.wait_for_load_state("networkidle")  # the reload script is listening
        page.evaluate("() => { window.__before_reload = true; }")
        hub.bump()
        page.wait_for_function("() => window.__before_reload === undefined", timeout=10_000)
        assert page.evaluate("() => window.__violations") == []
    finally:
        context.close()
        server.shutdown()
        server.server_close()
