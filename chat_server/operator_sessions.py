"""Operator sessions, kept in the store, and the end of them reaching open sockets.

The cookie carries a random id; the store keeps its hash, the operator and an expiry.
Every request looks the session up, so logout, disabling an operator and a new password
(which delete the rows) take effect on the next request, on every process.

An open operator socket hears of the end in two ways, whichever comes first:
- a `session_ended` event on the broker's `operators` channel, published by whoever ended
  it (a logout on any process, or the command line when it shares a Redis broker);
- `SessionWatch`, which asks the store twice a second which of this process's watched
  sessions still live — for an end nobody announced (the command line beside a `memory://`
  broker, Redis away, an expiry).
Both put the same event in the socket's queue; the socket closes with SESSION_ENDED.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any

from chat_server import auth, events
from chat_server.broker import Broker, Subscriber
from chat_server.store import Record, Store
from chat_server.store.rows import now_ms

log = logging.getLogger(__name__)

CHANNEL = events.OPERATORS
TOUCH_EVERY_MS = 60_000  # last_seen is for people reading the table: once a minute will do
WATCH_SECONDS = 0.5
MAX_ID_CHARS = 100  # a session id is 43 characters; anything much longer is not one


@dataclass(frozen=True)
class Session:
    id: str  # the cookie's value: the CSRF token is derived from it
    hash: str
    operator: Record


def ends(event: dict[str, Any], session: Session) -> bool:
    if event.get("kind") != "session_ended":
        return False
    if event.get("session"):
        return bool(event["session"] == session.hash)
    return bool(event.get("operator_id") == session.operator["id"])


async def announce_ended(broker: Broker, operator_id: int | None = None,
                         session_hash: str = "") -> None:
    await broker.publish(CHANNEL, events.session_ended(operator_id, session_hash))


class Sessions:
    def __init__(self, store: Store, broker: Broker) -> None:
        self.store = store
        self.broker = broker
        self.watch = SessionWatch(store)

    async def start(self, operator: Record) -> str:
        """A new session for `operator`; the id to put in their cookie."""
        session_id = auth.new_session_id()
        await self.store.add_session(auth.session_hash(session_id), operator["id"],
                                     now_ms() + auth.SESSION_MAX_AGE * 1000)
        return session_id

    async def lookup(self, session_id: str | None) -> Session | None:
        """The live session of a cookie's id, with its (enabled) operator."""
        if not session_id or len(session_id) > MAX_ID_CHARS:
            return None
        digest = auth.session_hash(session_id)
        row = await self.store.get_session(digest)
        now = now_ms()
        if row is None or row["expires_at"] <= now:
            return None
        operator = await self.store.get_operator(row["operator_id"])
        if operator is None or operator["disabled"]:
            return None
        if now - row["last_seen"] > TOUCH_EVERY_MS:
            await self.store.touch_session(digest, now)
        return Session(session_id, digest, operator)

    async def end(self, session: Session) -> None:
        await self.store.end_session(session.hash)
        await announce_ended(self.broker, session_hash=session.hash)

    async def close(self) -> None:
        await self.watch.close()


class SessionWatch:
    """The sessions of this process's open sockets, checked in one query twice a second."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._watched: dict[str, set[Subscriber]] = {}
        self._task: asyncio.Task[None] | None = None

    def add(self, session_hash: str, subscriber: Subscriber) -> None:
        self._watched.setdefault(session_hash, set()).add(subscriber)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())

    def remove(self, session_hash: str, subscriber: Subscriber) -> None:
        subscribers = self._watched.get(session_hash)
        if subscribers is not None:
            subscribers.discard(subscriber)
            if not subscribers:
                del self._watched[session_hash]

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while self._watched:  # the task ends with the last socket; add() starts another
            await asyncio.sleep(WATCH_SECONDS)
            try:
                live = await self._store.live_sessions(list(self._watched), now_ms())
            except Exception as exc:  # the database is away: sockets carry on, ask again
                log.warning("session watch: %s", exc)
                continue
            for session_hash in [h for h in self._watched if h not in live]:
                for subscriber in self._watched.pop(session_hash):
                    _tell(subscriber, dict(events.session_ended(session_hash=session_hash)))


def _tell(subscriber: Subscriber, event: dict[str, Any]) -> None:
    try:
        subscriber.queue.put_nowait(event)
    except asyncio.QueueFull:
        subscriber.overflowed = True  # it closes on its next event all the same
