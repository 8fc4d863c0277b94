"""Fan-out of events between connections: in-process, or Redis pub/sub across processes.

A connection owns one `Subscriber` (one bounded queue) and adds the channels it cares about
(`conversation:12`, `reader:abc`, `operators`). Events are small JSON-able dicts; the store
is the record, the broker only says "look, something happened".

What a lost fan-out costs: nothing stored, only news. A Redis broker that loses Redis keeps
publishing to its own process's sockets, reconnects with back-off and, once subscribed
again, puts a `resync` event in every inbox of the process: each socket then closes with
`Close.RESYNC`, and the widget and the operator page reconnect and read what they missed
from the store (a reader resumes from the messages it has; the page fetches its lists).
A process whose publishes failed while others kept Redis says so on RESYNC_CHANNEL when it
can again, so the other processes' sockets catch up too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import uuid
from collections.abc import AsyncIterator, Mapping
from typing import Any, Protocol

from chat_server.redis_client import redis_client

log = logging.getLogger(__name__)

QUEUE_SIZE = 1000  # events a slow socket may lag behind before it is dropped
RESYNC = {"kind": "resync"}  # to every inbox: events were lost, read the store again
RESYNC_CHANNEL = "_resync"  # between processes: "I could not publish for a while"
BACKOFF_FIRST = 0.1  # seconds before the first reconnect to Redis, doubling...
BACKOFF_MAX = 5.0  # ...up to this: a restarted Redis is found within 5 s of being back
REDIS_TIMEOUT = 2.0  # a publish waits no longer than this for an unreachable Redis


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

    def resync(self) -> None:
        """Tell every subscriber in this process that events may have been lost."""
        everyone = {s for subscribers in self.by_channel.values() for s in subscribers}
        for subscriber in everyone:
            try:
                subscriber.queue.put_nowait(RESYNC)
            except asyncio.QueueFull:  # so far behind that it disconnects anyway
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
        self.name = uuid.uuid4().hex  # this process, on RESYNC_CHANNEL
        self._redis: Any = None  # publishing: fails fast (REDIS_TIMEOUT) when Redis is away
        self._listening: Any = None  # the pub/sub connection: waits for events without end
        self._reader: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._unsent = False  # a publish failed: other processes missed it
        self.resyncs = 0  # how often this process told its sockets to catch up

    async def connect(self) -> None:
        import redis.asyncio as redis

        # A pool that waits rather than raising past 100 connections: a burst of publishes
        # from hundreds of sockets at once (redis_client.py).
        self._redis = redis_client(self.url, socket_connect_timeout=REDIS_TIMEOUT,
                                   socket_timeout=REDIS_TIMEOUT)
        await self._redis.ping()
        self._listening = redis.from_url(self.url, socket_connect_timeout=REDIS_TIMEOUT)
        self._reader = asyncio.create_task(self._read_forever())
        await asyncio.wait_for(self._ready.wait(), timeout=10)

    async def disconnect(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        for client in (self._redis, self._listening):
            if client is not None:
                await client.aclose()

    async def publish(self, channel: str, event: Mapping[str, Any]) -> None:
        """Never raises for a lost Redis: the change is stored already, so this process's
        sockets hear of it at once and the others catch up from the store (`resync`)."""
        from redis.exceptions import RedisError

        try:
            if self._unsent:
                await self._say_resync()
            await self._redis.publish(self.prefix + channel, json.dumps(event, default=str))
        except (RedisError, OSError) as exc:
            if not self._unsent:
                log.warning("redis broker: publishing failed (%s); this process only", exc)
            self._unsent = True
            self.hub.deliver(channel, event)

    async def _say_resync(self) -> None:
        await self._redis.publish(self.prefix + RESYNC_CHANNEL, json.dumps({"from": self.name}))
        self._unsent = False

    def subscriber(self, origin: str = "") -> Subscriber:
        return Subscriber(self.hub, origin)

    async def _read_forever(self) -> None:
        from redis.exceptions import RedisError

        wait, lost = BACKOFF_FIRST, False
        while True:
            pubsub = self._listening.pubsub()
            try:
                await pubsub.psubscribe(self.prefix + "*")
                if lost:  # whatever was published meanwhile never reached this process
                    log.warning("redis broker: subscribed again; sockets resynchronise")
                    self._resync()
                    if self._unsent:
                        await self._say_resync()
                wait, lost = BACKOFF_FIRST, False
                self._ready.set()
                async for message in pubsub.listen():
                    if message.get("type") == "pmessage":
                        self._received(message)
            except asyncio.CancelledError:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                raise
            except (RedisError, OSError) as exc:  # Redis restarted or the network blipped
                log.warning("redis broker: %s; reconnecting in %.1f s", exc, wait)
                lost = True
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                # Jitter, so that the processes of a deployment do not reconnect in step.
                await asyncio.sleep(wait * random.uniform(0.5, 1.0))
                wait = min(wait * 2, BACKOFF_MAX)

    def _received(self, message: Mapping[str, Any]) -> None:
        channel = message["channel"].decode()[len(self.prefix):]
        if channel != RESYNC_CHANNEL and channel not in self.hub.by_channel:
            # Every process sees every event; most reader channels have no socket here.
            return
        event = json.loads(message["data"])
        if channel == RESYNC_CHANNEL:
            if event.get("from") != self.name:
                self._resync()
            return
        self.hub.deliver(channel, event)

    def _resync(self) -> None:
        self.resyncs += 1
        self.hub.resync()


def open_broker(url: str, prefix: str = "chat:") -> Broker:
    """`memory://` (default, one process) or `redis://host:port/db`; `prefix` namespaces
    the Redis channels so several deployments (or test runs) can share one server."""
    if not url or url.startswith("memory"):
        return MemoryBroker()
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisBroker(url, prefix)
    raise ValueError(f"unsupported broker URL {url.split(':', 1)[0]!r}: use memory:// or redis://")
