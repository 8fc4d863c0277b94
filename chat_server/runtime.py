"""How the sidecar process is served: uvicorn's options and the garbage collector's
settings (`python -m chat_server serve`, the tests' servers and the benchmark alike).

Python's cyclic garbage collector walks every tracked object in a full collection, and
every open socket keeps a few hundred of them (tasks, coroutine frames, the protocol's
state). At 5,000 open reader connections a full collection stopped the event loop for
0.45-0.7 s, and under load one came every ~15 s: each young collection (every 700
allocations by default) promotes the objects of the messages in flight at that moment, and
the old generation is walked again once those reach a quarter of it. Collecting the young
generation less often lets a message's objects die young; in the same runs no full
collection happened after the sockets were open, and the young collections stayed short.
"""

from __future__ import annotations

import gc
from typing import Any

SERVER_OPTIONS: dict[str, Any] = {
    # uvicorn's cap on a frame; the protocol's own, smaller, limit comes first.
    "ws_max_size": 1024 * 1024,
    # Chat frames are a few hundred bytes: compressing them saves little and costs CPU on
    # every frame sent and received, and a zlib context per open socket.
    "ws_per_message_deflate": False,
    # uvicorn would believe X-Forwarded-For from 127.0.0.1; the app believes it only from
    # CHAT_TRUSTED_PROXIES (chat_server/client_address.py).
    "proxy_headers": False,
}

YOUNG_THRESHOLD = 10_000  # allocations between young collections (Python's default: 700)


def tune_gc() -> None:
    """Call once, after start-up and before serving."""
    gc.collect()
    gc.freeze()  # modules and the app live as long as the process: never walk them again
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
