"""One way to open a Redis client for the sidecar's shared state (limits, back-off, fan-out).

redis-py's default pool holds at most 100 connections and *raises* "Too many connections"
beyond them, which a burst of a few hundred handshakes reaches at once: the rate limits then
fell back to this process's own buckets, so N processes allowed N times the limit. A blocking
pool makes the 101st caller wait for a free connection instead (bounded by `timeout`).
"""

from __future__ import annotations

from typing import Any

POOL_SIZE = 64  # per process and client; each call holds one only for a round trip
WAIT_SECONDS = 5.0  # longer than that and Redis counts as away for this call


def redis_client(url: str, **connection: Any) -> Any:
    """`connection`: redis-py's per-connection options (socket_timeout, ...)."""
    import redis.asyncio as redis

    pool = redis.BlockingConnectionPool.from_url(url, max_connections=POOL_SIZE,
                                                 timeout=WAIT_SECONDS, **connection)
    return redis.Redis(connection_pool=pool)
