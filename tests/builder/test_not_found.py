"""The 404 pages: one per language plus the root one hosts serve for any missing path, which
sends the reader to the language of the path. Checked as built and behind a real nginx with
the configuration the README gives (with and without script)."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from builder.pipeline import build

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").is_file() else None)
MIME_TYPES = Path("/etc/nginx/mime.types")


def lang_of(html: str) -> str:
    found = re.search(r'<html lang="([^"]+)"', html)
    assert found, html[:200]
    return found.group(1)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("notfound") / "site"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HELPCENTER_CACHE", str(out.parent / "cache"))
        build(ROOT / "config.yml", out)
    return out


def test_each_language_has_its_own_404_page(site: Path) -> None:
    root = (site / "404.html").read_text(encoding="utf-8")
    assert lang_of(root) == "ru"  # the first language: what shows without script
    pages = re.search(r"data-not-found-pages='([^']+)'", root)
    assert pages is not None
    assert json.loads(pages.group(1)) == {"ru": "/ru/404.html", "en": "/en/404.html"}
    english = (site / "en" / "404.html").read_text(encoding="utf-8")
    assert lang_of(english) == "en"
    assert "<h1>Page not found</h1>" in english
    assert 'placeholder="Search for answers…"' in english  # the header too, not only the text
    assert '<meta name="robots" content="noindex">' in english
    assert "data-not-found-pages" not in english  # only the root one sends readers on
    assert lang_of((site / "ru" / "404.html").read_text(encoding="utf-8")) == "ru"


def test_404_pages_follow_the_base_path(tmp_path: Path) -> None:
    project = tmp_path / "help"
    shutil.copytree(ROOT / "content", project / "content")
    shutil.copytree(ROOT / "brand", project / "brand")
    config = (ROOT / "config.yml").read_text(encoding="utf-8")
    config = re.sub(r"(?m)^  base_url: .*$", "  base_url: https://example.com/help/", config)
    assert "https://example.com/help/" in config
    (project / "config.yml").write_text(config, encoding="utf-8")
    build(project / "config.yml", tmp_path / "site")
    root = (tmp_path / "site" / "404.html").read_text(encoding="utf-8")
    assert '"en": "/help/en/404.html"' in root
    assert 'href="/help/assets/css/site.' in (tmp_path / "site/en/404.html").read_text("utf-8")


# --- behind nginx, configured as the README says ----------------------------------------------

NGINX_CONF = """\
{user}
worker_processes 1;
error_log {prefix}/error.log;
pid {prefix}/nginx.pid;
events {{ worker_connections 64; }}
http {{
  include {mime};
  access_log off;
  client_body_temp_path {prefix}/body;
  proxy_temp_path {prefix}/proxy;
  fastcgi_temp_path {prefix}/fastcgi;
  uwsgi_temp_path {prefix}/uwsgi;
  scgi_temp_path {prefix}/scgi;
  server {{
    listen 127.0.0.1:{port};
    root {site};
{locations}
  }}
}}
"""
# What the README gives: the one line every host has, and per-language lines for readers
# without script (and crawlers).
PLAIN = "    error_page 404 /404.html;\n"
PER_LANGUAGE = PLAIN + "".join(
    f"    location /{code}/ {{ error_page 404 /{code}/404.html; }}\n" for code in ("ru", "en"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_nginx(site: Path, folder: Path, locations: str) -> tuple[subprocess.Popen[bytes], str]:
    if NGINX is None or not MIME_TYPES.is_file():
        pytest.skip("nginx is not installed (apt-get install nginx-light)")
    folder.mkdir(parents=True)
    port = free_port()
    # As root, nginx's workers would drop to `nobody`, who cannot read pytest's private tmp.
    user = "user root;" if os.geteuid() == 0 else ""
    conf = folder / "nginx.conf"
    conf.write_text(NGINX_CONF.format(user=user, prefix=folder, mime=MIME_TYPES, port=port,
                                      site=site, locations=locations), encoding="utf-8")
    process = subprocess.Popen([NGINX, "-p", str(folder), "-c", str(conf), "-e",
                                str(folder / "early.log"), "-g", "daemon off;"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(100):
        try:
            with urllib.request.urlopen(url + "ru/", timeout=2):
                return process, url
        except (urllib.error.URLError, ConnectionError):
            if process.poll() is not None:
                log = process.stderr.read().decode() if process.stderr else ""
                raise AssertionError(log) from None
            time.sleep(0.05)
    process.kill()
    raise AssertionError("nginx did not start")


@pytest.fixture(scope="module")
def nginx_plain(site: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    process, url = start_nginx(site, tmp_path_factory.mktemp("nginx") / "plain", PLAIN)
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def nginx_per_language(site: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    process, url = start_nginx(site, tmp_path_factory.mktemp("nginx") / "langs", PER_LANGUAGE)
    yield url
    process.terminate()
    process.wait(timeout=10)


def fetch_missing(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_nginx_with_the_plain_line_serves_the_root_404(nginx_plain: str) -> None:
    status, html = fetch_missing(nginx_plain + "en/no-such-page/")
    assert status == 404
    assert "data-not-found-pages" in html  # the page that sends readers on


@pytest.mark.browser
def test_nginx_with_the_plain_line_404_speaks_the_path_language(
    nginx_plain: str, browser: Any
) -> None:
    context = browser.new_context(locale="ru-RU")
    try:
        page = context.new_page()
        response = page.goto(nginx_plain + "en/oplata/old-name/")
        assert response is not None and response.status == 404
        expect(page.locator("html")).to_have_attribute("lang", "en")
        assert page.locator("h1").inner_text() == "Page not found"
        assert page.evaluate("location.pathname") == "/en/oplata/old-name/"
    finally:
        context.close()


def test_nginx_per_language_lines_need_no_script(nginx_per_language: str) -> None:
    for code, title in (("en", "Page not found"), ("ru", "Страница не найдена")):
        status, html = fetch_missing(nginx_per_language + f"{code}/a/b/no-such-page")
        assert status == 404
        assert lang_of(html) == code
        assert f"<h1>{title}</h1>" in html
    status, html = fetch_missing(nginx_per_language + "nothing-here")
    assert status == 404 and lang_of(html) == "ru"
