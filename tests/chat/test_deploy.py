"""deploy/: the nginx example passes `nginx -t` and, run for real, serves the built site and a
pool of two sidecars (websockets, Host and X-Forwarded-Proto for the operator login, and
X-Forwarded-For so each reader has their own limits); the systemd units pass
`systemd-analyze verify`; the env example and the Containerfile name what the sidecar reads."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.chat import (
    PASSWORD,
    REDIS_URL,
    ServerThread,
    add_operator_sync,
    free_port,
    make_settings,
    make_site,
    reachable,
    recv,
    send,
)
from support.env import ROOT, require
from websockets.asyncio.client import connect

from chat_server.app import SIDECAR_PATHS
from chat_server.settings import ENVIRONMENT

DEPLOY = ROOT / "deploy"
NGINX = DEPLOY / "nginx.conf"


def server_block(text: str, name: str) -> str:
    """The `server { … }` block of nginx.conf whose server_name is exactly `name`."""
    for match in re.finditer(r"^server \{\n(.*?)^\}", text, re.M | re.S):
        if re.search(rf"^\s*server_name {re.escape(name)};", match.group(1), re.M):
            return match.group(1)
    raise AssertionError(f"no server block for {name}")


def test_the_chat_host_proxies_exactly_the_sidecar_paths() -> None:
    block = server_block(NGINX.read_text(encoding="utf-8"), "chat.example.com")
    locations = set(re.findall(r"^\s*location (?:= )?(\S+) \{", block, re.M))
    assert locations - {"/"} == set(SIDECAR_PATHS)
    for header in ("X-Forwarded-For $proxy_add_x_forwarded_for", "X-Forwarded-Proto $scheme",
                   "Host $host", "Upgrade $http_upgrade"):
        assert f"proxy_set_header {header};" in block


def test_the_env_example_names_every_variable_the_sidecar_reads() -> None:
    text = (DEPLOY / "chat.env.example").read_text(encoding="utf-8")
    assert re.findall(r"^(CHAT_[A-Z_]+)=", text, re.M) == [v.name for v in ENVIRONMENT]


def test_the_containerfile_runs_the_sidecar_on_debian_slim() -> None:
    text = (DEPLOY / "Containerfile").read_text(encoding="utf-8")
    assert re.findall(r"^FROM (\S+)", text, re.M) == ["debian:bookworm-slim"] * 2
    [cmd] = re.findall(r"^CMD \[(.*?)\]$", text, re.M | re.S)
    words = re.findall(r'"([^"]*)"', cmd)
    assert words[:3] == ["python", "-m", "chat_server"] and "serve" in words
    assert words[words.index("--port") + 1] == re.findall(r"^EXPOSE (\d+)", text, re.M)[0]
    assert words[words.index("--host") + 1] == "0.0.0.0"
    assert "/healthz" in re.findall(r"^HEALTHCHECK .*", text, re.M | re.S)[0]
    assert re.findall(r"^USER (\S+)", text, re.M) == ["helpcenter"]  # never root


def units() -> list[Path]:
    return sorted((DEPLOY / "systemd").glob("*.service")) + sorted(
        (DEPLOY / "systemd").glob("*.timer"))


@pytest.mark.parametrize("unit", units(), ids=lambda p: p.name)
def test_systemd_accepts_the_units(unit: Path, tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    require(analyze is not None, "systemd-analyze is not installed (Debian: systemd)")
    assert analyze is not None
    # The units name /srv/help/.venv/bin/python; verify checks the program exists.
    text = unit.read_text(encoding="utf-8").replace("/srv/help/.venv/bin/python", sys.executable)
    copy = tmp_path / unit.name
    copy.write_text(text, encoding="utf-8")
    if unit.name == "helpcenter-backup.timer":  # a timer is checked with its service
        shutil.copy(DEPLOY / "systemd" / "helpcenter-backup.service", tmp_path)
    target = tmp_path / unit.name.replace("@.", "@8001.")
    done = subprocess.run([analyze, "verify", str(target)], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    # verify exits 0 on unknown keys and bad values too; it says so on stderr.
    ours = [line for line in done.stderr.splitlines() if str(tmp_path) in line]
    assert ours == []


# --- nginx ----------------------------------------------------------------------------------


def nginx_binary() -> str:
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    require(found is not None, "nginx is not installed (Debian: nginx-light; make test-deps)")
    assert found is not None
    return found


def certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=help.example.com", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def main_config(folder: Path, site_conf: str) -> Path:
    """nginx.conf goes inside http {}: a main file around it, everything in `folder`."""
    cert, key = certificate(folder)
    site_conf = re.sub(r"/etc/letsencrypt/live/[^/]+/fullchain\.pem", str(cert), site_conf)
    site_conf = re.sub(r"/etc/letsencrypt/live/[^/]+/privkey\.pem", str(key), site_conf)
    (folder / "helpcenter.conf").write_text(site_conf, encoding="utf-8")
    temp = "\n".join(f"  {kind}_temp_path {folder / kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must read the tmp site
    main = folder / "main.conf"
    main.write_text(f"{user}pid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'};\n"
                    "events {}\nhttp {\n  include /etc/nginx/mime.types;\n  access_log off;\n"
                    f"{temp}\n  include {folder / 'helpcenter.conf'};\n}}\n", encoding="utf-8")
    return main


def test_nginx_accepts_the_example(tmp_path: Path) -> None:
    nginx = nginx_binary()
    main = main_config(tmp_path, NGINX.read_text(encoding="utf-8"))
    done = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(main)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr


def for_this_machine(text: str, http: int, https: int, site: Path, sidecars: list[int]) -> str:
    """The example as it would run here: our ports, our built site, our two sidecars."""
    text = re.sub(r"^\s*listen \[::\]:\d+.*\n", "", text, flags=re.M)
    text = text.replace("listen 80;", f"listen 127.0.0.1:{http};")
    text = text.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl;")
    text = text.replace("root /srv/help/site;", f"root {site};")
    for example, port in zip((8001, 8002), sidecars, strict=True):
        text = text.replace(f"server 127.0.0.1:{example} ", f"server 127.0.0.1:{port} ")
    return text


@pytest.fixture
async def behind_nginx(tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    """Two sidecars on one store, with their limits in Redis, behind nginx as configured."""
    require(reachable(REDIS_URL, 6379), f"Redis is not reachable at {REDIS_URL}")
    nginx = nginx_binary()
    site = make_site(tmp_path / "project", 0)
    (tmp_path / "data").mkdir()
    settings = make_settings(tmp_path / "data", url="https://chat.example.com",
                             site_base_url="https://help.example.com/",
                             trusted_proxies=("127.0.0.1",), broker_url=REDIS_URL,
                             broker_prefix=f"deploy-{uuid.uuid4().hex[:8]}:")
    add_operator_sync(settings, "anna@example.com", "Анна", ("support",))
    sidecars = [await asyncio.to_thread(ServerThread(settings).start) for _ in range(2)]
    http, https = free_port(), free_port()
    conf = for_this_machine(NGINX.read_text(encoding="utf-8"), http, https, site,
                            [s.port for s in sidecars])
    (tmp_path / "nginx").mkdir()
    main = main_config(tmp_path / "nginx", conf)
    process = subprocess.Popen([nginx, "-p", str(tmp_path / "nginx"), "-c", str(main),
                                "-g", "daemon off;"], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", https), timeout=0.2).close()
                break
            except OSError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline, "nginx did not start"
                await asyncio.sleep(0.05)
        yield {"https": https, "http": http, "sidecars": sidecars}
    finally:
        process.terminate()
        process.wait(timeout=10)
        for sidecar in sidecars:
            await asyncio.to_thread(sidecar.stop)


def client(port: int, host: str, source: str = "127.0.0.1", scheme: str = "https"
           ) -> httpx.AsyncClient:
    """A client of nginx connecting from `source`: 127.0.0.1 is the trusted proxy's own
    address, any other 127.x address is a reader's."""
    transport = httpx.AsyncHTTPTransport(verify=False, local_address=source)
    return httpx.AsyncClient(base_url=f"{scheme}://127.0.0.1:{port}", transport=transport,
                             headers={"Host": host}, timeout=10)


