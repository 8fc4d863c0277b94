"""deploy/: the nginx example passes `nginx -t` and, run for real, serves the built site and a
pool of two sidecars (websockets, Host and X-Forwarded-Proto for the operator login, and
X-Forwarded-For so each reader has their own limits); the systemd units pass
`systemd-analyze verify`; the env example and the Containerfile name what the sidecar reads."""

from __future__ import annotations

import asyncio
import re
import shutil
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
from support.nginx import NGINX_CONF as NGINX
from support.nginx import for_this_machine, main_config, nginx_binary, start_nginx
from websockets.asyncio.client import connect

from chat_server.app import SIDECAR_PATHS
from chat_server.settings import ENVIRONMENT

DEPLOY = ROOT / "deploy"


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


def test_nginx_accepts_the_example(tmp_path: Path) -> None:
    nginx = nginx_binary()
    main = main_config(tmp_path, NGINX.read_text(encoding="utf-8"))
    done = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(main)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr


@pytest.fixture
async def behind_nginx(tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    """Two sidecars on one store, with their limits in Redis, behind nginx as configured."""
    require(reachable(REDIS_URL, 6379), f"Redis is not reachable at {REDIS_URL}")
    nginx_binary()
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
    process = await asyncio.to_thread(start_nginx, tmp_path / "nginx", conf, https)
    try:
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


async def test_a_flood_from_one_address_is_refused_by_nginx_itself(
        behind_nginx: dict[str, Any]) -> None:
    """Failed searches flooding from 127.0.0.4 are turned away by nginx (its own 429, not the
    sidecar's JSON) after the zone's burst, so the sidecars see only a couple of hundred;
    a login flood likewise after its 20; a reader at 127.0.0.5 is served throughout."""
    port = behind_nginx["https"]
    search = {"lang": "ru", "query": "как вернуть деньги"}
    async with client(port, "chat.example.com", "127.0.0.4") as flooder:
        answers, started = [], time.monotonic()
        for _ in range(6):  # at most as many at once as the client has connections
            answers += await asyncio.gather(*(
                flooder.post("/api/failed-searches", json=search) for _ in range(100)))
        logins = await asyncio.gather(*(
            flooder.post("/api/operator/login", json={"email": "x@example.com",
                                                      "password": "wrong"})
            for _ in range(60)))
    took = time.monotonic() - started
    by_nginx = [a for a in answers
                if a.status_code == 429 and "application/json" not in a.headers["content-type"]]
    reached = len(answers) - len(by_nginx)
    # The zone lets its burst of 200 through, plus 20 a second while the flood lasts.
    assert 200 <= reached <= 200 + 20 * took + 1, (reached, took)
    assert all(a.status_code in (202, 429) for a in answers)
    # Of those, the sidecars' own limit (30, then 1 a second) stored what it allows.
    assert sum(a.status_code == 202 for a in answers) <= 30 + took + 1
    login_by_nginx = [a for a in logins if a.status_code == 429
                      and "application/json" not in a.headers["content-type"]]
    assert len(login_by_nginx) >= 60 - 20 - 10
    async with client(port, "chat.example.com", "127.0.0.5") as reader:
        assert (await reader.post("/api/failed-searches", json=search)).status_code == 202
