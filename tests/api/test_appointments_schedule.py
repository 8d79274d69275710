"""Booking rules without a database: hours from the config, holidays, DST, checks."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from app.appointments.schedule import (
    NotBookable,
    Rules,
    UnknownService,
    belgian_holidays,
    check_start,
    closed_reason,
    day_slots,
    easter_sunday,
    slots_between,
)
from app.core.facts import load_facts

ROOT = Path(__file__).resolve().parents[2]
FACTS = load_facts(ROOT / "config" / "service.yml")
RULES = Rules.from_facts(FACTS)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def starts(slots) -> list[datetime]:
    return [s.start for s in slots]


def local_clock(slots) -> list[str]:
    return [s.start.astimezone(RULES.timezone).strftime("%H:%M") for s in slots]


# --- configuration ---------------------------------------------------------------------

def test_rules_come_from_the_service_config() -> None:
    assert RULES.slot_minutes == 30 and RULES.capacity == 1
    assert RULES.min_notice == timedelta(minutes=60) and RULES.horizon == timedelta(days=28)
    assert str(RULES.timezone) == "Europe/Brussels"
    assert RULES.hours["social"][0] == [(time(9), time(13))]
    assert RULES.hours["legal"] == {4: [(time(13), time(17))], 5: [(time(9, 30), time(13, 30))]}


def test_settings_override_slot_length_and_capacity() -> None:
    rules = Rules.from_facts(FACTS, slot_minutes=60, capacity=3)
    assert rules.slot_minutes == 60 and rules.capacity == 3
    assert local_clock(day_slots(rules, "social", date(2026, 12, 14))) == ["09:00", "10:00", "11:00", "12:00"]
    assert Rules.from_facts(FACTS, slot_minutes=None, capacity=None) == RULES


# --- holidays ----------------------------------------------------------------------------

@pytest.mark.parametrize(("year", "easter"), [(2024, date(2024, 3, 31)), (2025, date(2025, 4, 20)),
                                              (2026, date(2026, 4, 5)), (2027, date(2027, 3, 28)),
                                              (2038, date(2038, 4, 25))])
def test_easter(year: int, easter: date) -> None:
    assert easter_sunday(year) == easter


def test_belgian_holidays_2026() -> None:
    assert belgian_holidays(2026) == {
        date(2026, 1, 1): "New Year's Day", date(2026, 4, 6): "Easter Monday", date(2026, 5, 1): "Labour Day",
        date(2026, 5, 14): "Ascension Day", date(2026, 5, 25): "Whit Monday",
        date(2026, 7, 21): "Belgian National Day", date(2026, 8, 15): "Assumption Day",
        date(2026, 11, 1): "All Saints' Day", date(2026, 11, 11): "Armistice Day",
        date(2026, 12, 25): "Christmas Day",
    }


def test_belgian_holidays_2027() -> None:
    days = belgian_holidays(2027)
    assert len(days) == 10
    assert days[date(2027, 3, 29)] == "Easter Monday"
    assert days[date(2027, 5, 6)] == "Ascension Day"
    assert days[date(2027, 5, 17)] == "Whit Monday"
    assert days[date(2027, 1, 1)] == "New Year's Day" and days[date(2027, 12, 25)] == "Christmas Day"


@pytest.mark.parametrize("day", [date(2026, 4, 6), date(2026, 5, 14), date(2026, 5, 25), date(2026, 11, 11),
                                 date(2027, 3, 29), date(2027, 5, 6), date(2027, 5, 17), date(2027, 1, 1)])
def test_no_slots_on_public_holidays(day: date) -> None:
    start = datetime.combine(day, time(0), tzinfo=RULES.timezone)
    for service in ("social", "legal"):
        assert slots_between(RULES, service, start, start + timedelta(days=1), {}) == []
    assert "public holiday" in (closed_reason(day, {}) or "")


def test_no_slots_on_an_admin_closure_day_and_the_reason_is_given() -> None:
    day = date(2026, 12, 15)
    start = datetime.combine(day, time(0), tzinfo=RULES.timezone)
    assert len(slots_between(RULES, "social", start, start + timedelta(days=1), {})) == 8
    assert slots_between(RULES, "social", start, start + timedelta(days=1), {day: "staff training"}) == []
    assert closed_reason(day, {day: "staff training"}) == \
        "the service is closed on Tuesday 15 December 2026 (staff training)"


# --- slots --------------------------------------------------------------------------------

def test_social_weekday_slots_9_to_13() -> None:
    slots = day_slots(RULES, "social", date(2026, 12, 14))
    assert local_clock(slots) == ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30", "12:00", "12:30"]
    assert all(s.end - s.start == timedelta(minutes=30) for s in slots)


def test_legal_friday_afternoon_and_saturday_half_day() -> None:
    assert local_clock(day_slots(RULES, "legal", date(2026, 12, 18))) == [
        "13:00", "13:30", "14:00", "14:30", "15:00", "15:30", "16:00", "16:30"]
    saturday = day_slots(RULES, "legal", date(2026, 12, 19))
    assert local_clock(saturday) == ["09:30", "10:00", "10:30", "11:00", "11:30", "12:00", "12:30", "13:00"]
    assert saturday[-1].end.astimezone(RULES.timezone).time() == time(13, 30)


def test_no_slots_outside_the_weekly_hours() -> None:
    assert day_slots(RULES, "social", date(2026, 12, 19)) == []  # Saturday
    assert day_slots(RULES, "social", date(2026, 12, 20)) == []  # Sunday
    assert day_slots(RULES, "legal", date(2026, 12, 17)) == []   # Thursday


# --- DST: slots are Brussels wall-clock times ----------------------------------------

def test_friday_before_the_spring_change_is_still_winter_time() -> None:
    # Clocks go forward on Sunday 29 March 2026.
    social = day_slots(RULES, "social", date(2026, 3, 27))
    assert social[0].start == utc(2026, 3, 27, 8, 0)
    legal = day_slots(RULES, "legal", date(2026, 3, 27))
    assert legal[0].start == utc(2026, 3, 27, 12, 0) and legal[-1].end == utc(2026, 3, 27, 16, 0)
    assert day_slots(RULES, "legal", date(2026, 3, 28))[0].start == utc(2026, 3, 28, 8, 30)


def test_week_after_the_spring_change_is_summer_time() -> None:
    assert day_slots(RULES, "social", date(2026, 3, 30))[0].start == utc(2026, 3, 30, 7, 0)
    assert day_slots(RULES, "legal", date(2026, 4, 3))[0].start == utc(2026, 4, 3, 11, 0)


def test_autumn_change_friday_before_is_summer_and_30_october_is_winter() -> None:
    # Clocks go back on Sunday 25 October 2026.
    assert day_slots(RULES, "social", date(2026, 10, 23))[0].start == utc(2026, 10, 23, 7, 0)
    social = day_slots(RULES, "social", date(2026, 10, 30))
    assert social[0].start == utc(2026, 10, 30, 8, 0) and social[-1].end == utc(2026, 10, 30, 12, 0)
    legal = day_slots(RULES, "legal", date(2026, 10, 30))
    assert legal[0].start == utc(2026, 10, 30, 12, 0)
    assert day_slots(RULES, "legal", date(2026, 10, 31))[0].start == utc(2026, 10, 31, 8, 30)


def test_a_range_across_the_change_keeps_local_times() -> None:
    start = datetime(2026, 3, 27, tzinfo=RULES.timezone)
    slots = slots_between(RULES, "social", start, start + timedelta(days=4), {})
    by_day = {s.start.astimezone(RULES.timezone).date(): s.start for s in reversed(slots)}
    assert by_day[date(2026, 3, 27)] == utc(2026, 3, 27, 8) and by_day[date(2026, 3, 30)] == utc(2026, 3, 30, 7)
    assert set(local_clock(slots)) == {"09:00", "09:30", "10:00", "10:30", "11:00", "11:30", "12:00", "12:30"}


def test_a_wall_clock_time_that_does_not_exist_gives_no_slot() -> None:
    night = Rules(timezone=RULES.timezone, hours={"social": {6: [(time(2, 0), time(3, 0))]}},
                  slot_minutes=30, capacity=1, min_notice=timedelta(0), horizon=timedelta(days=28))
    assert day_slots(night, "social", date(2026, 3, 29)) == []  # 2:00-3:00 skipped that night
    assert len(day_slots(night, "social", date(2026, 4, 5))) == 2


# --- checking a requested start -------------------------------------------------------

NOW = datetime(2026, 12, 14, 9, 0, tzinfo=RULES.timezone).astimezone(UTC)  # Monday


def refused(service: str, start: datetime, closures: dict | None = None) -> str:
    with pytest.raises(NotBookable) as info:
        check_start(RULES, service, start, NOW, closures or {})
    return str(info.value)


def test_a_slot_start_is_bookable() -> None:
    slot = check_start(RULES, "legal", datetime(2026, 12, 18, 13, 30, tzinfo=RULES.timezone), NOW, {})
    assert slot.start == utc(2026, 12, 18, 12, 30) and slot.end == utc(2026, 12, 18, 13, 0)


def test_refusals_say_why() -> None:
    tz = RULES.timezone
    assert "in the past" in refused("social", datetime(2026, 12, 11, 10, tzinfo=tz))
    assert "too soon" in refused("social", datetime(2026, 12, 14, 9, 30, tzinfo=tz))
    assert "60 minutes" in refused("social", datetime(2026, 12, 14, 9, 30, tzinfo=tz))
    assert "28 days" in refused("social", datetime(2027, 1, 12, 10, tzinfo=tz))
    assert "Christmas Day" in refused("legal", datetime(2026, 12, 25, 14, tzinfo=tz))
    assert "New Year's Day" in refused("legal", datetime(2027, 1, 1, 14, tzinfo=tz))
    assert "(staff training)" in refused("social", datetime(2026, 12, 16, 10, tzinfo=tz),
                                         {date(2026, 12, 16): "staff training"})
    outside = refused("legal", datetime(2026, 12, 17, 14, tzinfo=tz))
    assert "outside" in outside and "Friday 13:00-17:00, Saturday 9:30-13:30" in outside
    assert "outside" in refused("social", datetime(2026, 12, 19, 10, tzinfo=tz))
    assert "outside" in refused("social", datetime(2026, 12, 15, 13, tzinfo=tz))  # the closing time
    assert "30-minute slots" in refused("social", datetime(2026, 12, 15, 10, 15, tzinfo=tz))
    assert "time zone" in refused("social", datetime(2026, 12, 15, 10))
    with pytest.raises(UnknownService):
        check_start(RULES, "medical", datetime(2026, 12, 15, 10, tzinfo=tz), NOW, {})
