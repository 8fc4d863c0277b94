"""deploy/nginx.conf run for real on this machine: our ports, a built site, our sidecars, a
throwaway certificate, everything in one folder. For tests/chat/test_deploy.py and
bench/flood.py (`--nginx`)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

from support.env import ROOT, require

NGINX_CONF = ROOT / "deploy" / "nginx.conf"


MISSING = "nginx is not installed (Debian: nginx-light; make test-deps)"


def find_nginx() -> str | None:
    """Debian's nginx, on the PATH or where Debian puts it (/usr/sbin is not on every PATH)."""
    return shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def nginx_binary() -> str:
    """For tests: nginx, or the test skips (fails with CI=true)."""
    found = find_nginx()
    require(found is not None, MISSING)
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


def for_this_machine(text: str, http: int, https: int, site: Path, sidecars: list[int]) -> str:
    """The example as it would run here: our ports, our built site, our two sidecars (one
    sidecar: its port on both server lines)."""
    text = re.sub(r"^\s*listen \[::\]:\d+.*\n", "", text, flags=re.M)
    text = text.replace("listen 80;", f"listen 127.0.0.1:{http};")
    text = text.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl;")
    text = text.replace("root /srv/help/site;", f"root {site};")
    ports = sidecars if len(sidecars) == 2 else sidecars * 2
    for example, port in zip((8001, 8002), ports, strict=True):
        text = text.replace(f"server 127.0.0.1:{example} ", f"server 127.0.0.1:{port} ")
    return text


def start_nginx(folder: Path, conf: str, port: int) -> subprocess.Popen[bytes]:
    """nginx in the foreground on `conf` (for_this_machine's), once it answers on `port`."""
    folder.mkdir(parents=True, exist_ok=True)
    main = main_config(folder, conf)
    binary = find_nginx()
    if binary is None:
        raise RuntimeError(MISSING)
    process = subprocess.Popen([binary, "-p", str(folder), "-c", str(main),
                                "-g", "daemon off;"], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 15
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            if process.poll() is not None:
                said = process.stderr.read() if process.stderr else b""
                raise RuntimeError(said.decode()) from None
            if time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("nginx did not start") from None
            time.sleep(0.05)
