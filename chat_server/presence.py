"""Who is online and whether readers can chat live now: operators' presence, business hours,
and the availability every widget shows.

Presence follows the operator page's socket: while one is open anywhere it renews the
operator's `seen_at` every HEARTBEAT_SECONDS; an operator counts as online when they chose
"online" (logging in does) and `seen_at` is younger than ONLINE_TIMEOUT_MS. Closing the last
tab in a process clears `seen_at` at once; a killed process's operators fade within the
timeout. Every process watches the result (`watch`) and tells readers and operators when it
changes, so no widget promises an answer from someone who left.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime

from chat_server import events
from chat_server.broker import Broker
from chat_server.hours import BusinessHours
from chat_server.settings import ChatSettings
from chat_server.store import Record, Store

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 3.0  # an open operator socket renews seen_at this often
ONLINE_TIMEOUT_MS = 10_000  # no renewal for this long: offline
WATCH_SECONDS = 2.0  # how often each process looks whether availability changed


class Presence:
    def __init__(self, settings: ChatSettings, store: Store, broker: Broker) -> None:
        self.settings = settings
        self.store = store
        self.broker = broker
        self._states: dict[int, str] = {}  # what this process last told operators
        self._available: Record | None = None  # and readers
        self.hours = BusinessHours(settings.timezone, settings.hours_start, settings.hours_end,
                                   settings.workdays, settings.closed_dates)

    async def online_operators(self) -> list[Record]:
        return [op for op in await self.store.list_operators() if state_of(op) == "online"]

    async def states(self) -> dict[int, str]:
        """Every operator's presence as colleagues see it: online, away or offline."""
        return {op["id"]: state_of(op) for op in await self.store.list_operators()}

    async def availability(self, now: datetime | None = None) -> Record:
        now = now or datetime.now(UTC)
        within = self.hours.is_open(now)
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
        await self.store.update_operator(operator_id, status=status,
                                         seen_at=int(time.time() * 1000))
        await self.announce()

    async def left(self, operator_id: int) -> None:
        """Their last page in this process closed, or they logged out: offline now."""
        await self.store.update_operator(operator_id, seen_at=0)
        await self.announce()

    async def announce(self) -> None:
        """Tell operators whose presence changed, and readers when availability did, since
        this process last looked (every process looks: `watch`)."""
        states = await self.states()
        for operator_id, state in states.items():
            if self._states.get(operator_id) != state:
                await self.broker.publish(events.OPERATORS, events.presence(operator_id, state))
        self._states = states
        # Computed once here and carried in the event, not once per open widget.
        available = await self.availability()
        if available != self._available:
            self._available = available
            await self.broker.publish(events.READERS, events.availability(available))

    async def watch(self) -> None:
        """Runs for the app's life: notices operators fading (a killed process, a laptop
        closed) and business hours starting or ending."""
        while True:
            await asyncio.sleep(WATCH_SECONDS)
            try:
                await self.announce()
            except Exception:  # a database hiccup must not end the loop
                log.exception("presence: looking at who is online failed")


def state_of(operator: Record, now_ms: int | None = None) -> str:
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    if operator["disabled"] or operator["seen_at"] < now_ms - ONLINE_TIMEOUT_MS:
        return "offline"
    return "online" if operator["status"] == "online" else "away"
