"""`build.py serve`: the writer's preview. Build once, serve on localhost, rebuild what changed
on every save and reload the open browser tabs (server-sent events; the reload script is
injected into pages as they are served, never written into the site)."""

from __future__ import annotations

import functools
import sys
import threading
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from builder.errors import BuildError, Problem
from builder.incremental import LiveSite

RELOAD_PATH = "/__reload"
# A file, not an inline script: the pages' Content-Security-Policy runs no inline script but
# the theme's own (builder/csp.py); 'self' allows this one and its EventSource.
RELOAD_SCRIPT_PATH = "/__reload.js"
RELOAD_SCRIPT = f'<script src="{RELOAD_SCRIPT_PATH}"></script>'.encode()
RELOAD_JS = (
    "(function(){var s=new EventSource('" + RELOAD_PATH + "');"
    "s.onmessage=function(){location.reload()};})();\n"
).encode()


class ReloadHub:
    """A version number the server bumps after each rebuild; open pages wait for a change."""

    def __init__(self) -> None:
        self.version = 0
        self._changed = threading.Condition()

    def bump(self) -> None:
        with self._changed:
            self.version += 1
            self._changed.notify_all()

    def wait_past(self, version: int, timeout: float) -> int:
        with self._changed:
            self._changed.wait_for(lambda: self.version != version, timeout=timeout)
            return self.version


class PreviewHandler(SimpleHTTPRequestHandler):
    hub: ReloadHub

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass  # a request log would drown the rebuild messages writers care about

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        if self.path == RELOAD_PATH:
            self._stream_reloads()
            return
        if self.path == RELOAD_SCRIPT_PATH:
            self._send(RELOAD_JS, "text/javascript; charset=utf-8")
            return
        target = Path(self.translate_path(self.path))
        if target.is_dir():
            if not self.path.split("?", 1)[0].endswith("/"):
                super().do_GET()  # the stdlib redirects to the slash form
                return
            target = target / "index.html"
        if target.suffix == ".html" and target.is_file():
            self._send_html(target.read_bytes())
            return
        if not target.exists():
            not_found = Path(self.directory) / "404.html"
            if not_found.is_file():
                self._send_html(not_found.read_bytes(), HTTPStatus.NOT_FOUND)
                return
        super().do_GET()

    def _send_html(self, body: bytes, status: HTTPStatus = HTTPStatus.OK) -> None:
        marker = body.rfind(b"</body>")
        body = body[:marker] + RELOAD_SCRIPT + body[marker:] if marker >= 0 else body
        self._send(body, "text/html; charset=utf-8", status)

    def _send(self, body: bytes, kind: str, status: HTTPStatus = HTTPStatus.OK) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _stream_reloads(self) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        version = self.hub.version
        try:
            while True:
                new = self.hub.wait_past(version, timeout=15)
                message = b"data: reload\n\n" if new != version else b": keep-alive\n\n"
                version = new
                self.wfile.write(message)
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return


def make_server(out_dir: Path, host: str, port: int, hub: ReloadHub) -> ThreadingHTTPServer:
    handler = type("Handler", (PreviewHandler,), {"hub": hub})
    server = ThreadingHTTPServer((host, port), functools.partial(handler, directory=str(out_dir)))
    server.daemon_threads = True
    return server


def serve(config_path: Path, out_dir: Path, *, host: str, port: int,
          include_drafts: bool = True, stop: threading.Event | None = None) -> int:
    import watchfiles

    live = LiveSite(config_path, out_dir, include_drafts=include_drafts)
    _first_build(live)
    hub = ReloadHub()
    server = make_server(out_dir, host, port, hub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    print(f"serving {out_dir} at http://{host}:{server.server_port}/ (Ctrl+C to stop)",
          flush=True)
    watched = [p for p in _watched(live) if p.exists()]
    try:
        for changes in watchfiles.watch(*watched, stop_event=stop, debounce=50, step=20):
            paths = {Path(path).resolve() for _, path in changes}
            paths = {p for p in paths if not p.is_relative_to(out_dir.resolve())}
            if paths:
                _rebuild(live, paths)
                hub.bump()
                if live.pending_search:
                    seconds = live.refresh_search()
                    print(f"search index refreshed in {seconds * 1000:.0f} ms", flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
    return 0


def _watched(live: LiveSite) -> list[Path]:
    from builder.theme import DEFAULT_THEME_DIR

    root = live.config_path.resolve().parent
    return [live.config_path.resolve(), root / "content", root / "themes", root / "brand",
            DEFAULT_THEME_DIR]


def _first_build(live: LiveSite) -> None:
    try:
        report = live.full_build()
    except BuildError as exc:
        _print_problems(exc.problems)
        print(f"{exc}: fix them and save; serving the previous site meanwhile", flush=True)
        return
    if report.project is not None:  # None: nothing changed, nothing new to warn about
        _print_problems(report.project.warnings)
    print(f"built {report.pages} pages in {report.seconds:.2f} s", flush=True)


def _rebuild(live: LiveSite, paths: set[Path]) -> None:
    try:
        result = live.rebuild(paths)
    except BuildError as exc:
        _print_problems(exc.problems)
        print(f"{exc}: the site was not changed", flush=True)
        return
    _print_problems(result.problems)
    errors = [p for p in result.problems if not p.warning]
    if errors:
        print(f"{len(errors)} errors: the site was not changed", flush=True)
        return
    what = "full rebuild" if result.full else f"rebuilt {len(result.pages)} files"
    print(f"{what} in {result.seconds * 1000:.0f} ms", flush=True)


def _print_problems(problems: list[Problem]) -> None:
    for problem in problems:
        print(problem, file=sys.stderr, flush=True)
