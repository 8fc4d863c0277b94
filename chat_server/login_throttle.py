"""Back-off of operator logins per (email, address): wrong passwords from one place slow
that place down on that account, and nobody else.

Five tries are free; each one after waits twice as long as the last (1 s, 2 s, 4 s … at
most 15 minutes). A try counts as failed from the moment it is let through (so fifty
concurrent tries cannot all slip through before the first one fails) until the right
password clears the slate. Guessing one password across many accounts from one address is
the per-address budget's job (limits.LOGIN_ADDRESS).

Like the rate limits, the state lives in this process (`MemoryThrottle`) or, when the
sidecars share a Redis broker, in Redis (`RedisThrottle`), so N processes back off as one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

log = logging.getLogger(__name__)

FREE_TRIES = 5
FIRST_WAIT = 1.0
MAX_WAIT = 15 * 60.0
FORGET_AFTER = 24 * 3600.0  # a pair quiet this long starts afresh
MAX_KEYS = 50_000  # forget the oldest pairs beyond this, so an address scan cannot fill memory
Clock = Callable[[], float]


def wait_after(tries: int) -> float:
    """Seconds before the next try, after `tries` tries without the right password."""
    if tries < FREE_TRIES:
        return 0.0
    return float(min(MAX_WAIT, FIRST_WAIT * 2 ** (tries - FREE_TRIES)))


class Throttle(Protocol):
    async def attempt(self, key: str) -> float:
        """0 when a try may go ahead (it is counted as failed until `succeeded`), else the
        seconds left to wait (and the try is not counted)."""

    async def succeeded(self, key: str) -> None: ...

    async def close(self) -> None: ...


class MemoryThrottle:
    def __init__(self, clock: Clock = time.time) -> None:
        self._clock = clock
        self._pairs: dict[str, tuple[int, float]] = {}  # key -> (tries, may try again at)

    async def attempt(self, key: str) -> float:
        now = self._clock()
        tries, until = self._pairs.get(key, (0, 0.0))
        if until > now:
            return until - now
        if now - until > FORGET_AFTER:
            tries = 0
        if len(self._pairs) >= MAX_KEYS and key not in self._pairs:
            self._prune(now)
        self._pairs[key] = (tries + 1, now + wait_after(tries + 1))
        return 0.0

    async def succeeded(self, key: str) -> None:
        self._pairs.pop(key, None)

    async def close(self) -> None:
        self._pairs.clear()

    def _prune(self, now: float) -> None:
        for key, (_tries, until) in list(self._pairs.items()):
            if now - until > FORGET_AFTER or until <= now:
                del self._pairs[key]
        if len(self._pairs) >= MAX_KEYS:
            self._pairs.clear()


# KEYS[1] the pair; ARGV: now in ms, free tries, first wait in ms, max wait in ms, ttl in ms.
# Returns the ms left to wait (0: go ahead, counted). The callers' clocks, as in limits.py.
_ATTEMPT = """
local now, free = tonumber(ARGV[1]), tonumber(ARGV[2])
local first, most, ttl = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local state = redis.call('HMGET', KEYS[1], 'n', 'u')
local tries, untl = tonumber(state[1]) or 0, tonumber(state[2]) or 0
if untl > now then return untl - now end
tries = tries + 1
local wait = 0
if tries >= free then wait = math.min(most, first * 2 ^ (tries - free)) end
redis.call('HSET', KEYS[1], 'n', tries, 'u', now + wait)
redis.call('PEXPIRE', KEYS[1], ttl + wait)
return 0
"""


class RedisThrottle:
    def __init__(self, url: str, prefix: str = "chat:", clock: Clock = time.time) -> None:
        from chat_server.redis_client import redis_client

        self._redis: Any = redis_client(url)
        self._prefix = prefix + "login:"
        self._clock = clock
        self._attempt: Any = self._redis.register_script(_ATTEMPT)
        # While Redis is away each process backs off on its own: looser, but logins work.
        self._fallback = MemoryThrottle(clock)

    async def attempt(self, key: str) -> float:
        from redis.exceptions import RedisError

        args = [int(self._clock() * 1000), FREE_TRIES, int(FIRST_WAIT * 1000),
                int(MAX_WAIT * 1000), int(FORGET_AFTER * 1000)]
        try:
            left_ms = await self._attempt(keys=[self._prefix + key], args=args)
        except (RedisError, OSError) as exc:
            log.warning("login back-off: redis unavailable (%s); in this process", exc)
            return await self._fallback.attempt(key)
        return int(left_ms) / 1000

    async def succeeded(self, key: str) -> None:
        from redis.exceptions import RedisError

        await self._fallback.succeeded(key)
        try:
            await self._redis.delete(self._prefix + key)
        except (RedisError, OSError) as exc:
            log.warning("login back-off: redis unavailable (%s)", exc)

    async def close(self) -> None:
        await self._redis.aclose()


def throttle_for(broker_url: str, prefix: str = "chat:") -> Throttle:
    """In Redis wherever the processes share a Redis broker; in memory otherwise."""
    if broker_url.startswith(("redis://", "rediss://", "unix://")):
        return RedisThrottle(broker_url, prefix)
    return MemoryThrottle()
