"""Who is online and whether readers can chat live now: operators' presence, business hours,
and the availability every widget shows."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from chat_server import events
from chat_server.broker import Broker
from chat_server.hours import BusinessHours
from chat_server.settings import ChatSettings
from chat_server.store import Record, Store

ONLINE_TIMEOUT_MS = 90_000  # an operator page sends a heartbeat every 30 s


class Presence:
    def __init__(self, settings: ChatSettings, store: Store, broker: Broker) -> None:
        self.settings = settings
        self.store = store
        self.broker = broker
        self.hours = BusinessHours(settings.timezone, settings.hours_start, settings.hours_end,
                                   settings.workdays, settings.closed_dates)

    async def online_operators(self) -> list[Record]:
        cutoff = int(time.time() * 1000) - ONLINE_TIMEOUT_MS
        return [op for op in await self.store.list_operators()
                if op["status"] == "online" and op["seen_at"] >= cutoff and not op["disabled"]]

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
        await self.broker.publish(events.OPERATORS, events.presence(operator_id, status))
        # Computed once here and carried in the event, not once per open widget.
        await self.broker.publish(events.READERS, events.availability(await self.availability()))
