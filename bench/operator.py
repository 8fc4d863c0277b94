"""Benchmark of the operator workspace: operator pages in headless chromium, and more operators
on their live sockets, against one sidecar process (SQLite), with a seeded inbox.

    python bench/operator.py                 # 20 operators (2 pages), 500 active, 10,000 in all
    python bench/operator.py --pages 20      # every operator a chromium page on this machine
    python bench/operator.py --operators 5 --messages 50   # a quick look

What it measures:
- event to screen: readers of the active conversations write (--rate messages/s in all);
  for each message, the time from the reader's send to the moment its words appear in the
  inbox list of every operator's page (a MutationObserver in each page notes it), so the
  socket, the page's state, a row fetched for a conversation the page had not loaded and
  Preact's redraw are all inside the figure; median, p99 and max over messages × pages;
- a big inbox: a fresh page opening the view of the closed conversations (the most of them)
  until its first rows and its counts are drawn, from navigation start, median of 5.
The seeded inbox: --total conversations, --active of them open (unassigned, with a reader
message each), the rest closed. One machine runs the sidecar, chromium and the readers:
on 2 cores they compete, which is part of the figure. Not a timed test; figures go to the
README and the issue note.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

import chat as chat_bench  # noqa: E402  (bench/chat.py: the sidecar child, ports, login)

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]
OBSERVER = """() => {
  window.__seen = {};
  const note = (node) => {
    const text = node && node.textContent || "";
    const found = /bench-(\\d+)/.exec(text);
    if (found && !(found[1] in window.__seen)) window.__seen[found[1]] = Date.now();
  };
  // Only what changed: the observer must not be the page's heaviest work.
  new MutationObserver((records) => records.forEach((r) => {
    const el = r.target.nodeType === 1 ? r.target : r.target.parentElement;
    if (el && el.closest("#conversations")) note(el.closest(".preview") || el);
    r.addedNodes.forEach((n) => {
      if (n.nodeType === 1 && n.closest("#conversations")) note(n);
    });
  })).observe(document.body, { subtree: true, childList: true, characterData: true });
}"""


async def seed(data_dir: str, operators: int, total: int, active: int) -> None:
    from chat_server.auth import hash_password
    from chat_server.store import open_store

    store = open_store(f"sqlite:///{Path(data_dir) / 'chat.db'}?synchronous=normal")
    await store.migrate()
    hashed = hash_password(chat_bench.PASSWORD)
    for n in range(operators):
        await store.add_operator(f"op{n}@example.com", f"Оператор {n}", hashed, ("support",))
    for n in range(total):
        reader = f"r{n}"
        await store.ensure_reader(reader)
        await store.update_reader(reader, name=f"Читатель {n}")
        conversation, _, _ = await store.start_conversation(
            reader, "seed", f"Вопрос {n}", group_name="support")
        if n >= active:
            await store.update_conversation(conversation["id"], status="closed")
    await store.close()


async def login(base: str, email: str) -> str:
    import httpx

    async with httpx.AsyncClient(base_url=base) as client:
        response = await client.post("/api/operator/login",
                                     json={"email": email, "password": chat_bench.PASSWORD})
        response.raise_for_status()
        return str(client.cookies["chat_session"])


# When each bench message's frame reaches the page, before the page does anything with it:
# the difference to __seen is the page's own work.
FRAME_CLOCK = """(() => {
  window.__frame = {};
  const Native = window.WebSocket;
  window.WebSocket = function (url, protocols) {
    const ws = new Native(url, protocols);
    ws.addEventListener("message", (e) => {
      const found = /bench-(\\d+)/.exec(e.data);
      if (found && !(found[1] in window.__frame)) window.__frame[found[1]] = Date.now();
    });
    return ws;
  };
})();"""


async def operator_page(browser: Any, base: str, cookie: str) -> Any:
    context = await browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 800})
    await context.add_init_script(FRAME_CLOCK)
    await context.add_cookies([{"name": "chat_session", "value": cookie, "url": base}])
    page = await context.new_page()
    await page.goto(base + "/operator/")
    await page.wait_for_selector("#connection:text('На связи')", timeout=60_000)
    await page.click("[data-view='open']")
    await page.wait_for_selector("#conversations .conversation-item", timeout=60_000)
    await page.evaluate(OBSERVER)
    return page


class SocketOperator:
    """An operator page without the page: the live socket, noting when each bench message's
    frame arrives (the server's half of the path, for operators beyond --pages)."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.seen: dict[str, float] = {}
        self.task = asyncio.create_task(self._listen())

    @classmethod
    async def connect(cls, ws_base: str, cookie: str) -> SocketOperator:
        from websockets.asyncio.client import connect

        ws = await connect(ws_base + "/ws/operator",
                           additional_headers={"Cookie": f"chat_session={cookie}"},
                           origin=ws_base.replace("ws://", "http://"))
        await next_of(ws, "welcome")
        return cls(ws)

    async def _listen(self) -> None:
        async for raw in self.ws:
            found = re.search(r"bench-(\d+)", raw if isinstance(raw, str) else "")
            if found and found[1] not in self.seen:
                self.seen[found[1]] = time.time() * 1000


async def readers(ws_base: str, active: int) -> list[tuple[Any, int]]:
    from websockets.asyncio.client import connect

    from chat_server.auth import Signer

    signer = Signer("bench")
    opened = []
    for n in range(active):
        ws = await connect(ws_base + "/ws/reader")
        await ws.send(json.dumps({"type": "hello", "token": signer.reader_token(f"r{n}")}))
        welcome = await next_of(ws, "welcome")
        opened.append((ws, welcome["conversations"][0]["id"]))
    return opened


async def next_of(ws: Any, kind: str) -> dict[str, Any]:
    while True:
        frame = json.loads(await ws.recv())
        if frame["type"] == kind:
            return frame


async def drain(ws: Any) -> None:
    """Read and drop what a reader is sent, so its socket never backs up."""
    try:
        async for _ in ws:
            pass
    except Exception:
        return


async def event_to_screen(pages: list[Any], sockets: list[SocketOperator],
                          opened: list[tuple[Any, int]], messages: int,
                          rate: float) -> tuple[list[float], list[float]]:
    sent: dict[int, float] = {}
    drains = [asyncio.create_task(drain(ws)) for ws, _ in opened]
    for n in range(messages):
        ws, conversation_id = opened[(n * 7919) % len(opened)]  # spread over the inbox
        sent[n] = time.time() * 1000
        await ws.send(json.dumps({"type": "message", "client_id": f"b{n}",
                                  "body": f"bench-{n} ещё вопрос",
                                  "conversation_id": conversation_id}))
        await asyncio.sleep(1 / rate)
    await asyncio.sleep(3)  # the last ones arrive
    latencies, arrivals = [], []
    missing = 0
    for page in pages:
        seen = await page.evaluate("() => window.__seen")
        framed = await page.evaluate("() => window.__frame")
        for n, at in sent.items():
            if str(n) in seen:
                latencies.append(seen[str(n)] - at)
            else:
                missing += 1
            if str(n) in framed:
                arrivals.append(framed[str(n)] - at)
    if arrivals:
        print(f"  frame at the page (before it draws): median {statistics.median(arrivals):.0f} ms,"
              f" p99 {percentile(arrivals, 0.99):.0f} ms", flush=True)
    for task in drains:
        task.cancel()
    if missing:
        print(f"  {missing} message × page pairs never appeared", flush=True)
    on_sockets = [op.seen[str(n)] - at for op in sockets for n, at in sent.items()
                  if str(n) in op.seen]
    return latencies, on_sockets


async def big_inbox(browser: Any, base: str, cookie: str, total: int, active: int) -> list[float]:
    times = []
    for _ in range(5):
        context = await browser.new_context(locale="ru-RU")
        await context.add_cookies([{"name": "chat_session", "value": cookie, "url": base}])
        page = await context.new_page()
        await page.goto(base + "/operator/")
        await page.wait_for_selector(f"[data-count='closed']:text('{total - active}')")
        await page.click("[data-view='closed']")
        await page.wait_for_function(
            "() => document.querySelectorAll('#conversations .conversation-item').length >= 100")
        times.append(await page.evaluate("() => performance.now()"))
        await context.close()
    return times


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from playwright.async_api import async_playwright
    from support.env import chromium_executable

    data_dir = tempfile.mkdtemp(prefix="bench-operator-")
    started = time.monotonic()
    await seed(data_dir, args.operators, args.total, args.active)
    print(f"seeded {args.total} conversations in {time.monotonic() - started:.1f} s", flush=True)
    port = chat_bench.free_port()
    server = chat_bench.start(chat_bench.run_sidecar, port, data_dir, "normal")
    base, ws_base = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}"
    try:
        cookies = [await login(base, f"op{n}@example.com") for n in range(args.operators)]
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=chromium_executable(), headless=True, args=CHROMIUM_ARGS)
            pages = [await operator_page(browser, base, c) for c in cookies[:args.pages]]
            sockets = [await SocketOperator.connect(ws_base, c) for c in cookies[args.pages:]]
            opened = await readers(ws_base, args.active)
            cpu_before, wall_before = chat_bench.cpu_seconds(server.pid), time.monotonic()
            latencies, on_sockets = await event_to_screen(pages, sockets, opened, args.messages,
                                                          args.rate)
            server_cores = (chat_bench.cpu_seconds(server.pid) - cpu_before) / (
                time.monotonic() - wall_before)
            print(f"  the sidecar used {server_cores:.2f} cores meanwhile", flush=True)
            for page in pages:
                await page.context.close()
            inbox = await big_inbox(browser, base, cookies[0], args.total, args.active)
            await browser.close()
    finally:
        server.terminate()
    return {
        "operators": args.operators, "pages": args.pages, "active": args.active,
        "total": args.total,
        "messages": args.messages, "rate": args.rate, "samples": len(latencies),
        "event_ms": {"median": statistics.median(latencies), "p99": percentile(latencies, 0.99),
                     "max": max(latencies)},
        "socket_ms": {"median": statistics.median(on_sockets), "p99": percentile(on_sockets, 0.99),
                      "max": max(on_sockets)} if on_sockets else None,
        "inbox_ms": {"median": statistics.median(inbox), "runs": [round(t) for t in inbox]},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--operators", type=int, default=20)
    parser.add_argument("--pages", type=int, default=2,
                        help="how many of the operators are chromium pages (the rest: sockets)")
    parser.add_argument("--active", type=int, default=500)
    parser.add_argument("--total", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--rate", type=float, default=5.0, help="reader messages per second")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    event, inbox = result["event_ms"], result["inbox_ms"]
    print(f"{result['operators']} operators ({result['pages']} of them chromium pages), "
          f"{result['active']} active of {result['total']} conversations, "
          f"{result['messages']} messages at {result['rate']}/s")
    print(f"  event to the pages' screens: median {event['median']:.0f} ms, p99 "
          f"{event['p99']:.0f} ms, max {event['max']:.0f} ms ({result['samples']} samples)")
    if result["socket_ms"]:
        sock = result["socket_ms"]
        print(f"  event to the other operators' sockets: median {sock['median']:.0f} ms, p99 "
              f"{sock['p99']:.0f} ms, max {sock['max']:.0f} ms")
    print(f"  a {result['total'] - result['active']}-conversation view drawn: median "
          f"{inbox['median']:.0f} ms from navigation start {inbox['runs']}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
