"""Booking rules: when each permanence has slots, and whether a start can be booked.

Pure: no database, no settings. The hours come from config/service.yml (via
``Rules.from_facts``) so that the opening hours users read and the slots they can
book are the same data. Slots are local wall-clock times in the service's time zone
(Europe/Brussels) and are handed out as aware datetimes in UTC, so a Friday 9:00 slot
is 08:00Z in winter and 07:00Z in summer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from dateutil.easter import easter as easter_sunday  # noqa: F401  (Gregorian Easter, kept for callers)

from app.core.facts import Facts

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December")
SERVICE_NAMES = {"social": "social permanence", "legal": "legal permanence"}

Hours = Mapping[str, Mapping[int, Sequence[tuple[time, time]]]]


@dataclass(frozen=True)
class Rules:
    timezone: ZoneInfo
    hours: Hours  # service -> weekday (0 = Monday) -> [(start, end)] local
    slot_minutes: int
    capacity: int  # counsellors per slot = seats per slot
    min_notice: timedelta
    horizon: timedelta
    # (service, day) -> that day's slots: every request asks about the same few weeks.
    _day_cache: dict[tuple[str, date], tuple[Slot, ...]] = field(
        default_factory=dict, init=False, compare=False, repr=False)

    @classmethod
    def from_facts(cls, facts: Facts, *, slot_minutes: int | None = None,
                   capacity: int | None = None) -> Rules:
        """The configured rules; a deployment setting, when given, wins over the file."""
        return cls(timezone=ZoneInfo(facts.timezone), hours=facts.hours,
                   slot_minutes=slot_minutes or facts.slot_minutes,
                   capacity=capacity or facts.counsellors_per_slot,
                   min_notice=timedelta(minutes=facts.min_notice_minutes),
                   horizon=timedelta(days=facts.horizon_days))

    @property
    def slot_length(self) -> timedelta:
        return timedelta(minutes=self.slot_minutes)


@dataclass(frozen=True, order=True)
class Slot:
    start: datetime  # aware, UTC
    end: datetime
    service: str

    def local_start(self, tz: ZoneInfo) -> datetime:
        return self.start.astimezone(tz)


# --- Belgian public holidays ----------------------------------------------------------

# The package's English names as the console and the booking messages have always said
# them; its two Sunday feasts (Easter Sunday, Whit Sunday) are left out: they are not
# among Belgium's ten legal holidays, and Sundays are closed anyway.
_NAMES = {"Labor Day": "Labour Day", "Pentecost Monday": "Whit Monday", "National Day": "Belgian National Day"}
_SUNDAY_FEASTS = {"Easter Sunday", "Pentecost"}


@lru_cache(maxsize=64)
def _legal_holidays(year: int) -> tuple[tuple[date, str], ...]:
    found = holidays.country_holidays("BE", years=year, language="en_US")
    named = ((day, [_NAMES.get(part, part) for part in name.split("; ") if part not in _SUNDAY_FEASTS])
             for day, name in sorted(found.items()))
    return tuple((day, "; ".join(parts)) for day, parts in named if parts)


def belgian_holidays(year: int) -> dict[date, str]:
    """The ten legal public holidays (the ``holidays`` package's Belgian calendar); the
    service is closed on each of them."""
    return dict(_legal_holidays(year))


def closed_reason(day: date, closures: Mapping[date, str]) -> str | None:
    """Why the service is closed on ``day`` (a holiday or an admin's closure), or None."""
    holiday = belgian_holidays(day.year).get(day)
    if holiday:
        return f"{format_day(day)} is a public holiday in Belgium ({holiday}): the service is closed"
    if day in closures:
        reason = closures[day].strip()
        return f"the service is closed on {format_day(day)}" + (f" ({reason})" if reason else "")
    return None


# --- slots ----------------------------------------------------------------------------

def _local(day: date, at: time, tz: ZoneInfo) -> datetime | None:
    """The UTC instant of a local wall-clock time, or None if that time does not exist
    that day (the hour skipped when clocks go forward)."""
    naive = datetime.combine(day, at)
    aware = naive.replace(tzinfo=tz)
    utc = aware.astimezone(UTC)
    if utc.astimezone(tz).replace(tzinfo=None) != naive:
        return None
    return utc


def day_slots(rules: Rules, service: str, day: date) -> list[Slot]:
    """Every slot of a service on a day by the weekly hours alone (closures aside)."""
    cached = rules._day_cache.get((service, day))
    if cached is None:
        if len(rules._day_cache) > 4096:  # a long-running process moves on through the calendar
            rules._day_cache.clear()
        cached = rules._day_cache[(service, day)] = tuple(_compute_day_slots(rules, service, day))
    return list(cached)


def _compute_day_slots(rules: Rules, service: str, day: date) -> list[Slot]:
    spans = rules.hours.get(service, {}).get(day.weekday(), ())
    step = rules.slot_length
    slots = []
    for span_start, span_end in spans:
        cursor = datetime.combine(day, span_start)
        last = datetime.combine(day, span_end)
        while cursor + step <= last:
            start = _local(day, cursor.time(), rules.timezone)
            end = _local(day, (cursor + step).time(), rules.timezone)
            if start is not None and end is not None:
                slots.append(Slot(start=start, end=end, service=service))
            cursor += step
    return slots


def bookable_window(rules: Rules, now: datetime) -> tuple[datetime, datetime]:
    """[earliest, latest) start that can be booked at ``now``."""
    return now + rules.min_notice, now + rules.horizon


def slots_between(rules: Rules, service: str, start: datetime, end: datetime,
                  closures: Mapping[date, str]) -> list[Slot]:
    """Open slots starting in [start, end), in order, skipping holidays and closures."""
    if service not in rules.hours:
        raise UnknownService(service)
    tz = rules.timezone
    day, last_day = start.astimezone(tz).date(), end.astimezone(tz).date()
    out: list[Slot] = []
    while day <= last_day:
        if closed_reason(day, closures) is None:
            out.extend(s for s in day_slots(rules, service, day) if start <= s.start < end)
        day += timedelta(days=1)
    return out


# --- checking one requested start ------------------------------------------------------

class NotBookable(ValueError):
    """A start that can never be booked; the message is a sentence for the user."""


class UnknownService(NotBookable):
    def __init__(self, service: str) -> None:
        super().__init__(f"unknown service {service!r}: choose 'social' or 'legal'")


def check_start(rules: Rules, service: str, start: datetime, now: datetime,
                closures: Mapping[date, str]) -> Slot:
    """The slot that begins at ``start``, or NotBookable saying why not."""
    if service not in rules.hours:
        raise UnknownService(service)
    if start.tzinfo is None:
        raise NotBookable("the start time needs a time zone offset")
    tz = rules.timezone
    local = start.astimezone(tz)
    if start <= now:
        raise NotBookable(f"{format_moment(local)} is in the past: choose a time to come")
    earliest, latest = bookable_window(rules, now)
    if start < earliest:
        minutes = int(rules.min_notice.total_seconds() // 60)
        raise NotBookable(f"{format_moment(local)} is too soon: appointments are booked at least "
                          f"{minutes} minutes ahead")
    if start >= latest:
        raise NotBookable(f"{format_moment(local)} is too far ahead: appointments can be booked up to "
                          f"{rules.horizon.days} days ahead")
    closed = closed_reason(local.date(), closures)
    if closed:
        raise NotBookable(closed)
    for slot in day_slots(rules, service, local.date()):
        if slot.start == start:
            return slot
    hours = format_hours(rules, service)
    within = any(a <= local.time().replace(tzinfo=None) < b
                 for a, b in rules.hours[service].get(local.weekday(), ()))
    if within:
        raise NotBookable(f"{format_moment(local)} is not the start of a slot: the {SERVICE_NAMES[service]}"
                          f" has {rules.slot_minutes}-minute slots ({hours})")
    raise NotBookable(f"{format_moment(local)} is outside the {SERVICE_NAMES[service]}'s hours ({hours})")


# --- English wording for error messages (the bot words things in the user's language) --

def _clock(t: time) -> str:
    return f"{t.hour}:{t.minute:02d}"


def format_day(day: date) -> str:
    return f"{DAY_NAMES[day.weekday()]} {day.day} {MONTH_NAMES[day.month - 1]} {day.year}"


def format_moment(local: datetime) -> str:
    return f"{format_day(local.date())} at {_clock(local.time())}"


def format_hours(rules: Rules, service: str) -> str:
    return ", ".join(f"{DAY_NAMES[day]} {_clock(a)}-{_clock(b)}"
                     for day, spans in sorted(rules.hours[service].items()) for a, b in spans)
