"""Who is online and whether readers can chat live now: operators' presence, business hours,
and the availability every widget shows.

Presence follows the operator page's socket. Each open socket holds a lease in the store
(store/operator_sockets.py), renewed every RENEW_SECONDS for LEASE_MS and dropped when the
socket closes; a logout drops its session's leases. An operator is online when they chose
"online" and hold a lease in any process, away when they chose "away" and hold one, and
offline otherwise. Opening the page when no other page of theirs is open is coming to work:
"online" again. A process killed without cleanup leaves leases that expire within LEASE_MS.
Every process looks every WATCH_SECONDS (`watch`), and at once when one of its sockets opens
or closes, and tells operators (presence) and readers (availability) what changed, so no
widget promises an answer from someone who left.

Typing is a lease too: a page says "typing" every 2 s while its operator types, so a
"typing" not repeated within TYPING_SECONDS has ended even if no "stopped" ever comes (the
page's process was killed, the frame was lost with Redis). `TypingFade` ends it in the
socket that showed it, on whichever process that is.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from chat_server import events
from chat_server.broker import Broker
from chat_server.hours import BusinessHours
from chat_server.settings import ChatSettings
from chat_server.store import Record, Store
from chat_server.store.rows import now_ms

log = logging.getLogger(__name__)

RENEW_SECONDS = 3.0  # an open operator socket renews its lease this often
LEASE_MS = 10_000  # a lease not renewed for this long no longer counts: offline
WATCH_SECONDS = 2.0  # how often each process looks whether presence or availability changed
TYPING_SECONDS = 6.0  # a "typing" not renewed (every 2 s while typing) for this long ended


class Presence:
    def __init__(self, settings: ChatSettings, store: Store, broker: Broker) -> None:
        self.settings = settings
        self.store = store
        self.broker = broker
        self._states: dict[int, str] = {}  # what this process last told operators
        self._available: Record | None = None  # and readers
        # Called for each operator this process sees come online (their queues move).
        self.came_online: Callable[[Record], Awaitable[None]] | None = None
        self._announcing = asyncio.Lock()  # one look at a time: no older result sent last
        self.hours = BusinessHours(settings.timezone, settings.hours_start, settings.hours_end,
                                   settings.workdays, settings.closed_dates)

    async def connected(self) -> set[int]:
        """Operators with a page open somewhere (an unexpired lease)."""
        return await self.store.operators_with_sockets(now_ms())

    async def online_operators(self) -> list[Record]:
        connected = await self.connected()
        return [op for op in await self.store.list_operators()
                if state_of(op, connected) == "online"]

    async def availability(self, now: datetime | None = None, online: int | None = None
                           ) -> Record:
        """What the widget shows; `online` when the caller has just counted them."""
        now = now or datetime.now(UTC)
        within = self.hours.is_open(now)
        if online is None:
            online = len(await self.online_operators())
        back = self.hours.next_open(now)
        return {
            "live": within and online > 0,
            "within_hours": within,
            "operators_online": online,
            "next_open": back.isoformat() if back and not within else None,
            "reply_minutes": self.settings.reply_minutes,
            "timezone": self.settings.timezone,
            "hours": [self.settings.hours_start, self.settings.hours_end],
        }

    async def set_presence(self, operator_id: int, status: str) -> None:
        """The operator's choice; it shows only while a page of theirs is open."""
        await self.store.update_operator(operator_id, status=status)
        await self.announce()

    async def opened(self, socket_id: str, session_hash: str, operator_id: int) -> bool:
        """A page's socket opened: hold its lease. The first page open anywhere makes the
        operator online; another tab keeps what they chose. False if the session ended."""
        first = operator_id not in await self.connected()
        if not await self.renew(socket_id, session_hash):
            return False
        if first:
            await self.store.update_operator(operator_id, status="online")
        await self.announce()
        return True

    async def renew(self, socket_id: str, session_hash: str) -> bool:
        now = now_ms()
        return await self.store.renew_socket(socket_id, session_hash, now + LEASE_MS, now)

    async def closed(self, socket_id: str) -> None:
        """A page's socket closed: its operator is offline now unless another one is open."""
        await self.store.drop_socket(socket_id)
        await self.announce()

    async def logged_out(self, session_hash: str) -> None:
        """The session ended (its sockets are closing): none of them keeps anyone online."""
        await self.store.drop_session_sockets(session_hash)
        await self.announce()

    async def announce(self) -> None:
        """Tell operators whose presence changed, and readers when availability did, since
        this process last looked (every process looks: `watch`); then `came_online` for
        each operator who did."""
        async with self._announcing:
            connected = await self.connected()
            operators = await self.store.list_operators()
            states = {op["id"]: state_of(op, connected) for op in operators}
            arrived = [op for op in operators if states[op["id"]] == "online"
                       and self._states.get(op["id"], "offline") != "online"]
            for operator_id, state in states.items():
                if self._states.get(operator_id, "offline") != state:
                    await self.broker.publish(events.OPERATORS,
                                              events.presence(operator_id, state))
            self._states = states
            # Computed once here and carried in the event, not once per open widget.
            online = sum(state == "online" for state in states.values())
            available = await self.availability(online=online)
            if available != self._available:
                self._available = available
                await self.broker.publish(events.READERS, events.availability(available))
        if self.came_online is not None:  # outside the lock: it may look at presence
            for operator in arrived:
                await self.came_online(operator)

    async def watch(self) -> None:
        """Runs for the app's life: notices leases expiring (a killed process, a laptop
        closed), other processes' sockets, and business hours starting or ending."""
        while True:
            await asyncio.sleep(WATCH_SECONDS)
            try:
                await self.announce()
            except Exception:  # a database hiccup must not end the loop
                log.exception("presence: looking at who is online failed")


def state_of(operator: Record, connected: set[int]) -> str:
    """online, away or offline: the operator's choice, shown only while a page is open."""
    if operator["disabled"] or operator["id"] not in connected:
        return "offline"
    return "online" if operator["status"] == "online" else "away"



class TypingFade:
    """One socket's "typing…" leases: a `typing` event seen going to the socket and not
    renewed or stopped within `seconds` is followed by its "stopped", put in the socket's
    own inbox so that it goes out like any other event."""

    def __init__(self, inbox: asyncio.Queue[dict[str, Any]],
                 seconds: float = TYPING_SECONDS) -> None:
        self.inbox = inbox
        self.seconds = seconds
        self._timers: dict[tuple[Any, ...], asyncio.TimerHandle] = {}

    def saw(self, event: dict[str, Any]) -> None:
        if event.get("kind") != "typing":
            return
        key = (event["conversation_id"], event["side"], event.get("name", ""))
        timer = self._timers.pop(key, None)
        if timer is not None:
            timer.cancel()
        if event["typing"]:
            self._timers[key] = asyncio.get_running_loop().call_later(
                self.seconds, self._fade, key, {**event, "typing": False})

    def _fade(self, key: tuple[Any, ...], stopped: dict[str, Any]) -> None:
        self._timers.pop(key, None)
        with contextlib.suppress(asyncio.QueueFull):  # that socket is being dropped anyway
            self.inbox.put_nowait(stopped)

    def close(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
