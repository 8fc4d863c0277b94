"""GET /healthz: whether this process can do its work, for a load balancer or an orchestrator.

Healthy is `200 {"ok": true}`; while the store (the database) or the broker (Redis, when
several processes share one) does not answer, `503 {"ok": false, "down": ["store", …]}`,
so the balancer sends readers to a process that works and the operator sees which part is
away. Each part gets PROBE_SECONDS: a database that hangs instead of refusing still answers
"down" in time for the balancer's own timeout.

The endpoint is public and each probe touches the database and Redis, so a process probes at
most once per CACHE_SECONDS and every caller in between gets that answer: a flood of
/healthz costs the backends nothing more.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from sqlalchemy import text

from chat_server.redis_client import redis_client
from chat_server.store import Store
from chat_server.store.queries import Queries

log = logging.getLogger(__name__)

PROBE_SECONDS = 2.0
CACHE_SECONDS = 1.0


class Health:
    def __init__(self, store: Store, broker_url: str) -> None:
        self.store = store
        self.broker_url = broker_url
        self._redis: Any = None
        if broker_url.startswith(("redis://", "rediss://")):
            self._redis = redis_client(broker_url)
        self._lock = asyncio.Lock()
        self._checked_at = -CACHE_SECONDS
        self._down: list[str] = []

    async def down(self) -> list[str]:
        """The parts that did not answer, probed at most once per CACHE_SECONDS."""
        async with self._lock:
            if time.monotonic() - self._checked_at >= CACHE_SECONDS:
                results = await asyncio.gather(self._probe("store", self._ping_store()),
                                               self._probe("broker", self._ping_broker()))
                self._down = [part for part in results if part]
                self._checked_at = time.monotonic()
            return list(self._down)

    async def _probe(self, part: str, check: Any) -> str | None:
        try:
            await asyncio.wait_for(check, PROBE_SECONDS)
        except Exception as exc:  # any failure to answer is "down"; say why in the log
            log.warning("health: %s is down: %s", part, exc or type(exc).__name__)
            return part
        return None

    async def _ping_store(self) -> None:
        if isinstance(self.store, Queries):
            async with self.store.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))

    async def _ping_broker(self) -> None:
        if self._redis is not None:
            await self._redis.ping()

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
