"""`build.py serve`: the writer's preview. Build once into the preview's own folder
(builder/preview_dir.py, never the published site), serve it on localhost, rebuild what changed
on every save and reload the open browser tabs (server-sent events; the reload script is
injected into pages as they are served, never written into the site). A failed rebuild keeps the
page and lays its problems over it (builder/preview_client.js)."""

from __future__ import annotations

import functools
import json
import sys
import threading
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from builder.errors import BuildError, Problem
from builder.incremental import LiveSite
from builder.preview_dir import mark, preview_dir

RELOAD_PATH = "/__reload"
STATUS_PATH = "/__status"  # the current problems as JSON, for a page opened mid-failure
# A file, not an inline script: the pages' Content-Security-Policy runs no inline script but
# the theme's own (builder/csp.py); 'self' allows this one and its EventSource.
RELOAD_SCRIPT_PATH = "/__reload.js"
RELOAD_SCRIPT = f'<script src="{RELOAD_SCRIPT_PATH}"></script>'.encode()
NOTHING_BUILT = (b"<!doctype html><meta charset=utf-8><title>Preview</title>"
                 b"<body><p>Nothing here yet: the preview has not been built.</p></body>")
RELOAD_JS = (Path(__file__).with_name("preview_client.js")).read_bytes()


class ReloadHub:
    """A version number the server bumps after each rebuild, with that rebuild's errors (none:
    a good one); open pages wait for a change."""

    def __init__(self) -> None:
        self.version = 0
        self.problems: list[Problem] = []
        self._changed = threading.Condition()

    def bump(self) -> None:
        """A good rebuild: pages reload and any problems shown are gone."""
        self.publish([])

    def publish(self, problems: list[Problem]) -> None:
        with self._changed:
            self.version += 1
            self.problems = [p for p in problems if not p.warning]
            self._changed.notify_all()

    def wait_past(self, version: int, timeout: float) -> int:
        with self._changed:
            self._changed.wait_for(lambda: self.version != version, timeout=timeout)
            return self.version

    def status_json(self) -> bytes:
        with self._changed:
            problems = [{"path": p.path, "line": p.line, "message": p.message}
                        for p in self.problems]
        # sort_keys and no newlines: one server-sent `data:` line, the same bytes each time.
        return json.dumps({"problems": problems}, ensure_ascii=False, sort_keys=True).encode()

    def event(self) -> bytes:
        """What an open page hears about the latest rebuild."""
        with self._changed:
            good = not self.problems
        if good:
            return b"data: reload\n\n"
        return b"event: problems\ndata: " + self.status_json() + b"\n\n"


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
        if self.path == STATUS_PATH:
            self._send(self.hub.status_json(), "application/json")
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
            self._send_not_found()
            return
        super().do_GET()

    def _send_not_found(self) -> None:
        """The site's 404.html (one page for every language, like static hosts serve it); a
        bare page when the first build failed, for the problems to appear over."""
        page = Path(self.directory) / "404.html"
        body = page.read_bytes() if page.is_file() else NOTHING_BUILT
        self._send_html(body, HTTPStatus.NOT_FOUND)

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
                message = self.hub.event() if new != version else b": keep-alive\n\n"
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


def serve(config_path: Path, out_dir: Path | None, *, host: str, port: int,
          include_drafts: bool = True, stop: threading.Event | None = None) -> int:
    folder = preview_dir(config_path, out_dir)  # refuses the published site
    live = LiveSite(config_path, folder, include_drafts=include_drafts)
    hub = ReloadHub()
    hub.problems = _first_build(live)
    mark(folder)
    server = make_server(folder, host, port, hub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    print(f"previewing {folder} at http://{host}:{server.server_port}/ (Ctrl+C to stop)",
          flush=True)
    try:
        _watch(live, hub, stop)
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
    return 0


def _watch(live: LiveSite, hub: ReloadHub, stop: threading.Event | None) -> None:
    import watchfiles

    watched = [p for p in _watched(live) if p.exists()]
    folder = live.out_dir.resolve()
    for changes in watchfiles.watch(*watched, stop_event=stop, debounce=50, step=20):
        paths = {Path(path).resolve() for _, path in changes}
        paths = {p for p in paths if not p.is_relative_to(folder)}
        if paths:
            hub.publish(_rebuild(live, paths))
            if live.pending_search:
                seconds = live.refresh_search()
                print(f"search index refreshed in {seconds * 1000:.0f} ms", flush=True)


def _watched(live: LiveSite) -> list[Path]:
    from builder.theme import DEFAULT_THEME_DIR

    root = live.config_path.resolve().parent
    return [live.config_path.resolve(), root / "content", root / "themes", root / "brand",
            DEFAULT_THEME_DIR]


def _first_build(live: LiveSite) -> list[Problem]:
    """Build the preview; the errors, if it failed (the browser shows them too)."""
    try:
        report = live.full_build()
    except BuildError as exc:
        _print_problems(exc.problems)
        print(f"{exc}: fix them and save; serving the previous preview meanwhile", flush=True)
        return exc.problems
    if report.project is not None:  # None: nothing changed, nothing new to warn about
        _print_problems(report.project.warnings)
    print(f"built {report.pages} pages in {report.seconds:.2f} s", flush=True)
    return []


def _rebuild(live: LiveSite, paths: set[Path]) -> list[Problem]:
    """Rebuild what changed; the errors that kept the preview as it was (none: it changed)."""
    try:
        result = live.rebuild(paths)
    except BuildError as exc:
        _print_problems(exc.problems)
        print(f"{exc}: the site was not changed", flush=True)
        return exc.problems
    _print_problems(result.problems)
    errors = [p for p in result.problems if not p.warning]
    if errors:
        print(f"{len(errors)} errors: the site was not changed", flush=True)
        return errors
    what = "full rebuild" if result.full else f"rebuilt {len(result.pages)} files"
    print(f"{what} in {result.seconds * 1000:.0f} ms", flush=True)
    return []


def _print_problems(problems: list[Problem]) -> None:
    for problem in problems:
        print(problem, file=sys.stderr, flush=True)
