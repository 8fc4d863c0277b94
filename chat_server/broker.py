"""Fan-out of events between connections: in-process, or Redis pub/sub across processes.

A connection owns one `Subscriber` (one bounded queue) and adds the channels it cares about
(`conversation:12`, `reader:abc`, `operators`). Events are small JSON-able dicts; the store
is the record, the broker only says "look, something happened".
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any, Protocol

log = logging.getLogger(__name__)

QUEUE_SIZE = 1000  # events a slow socket may lag behind before it is dropped


class Subscriber:
    """One connection's inbox of events from the channels it added."""

    def __init__(self, hub: Hub, origin: str = "") -> None:
        self._hub = hub
        # The socket this inbox serves: an event it caused (an event's `origin`) is not
        # delivered back to it, as it already had its answer (an ack).
        self.origin = origin
        self.channels: set[str] = set()
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        self.overflowed = False  # the consumer could not keep up; it should disconnect

    def add(self, channel: str) -> None:
        if channel not in self.channels:
            self.channels.add(channel)
            self._hub.by_channel.setdefault(channel, set()).add(self)

    def remove(self, channel: str) -> None:
        self.channels.discard(channel)
        subscribers = self._hub.by_channel.get(channel)
        if subscribers is not None:
            subscribers.discard(self)
            if not subscribers:
                del self._hub.by_channel[channel]

    def close(self) -> None:
        for channel in list(self.channels):
            self.remove(channel)

    async def get(self) -> dict[str, Any]:
        return await self.queue.get()

    def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[dict[str, Any]]:
        while True:
            yield await self.queue.get()


class Hub:
    """Local delivery: channel -> subscribers in this process."""

    def __init__(self) -> None:
        self.by_channel: dict[str, set[Subscriber]] = {}

    def deliver(self, channel: str, event: Mapping[str, Any]) -> None:
        subscribers = self.by_channel.get(channel)
        if not subscribers:
            return
        # One copy for all of the channel's subscribers, so that the frame made of it is
        # encoded once for all of them (protocol.conversation_frame); nobody changes it.
        delivered = {**event, "channel": channel}
        origin = event.get("origin")
        for subscriber in list(subscribers):
            if origin and subscriber.origin == origin:
                continue
            try:
                subscriber.queue.put_nowait(delivered)
            except asyncio.QueueFull:
                subscriber.overflowed = True


class Broker(Protocol):
    async def connect(self) -> None: ...
    async def disconnect(self) -> None: ...
    async def publish(self, channel: str, event: Mapping[str, Any]) -> None: ...
    def subscriber(self, origin: str = "") -> Subscriber: ...


class MemoryBroker:
    """One process: publishing is delivering."""

    def __init__(self) -> None:
        self.hub = Hub()

    async def connect(self) -> None:
        return None

    async def disconnect(self) -> None:
        return None

    async def publish(self, channel: str, event: Mapping[str, Any]) -> None:
        self.hub.deliver(channel, event)

    def subscriber(self, origin: str = "") -> Subscriber:
        return Subscriber(self.hub, origin)


class RedisBroker:
    """Several processes: every event goes through Redis and back to each process's hub.

    One pattern subscription per process (`<prefix>*`) instead of one Redis SUBSCRIBE per
    channel: no subscribe/unsubscribe traffic as sockets come and go, and no races between
    a subscribe call and the reader task on the same pub/sub connection. The price is that
    every process sees every event, which is fine at help-desk volumes.
    """

    def __init__(self, url: str, prefix: str = "chat:") -> None:
        self.url = url
        self.prefix = prefix
        self.hub = Hub()
        self._redis: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def connect(self) -> None:
        import redis.asyncio as redis

        self._redis = redis.from_url(self.url)
        await self._redis.ping()
        self._reader = asyncio.create_task(self._read_forever())
        await asyncio.wait_for(self._ready.wait(), timeout=10)

    async def disconnect(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._redis is not None:
            await self._redis.aclose()

    async def publish(self, channel: str, event: Mapping[str, Any]) -> None:
        await self._redis.publish(self.prefix + channel, json.dumps(event, default=str))

    def subscriber(self, origin: str = "") -> Subscriber:
        return Subscriber(self.hub, origin)

    async def _read_forever(self) -> None:
        while True:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.psubscribe(self.prefix + "*")
                self._ready.set()
                async for message in pubsub.listen():
                    if message.get("type") != "pmessage":
                        continue
                    channel = message["channel"].decode()[len(self.prefix):]
                    self.hub.deliver(channel, json.loads(message["data"]))
            except asyncio.CancelledError:
                await pubsub.aclose()
                raise
            except Exception as exc:  # Redis restarted or the network blipped: resubscribe.
                log.warning("redis broker: %s; reconnecting in 1 s", exc)
                await pubsub.aclose()
                await asyncio.sleep(1)


def open_broker(url: str, prefix: str = "chat:") -> Broker:
    """`memory://` (default, one process) or `redis://host:port/db`; `prefix` namespaces
    the Redis channels so several deployments (or test runs) can share one server."""
    if not url or url.startswith("memory"):
        return MemoryBroker()
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisBroker(url, prefix)
    raise ValueError(f"unsupported broker URL {url.split(':', 1)[0]!r}: use memory:// or redis://")
