"""Business hours: open now? when back? — in the team's time zone, with days off."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class BusinessHours:
    timezone: str = "Europe/Moscow"
    start: str = "10:00"
    end: str = "20:00"
    workdays: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7)
    closed_dates: tuple[str, ...] = ("01-01", "01-02")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def _times(self) -> tuple[time, time]:
        return time.fromisoformat(self.start), time.fromisoformat(self.end)

    def is_workday(self, day: date) -> bool:
        if day.isoweekday() not in self.workdays:
            return False
        return not any(
            closed in (day.isoformat(), day.strftime("%m-%d")) for closed in self.closed_dates
        )

    def is_open(self, now: datetime) -> bool:
        local = now.astimezone(self.zone)
        start, end = self._times()
        return self.is_workday(local.date()) and start <= local.time().replace(tzinfo=None) < end

    def next_open(self, now: datetime) -> datetime | None:
        """The next opening moment after `now` (now itself when open); None if never."""
        if self.is_open(now):
            return now
        local = now.astimezone(self.zone)
        start, _end = self._times()
        for offset in range(0, 370):  # a year and a bit covers every closed-dates pattern
            day = local.date() + timedelta(days=offset)
            opening = datetime.combine(day, start, tzinfo=self.zone)
            if opening > local and self.is_workday(day):
                return opening
        return None
