"""Bounds for the dates and numbers a client sends: a clear refusal (ValueError, turned
into a 422 by the caller) instead of an overflow deep in date arithmetic or a
PostgreSQL integer out of range (a 500).

The service's dates live within a few years of today: anything outside 2000-2100 is a
typing mistake or a probe, never a permanence.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator

EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
# Ids are INTEGER columns: 32 bits on PostgreSQL, which refuses a larger parameter.
MAX_ID = 2**31 - 1
# A row id in a URL path (/api/console/counsellors/{account_id}): a 422 beyond the column's range.
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]
_DATE_OR_TIME = "use a date (2026-11-27) or a date and time (2026-11-27T13:00:00+01:00)"


class OutOfRange(ValueError):
    pass


def check_date(day: date, name: str) -> date:
    if not EARLIEST <= day <= LATEST:
        raise OutOfRange(f"{name}: a date between {EARLIEST.isoformat()} and {LATEST.isoformat()}")
    return day


def _in_years(day: date) -> date:
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"a date between {EARLIEST.isoformat()} and {LATEST.isoformat()}")
    return day


# A date a client sends in a query, a path or a body (the console's day, a closure day).
ServiceDate = Annotated[date, AfterValidator(_in_years)]


def date_or_datetime(text: str, name: str) -> date | datetime:
    """An ISO date ("2026-11-27") or date-time ("2026-11-27T13:00", an offset optional:
    "+01:00", "Z"), within the service's years; the offset within ±24 h (Python's own
    rule: "+99:99" is refused here, not later)."""
    text = text.strip()
    if len(text) > 40:
        raise ValueError(f"{name}: {_DATE_OR_TIME}")
    try:
        if len(text) == 10:
            return check_date(date.fromisoformat(text), name)
        moment = datetime.fromisoformat(text)
    except OutOfRange:
        raise
    except (ValueError, OverflowError):
        raise ValueError(f"{name}: {_DATE_OR_TIME}") from None
    check_date(moment.date(), name)
    if moment.tzinfo is not None:
        # A moment on 2100-12-31 late with a negative offset is 2101 in UTC: still
        # fine for arithmetic, since the bounds are far from date.max.
        offset = moment.utcoffset() or timedelta(0)
        if abs(offset) >= timedelta(hours=24):
            raise ValueError(f"{name}: the offset must be within ±24:00")
    return moment


def id_number(text: str | None, name: str) -> int | None:
    """An id a client echoes back (Last-Event-ID, ?after=): ASCII digits, at most an
    INTEGER; None when absent or blank. A 5,000-digit number is refused here, before
    int() (Python refuses over 4,300 digits) or PostgreSQL (INTEGER) can fail on it."""
    if text is None or not text.strip():
        return None
    value = small_int(text)
    if value is None:
        raise OutOfRange(f"{name}: a whole number from 0 to {MAX_ID}")
    return value


def small_int(text: str | None, *, high: int = MAX_ID) -> int | None:
    """A non-negative integer written in ASCII digits and at most ``high``, else None
    (for fields a trusted sender fills, e.g. Twilio's ErrorCode, where a strange value
    is ignored rather than refused)."""
    if text is None:
        return None
    text = text.strip()
    if not text or len(text) > 19 or not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if value <= high else None