async def test_the_site_and_the_sidecars_through_nginx(behind_nginx: dict[str, Any]) -> None:
    port = behind_nginx["https"]
    async with client(port, "help.example.com") as site:
        home = await site.get("/ru/nds/deklaraciya/")
        assert home.status_code == 200 and "Как подать декларацию" in home.text
        assert home.headers["cache-control"] == "no-cache"
        missing = await site.get("/ru/no-such-page/")
        assert missing.status_code == 404 and "<html" in missing.text  # the site's 404.html
        asset = re.search(r'(?:href|src)="[./]*(assets/[^"]+)"', home.text)
        assert asset is not None
        cached = await site.get("/" + asset.group(1))
        assert cached.status_code == 200 and "immutable" in cached.headers["cache-control"]
        assert (await site.get("/healthz")).status_code == 404  # not the site's
    async with client(port, "chat.example.com") as chat:
        for _ in range(4):  # round robin: both sidecars answer
            health = await chat.get("/healthz")
            assert health.status_code == 200 and health.json() == {"ok": True}
        assert (await chat.get("/ru/nds/deklaraciya/")).status_code == 404  # not the chat's
        # The login compares the page's Origin with scheme://Host: nginx's Host and
        # X-Forwarded-Proto (believed from a trusted proxy) make it https://chat.example.com.
        login = await chat.post("/api/operator/login",
                                json={"email": "anna@example.com", "password": PASSWORD},
                                headers={"Origin": "https://chat.example.com"})
        assert login.status_code == 200, login.text
    async with client(behind_nginx["http"], "help.example.com", scheme="http") as plain:
        moved = await plain.get("/ru/", follow_redirects=False)
        assert moved.status_code == 301 and moved.headers["location"].startswith("https://")
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    async with connect(f"wss://chat.example.com:{port}/ws/reader", host="127.0.0.1",
                       port=port, ssl=context) as reader:
        await send(reader, "hello")
        await recv(reader, "welcome")
        await send(reader, "message", client_id="q1", body="Через nginx")
        assert (await recv(reader, "ack"))["message"]["body"] == "Через nginx"


async def test_each_reader_has_their_own_limits_behind_nginx(
        behind_nginx: dict[str, Any]) -> None:
    """A reader at 127.0.0.2 writing any X-Forwarded-For of their own still counts as
    127.0.0.2, in both sidecars together; a reader at 127.0.0.3 keeps their own budget."""
    port = behind_nginx["https"]
    body = {"lang": "ru", "query": "как вернуть деньги"}
    async with client(port, "chat.example.com", "127.0.0.2") as far:
        answers = [(await far.post("/api/failed-searches", json=body,
                                   headers={"X-Forwarded-For": f"198.51.100.{n}"})).status_code
                   for n in range(31)]
    assert answers[:30] == [202] * 30 and answers[30] == 429
    async with client(port, "chat.example.com", "127.0.0.3") as near:
        assert (await near.post("/api/failed-searches", json=body)).status_code == 202
