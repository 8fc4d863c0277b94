"""How the sidecar process is served: uvicorn's options, the garbage collector's settings
(`python -m chat_server serve`, the tests' servers and the benchmark alike) and the daily
retention run (chat.retention) the lifespan starts.

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

import asyncio
import contextlib
import datetime
import gc
import logging
import time
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chat_server.settings import ChatSettings
    from chat_server.store import Store

log = logging.getLogger(__name__)

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

# What uvicorn's sans-I/O websocket logs with a traceback (logger.exception) although the
# client is at fault: it closes such a socket with 1007 itself, and nothing on the server
# failed. A client sending invalid UTF-8 in a loop would otherwise fill the log.
CLIENT_FAULTS = frozenset({"Invalid UTF-8 sequence received from client."})


class ClientFaults(logging.Filter):
    """Makes uvicorn's tracebacks for a client's bad frames a one-line warning."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.getMessage() in CLIENT_FAULTS:
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


REFUSALS_EVERY = 60.0  # seconds between the summaries of refused requests


class RefusalsSummarised(logging.Filter):
    """uvicorn's access log without a line per 429: a flood of refused requests from one
    address would otherwise write a line each (thousands a second, and a sixth of the
    sidecar's CPU while it refuses). Refusals are counted per client address instead and
    summed up in one line at most once a minute, when the next request is logged."""

    def __init__(self, every: float = REFUSALS_EVERY) -> None:
        super().__init__()
        self.every = every
        self.counts: Counter[str] = Counter()
        self._since = time.monotonic()

    def filter(self, record: logging.LogRecord) -> bool:
        # uvicorn's access record: (client "host:port", method, path, HTTP version, status)
        args = record.args
        refused = False
        if isinstance(args, tuple) and len(args) == 5 and args[4] == 429:
            self.counts[str(args[0]).rsplit(":", 1)[0]] += 1
            refused = True
        now = time.monotonic()
        if self.counts and now - self._since >= self.every:
            self._summarise(now)
        return not refused

    def _summarise(self, now: float) -> None:
        top = ", ".join(f"{address} {count}" for address, count in self.counts.most_common(5))
        log.warning("%d requests refused (429) in the last %.0f s; most from: %s",
                    sum(self.counts.values()), now - self._since, top)
        self.counts.clear()
        self._since = now


@contextlib.contextmanager
def quiet_client_logs() -> Iterator[None]:
    """While the app runs (its lifespan): uvicorn configures its loggers before that.
    Client faults become warnings without tracebacks; refusals are summed up."""
    filters = [(logging.getLogger("uvicorn.error"), ClientFaults()),
               (logging.getLogger("uvicorn.access"), RefusalsSummarised())]
    for logger, quiet in filters:
        logger.addFilter(quiet)
    try:
        yield
    finally:
        for logger, quiet in filters:
            logger.removeFilter(quiet)


YOUNG_THRESHOLD = 10_000  # allocations between young collections (Python's default: 700)


def tune_gc() -> None:
    """Call once, after start-up and before serving."""
    gc.collect()
    gc.freeze()  # modules and the app live as long as the process: never walk them again
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)


# --- chat.retention, applied by the running sidecar once a UTC day ------------------------

RETENTION_CHECK_SECONDS = 3600.0  # how often a process looks whether today's run is due


class DayClaim:
    """Who runs today's retention. With Redis (several processes) the first process to set
    the day's key wins and the others skip; a process alone (memory://) just remembers."""

    def __init__(self, broker_url: str, prefix: str) -> None:
        self._redis: Any = None
        if broker_url.startswith(("redis://", "rediss://")):
            from chat_server.redis_client import redis_client

            self._redis = redis_client(broker_url)
        self._key = f"{prefix}retention:"
        self._taken: set[str] = set()

    async def take(self, day: str) -> bool:
        if self._redis is not None:
            # Kept two days: long enough that no process of that day runs it again.
            return bool(await self._redis.set(self._key + day, "1", nx=True, ex=2 * 86400))
        if day in self._taken:
            return False
        self._taken.add(day)
        return True

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()


async def daily_retention(settings: ChatSettings, store: Store,
                          every: float = RETENTION_CHECK_SECONDS) -> None:
    """Apply chat.retention now and then once each UTC day, one process of several; returns
    at once when no retention is configured."""
    from chat_server import retention
    from chat_server.blob_store import blob_store_for

    policy = retention.policy_of(settings.retention_days, settings.retention_mode)
    if policy is None:
        return
    blobs = blob_store_for(settings, store)
    claim = DayClaim(settings.broker_url, settings.broker_prefix)
    try:
        while True:
            now = datetime.datetime.now(datetime.UTC)
            try:
                if await claim.take(now.date().isoformat()):
                    done = await retention.apply(store, policy, settings.data_dir,
                                                 int(now.timestamp() * 1000), blobs=blobs)
                    log.info("retention (%d days): %s", policy.days,
                             done.describe(policy.mode))
            except Exception:  # a store hiccup must not end the watch; tomorrow runs again
                log.exception("retention failed")
            await asyncio.sleep(every)
    finally:
        await claim.close()
