"""Process-wide settings for serving the sidecar (`python -m chat_server serve`, and the
benchmark, which starts it the same way).

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

YOUNG_THRESHOLD = 10_000  # allocations between young collections (Python's default: 700)


def tune_gc() -> None:
    """Call once, after start-up and before serving."""
    gc.collect()
    gc.freeze()  # modules and the app live as long as the process: never walk them again
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
