"""When a person can answer: the permanences' hours (config/service.yml), Belgian public
holidays, closure days, and whether a counsellor is signed in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app.appointments import repository as appointments
from app.appointments.schedule import _local, closed_reason
from app.console.accounts.service import online_counsellors
from app.core.facts import get_facts
from app.core.settings import get_settings

LOOKAHEAD_DAYS = 60


@dataclass(frozen=True)
class Availability:
    open_now: bool
    counsellors_online: int
    next_opening: datetime | None  # the next start of a permanence after now (UTC)

    @property
    def soon(self) -> bool:
        """A person can answer soon: a permanence is open and someone is signed in."""
        return self.open_now and self.counsellors_online > 0


def _spans(day: date, closures: dict[date, str]) -> list[tuple[datetime, datetime]]:
    facts = get_facts()
    if closed_reason(day, closures):
        return []
    tz = ZoneInfo(facts.timezone)
    spans = []
    for service_hours in facts.hours.values():
        for start, end in service_hours.get(day.weekday(), []):
            a, b = _local(day, start, tz), _local(day, end, tz)
            if a and b:
                spans.append((a, b))
    return sorted(spans)


def opening(session: Session, now: datetime) -> tuple[bool, datetime | None]:
    """(open now, next opening after now)."""
    today = now.astimezone(ZoneInfo(get_facts().timezone)).date()
    closures = appointments.closures_between(session, today, today + timedelta(days=LOOKAHEAD_DAYS))
    open_now = any(a <= now < b for a, b in _spans(today, closures))
    for offset in range(LOOKAHEAD_DAYS + 1):
        for a, _b in _spans(today + timedelta(days=offset), closures):
            if a > now:
                return open_now, a
    return open_now, None


def ended_at(session: Session, at: datetime) -> str:
    """The end of the permanence open at ``at`` (a name for it: the same in every process)."""
    day = at.astimezone(ZoneInfo(get_facts().timezone)).date()
    closures = appointments.closures_between(session, day, day)
    ends = [b for a, b in _spans(day, closures) if a <= at < b]
    return max(ends).isoformat() if ends else at.isoformat(timespec="minutes")


def availability(session: Session, now: datetime) -> Availability:
    open_now, next_open = opening(session, now)
    online = len(online_counsellors(session, get_settings(), now))
    return Availability(open_now, online, next_open)
