"""Rate limits: token buckets per key (client address, socket, email), in process memory.

Per process on purpose: a limit that needs a network round trip would cost more than the
requests it protects against. With N processes the effective limit is N times looser.
"""

from __future__ import annotations

import time

MAX_KEYS = 50_000  # forget idle keys beyond this so an address scan cannot fill memory


class RateLimiter:
    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate  # tokens added per second
        self.burst = burst  # bucket size
        self._buckets: dict[str, tuple[float, float]] = {}

    def allow(self, key: str, cost: float = 1.0) -> bool:
        now = time.monotonic()
        tokens, stamp = self._buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - stamp) * self.rate)
        allowed = tokens >= cost
        if allowed:
            tokens -= cost
        if len(self._buckets) >= MAX_KEYS and key not in self._buckets:
            self._prune(now)
        self._buckets[key] = (tokens, now)
        return allowed

    def _prune(self, now: float) -> None:
        full_after = self.burst / self.rate if self.rate else 0
        for key, (_tokens, stamp) in list(self._buckets.items()):
            if now - stamp > full_after:
                del self._buckets[key]
        if len(self._buckets) >= MAX_KEYS:
            self._buckets.clear()
