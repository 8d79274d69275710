"""Property tests (hypothesis) for the booking rules (app.appointments.schedule): slots never
overlap, daylight-saving days give only real wall-clock times, holidays and closure days never
have slots, on any day of 2000-2100, with the real hours and with hours that cross the night
(where the clock changes)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

from app.appointments.schedule import Rules, belgian_holidays, check_start, day_slots, slots_between
from app.core.facts import load_facts
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
FACTS = load_facts(ROOT / "config" / "service.yml")
BRUSSELS = ZoneInfo("Europe/Brussels")

DAYS = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))
YEARS = st.integers(min_value=2000, max_value=2100)
SLOT_MINUTES = st.sampled_from([5, 10, 15, 20, 25, 30, 40, 45, 60, 90, 120, 240])
REAL = st.builds(lambda m: Rules.from_facts(FACTS, slot_minutes=m), SLOT_MINUTES)


def _night_rules(slot_minutes: int) -> Rules:
    """Every day from 00:00 to 06:00 and 22:00 to 23:59: the hours the clocks change in."""
    spans = ((time(0, 0), time(6, 0)), (time(22, 0), time(23, 59)))
    return Rules(timezone=BRUSSELS, hours={"night": dict.fromkeys(range(7), spans)},
                 slot_minutes=slot_minutes, capacity=1, min_notice=timedelta(0), horizon=timedelta(days=400))


NIGHT = st.builds(_night_rules, SLOT_MINUTES)


def _last_sunday(year: int, month: int) -> date:
    day = date(year, month, 31)
    return day - timedelta(days=(day.weekday() + 1) % 7)


DST_DAYS = st.builds(lambda y, m: _last_sunday(y, m), YEARS, st.sampled_from([3, 10]))


def _assert_sound(rules: Rules, service: str, slots: list) -> None:
    for slot in slots:
        assert slot.start.tzinfo is not None and slot.start.utcoffset() == timedelta(0)
        assert slot.start < slot.end
        # A real wall-clock time: the local time read back gives the same instant.
        for instant in (slot.start, slot.end):
            local = instant.astimezone(rules.timezone)
            again = local.replace(tzinfo=None).replace(tzinfo=rules.timezone).astimezone(UTC)
            assert again == instant, (slot, local)
        local_start = slot.start.astimezone(rules.timezone)
        spans = rules.hours[service].get(local_start.weekday(), ())
        assert any(a <= local_start.time() < b for a, b in spans), slot
        # One slot of wall-clock time, whatever the clock did in between.
        local_end = slot.end.astimezone(rules.timezone)
        assert local_end.replace(tzinfo=None) - local_start.replace(tzinfo=None) == rules.slot_length, slot
    for earlier, later in pairwise(slots):
        assert earlier.end <= later.start, (earlier, later)  # never overlapping, in order


@settings(max_examples=300, deadline=None)
@given(REAL, st.sampled_from(["social", "legal"]), DAYS)
def test_real_hours_slots_never_overlap_and_last_one_slot_length(rules: Rules, service: str, day: date) -> None:
    slots = day_slots(rules, service, day)
    _assert_sound(rules, service, slots)
    for slot in slots:  # daytime hours: no clock change inside a slot
        assert slot.end - slot.start == rules.slot_length
        assert slot.start.astimezone(BRUSSELS).date() == day


@settings(max_examples=200, deadline=None)
@given(NIGHT, st.one_of(DST_DAYS, DAYS))
def test_night_hours_on_clock_change_days_give_only_real_times(rules: Rules, day: date) -> None:
    slots = day_slots(rules, "night", day)
    _assert_sound(rules, "night", slots)
    starts = [s.start for s in slots]
    assert len(starts) == len(set(starts))
    if day == _last_sunday(day.year, 3):
        # 02:00-03:00 does not exist that night: a slot starting or ending in it is left out.
        m = rules.slot_minutes
        meets_gap = any(120 <= k * m < 180 for k in range(360 // m + 1))
        week_after = len(day_slots(rules, "night", day + timedelta(days=7)))
        assert (len(slots) < week_after) if meets_gap else (len(slots) == week_after)


@settings(max_examples=200, deadline=None)
@given(st.one_of(REAL, NIGHT), YEARS)
def test_public_holidays_never_have_slots(rules: Rules, year: int) -> None:
    service = next(iter(rules.hours))
    for holiday in belgian_holidays(year):
        start = datetime.combine(holiday, time(0), BRUSSELS).astimezone(UTC)
        assert slots_between(rules, service, start, start + timedelta(hours=24), {}) == [], holiday


@settings(max_examples=200, deadline=None)
@given(REAL, st.sampled_from(["social", "legal"]), DAYS, st.integers(min_value=1, max_value=21),
       st.sets(DAYS, max_size=5))
def test_a_window_lists_sound_slots_only_on_open_days(rules: Rules, service: str, first: date, days: int,
                                                      closed: set[date]) -> None:
    start = datetime.combine(first, time(0), BRUSSELS).astimezone(UTC)
    end = start + timedelta(days=days)
    closures = dict.fromkeys(closed, "")
    slots = slots_between(rules, service, start, end, closures)
    _assert_sound(rules, service, slots)
    for slot in slots:
        local_day = slot.start.astimezone(BRUSSELS).date()
        assert start <= slot.start < end
        assert local_day not in closures and local_day not in belgian_holidays(local_day.year)
        # What the list offers, a booking accepts.
        assert check_start(rules, service, slot.start, start - timedelta(days=1), closures) == slot
