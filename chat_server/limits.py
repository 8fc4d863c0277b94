"""Rate limits: token buckets per key (client address, reader, email, socket).

Two places keep the buckets, behind one small async interface (`Limits`):
- `MemoryLimits`, in this process (the embedded default, one sidecar);
- `RedisLimits`, in Redis, when several sidecars share a broker (`CHAT_BROKER_URL=redis://…`):
  one Lua script takes a token atomically, so N processes allow what one would, not N times it.

`RateLimiter` is the plain in-memory bucket both the memory backend and per-socket frame
limits use (a socket lives in one process, so its frame budget needs no sharing).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, Protocol

log = logging.getLogger(__name__)

MAX_KEYS = 50_000  # forget idle keys beyond this so an address scan cannot fill memory


@dataclass(frozen=True)
class Rule:
    """A bucket of `burst` tokens refilled at `rate` tokens a second, named for its keys."""

    name: str
    rate: float
    burst: int

    @property
    def refill_seconds(self) -> float:
        return self.burst / self.rate if self.rate else 0.0


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


class Limits(Protocol):
    async def allow(self, rule: Rule, key: str, cost: float = 1.0) -> bool:
        """Take `cost` tokens from the bucket of (rule, key); False when there are too few."""

    async def close(self) -> None: ...


class MemoryLimits:
    def __init__(self) -> None:
        self._limiters: dict[str, RateLimiter] = {}

    async def allow(self, rule: Rule, key: str, cost: float = 1.0) -> bool:
        limiter = self._limiters.get(rule.name)
        if limiter is None:
            limiter = self._limiters[rule.name] = RateLimiter(rule.rate, rule.burst)
        return limiter.allow(key, cost)

    async def close(self) -> None:
        self._limiters.clear()


# KEYS[1] the bucket; ARGV: rate per second, burst, cost, now in ms, ttl in ms.
# Redis' own clock is not used (TIME is not allowed before writes in old versions): the
# callers' clocks agree closely enough for buckets that refill over seconds.
_TAKE = """
local rate, burst, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local now, ttl = tonumber(ARGV[4]), tonumber(ARGV[5])
local state = redis.call('HMGET', KEYS[1], 't', 's')
local tokens, stamp = tonumber(state[1]), tonumber(state[2])
if tokens == nil then tokens, stamp = burst, now end
tokens = math.min(burst, tokens + math.max(0, now - stamp) * rate / 1000)
local allowed = 0
if tokens >= cost then tokens = tokens - cost; allowed = 1 end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 's', tostring(now))
redis.call('PEXPIRE', KEYS[1], ttl)
return allowed
"""


class RedisLimits:
    """Buckets in Redis, shared by every sidecar process on that Redis."""

    def __init__(self, url: str, prefix: str = "chat:") -> None:
        from chat_server.redis_client import redis_client

        self._redis: Any = redis_client(url)
        self._prefix = prefix + "limit:"
        self._take: Any = self._redis.register_script(_TAKE)

        # While Redis is away each process limits on its own: looser, but chat keeps working.
        self._fallback = MemoryLimits()

    async def allow(self, rule: Rule, key: str, cost: float = 1.0) -> bool:
        from redis.exceptions import RedisError

        now_ms = int(time.time() * 1000)
        ttl_ms = int(rule.refill_seconds * 1000) + 1000  # a full bucket needs no key
        try:
            allowed = await self._take(
                keys=[f"{self._prefix}{rule.name}:{key}"],
                args=[rule.rate, rule.burst, cost, now_ms, ttl_ms],
            )
        except (RedisError, OSError) as exc:
            log.warning("rate limits: redis unavailable (%s); limiting in this process", exc)
            return await self._fallback.allow(rule, key, cost)
        return bool(allowed)

    async def close(self) -> None:
        await self._redis.aclose()


# The rules of the public and operator endpoints, in one place.
PUBLIC = Rule("public", rate=1.0, burst=30)  # ratings, failed searches: per endpoint and address
CONNECT = Rule("connect", rate=1.0, burst=30)  # reader socket handshakes per address
UPLOAD = Rule("upload", rate=1.0, burst=30)  # attachment uploads cost 5 each
TOKEN = Rule("token", rate=20.0, burst=200)  # API token requests per address (scripts poll)

# Operator logins, per address across every email (against one password sprayed over many
# accounts): 20 tries, then one every 20 s. Wrong passwords for one account from one address
# back off on their own (login_throttle.py); neither touches any other address.
LOGIN_ADDRESS = Rule("login-address", rate=1 / 20, burst=20)

# Mails asking a reader to confirm an address (chat_server/mail/reader_email.py): a stranger may
# type anyone's address, so each reader, each address and each client gets only a few.
CONFIRM_READER = Rule("confirm-reader", rate=3 / 3600, burst=3)  # 3, then 3 an hour
CONFIRM_EMAIL = Rule("confirm-email", rate=3 / 86400, burst=3)  # 3, then 3 a day
CONFIRM_CLIENT = Rule("confirm-client", rate=10 / 3600, burst=10)  # 10, then 10 an hour


def limits_for(broker_url: str, prefix: str = "chat:") -> Limits:
    """Shared buckets wherever the processes share a Redis broker; in memory otherwise."""
    if broker_url.startswith(("redis://", "rediss://", "unix://")):
        return RedisLimits(broker_url, prefix)
    return MemoryLimits()
