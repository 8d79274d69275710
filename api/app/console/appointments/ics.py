"""iCalendar (RFC 5545) for a day's appointments, so counsellors can load them into
any calendar. The ``icalendar`` package writes it: times in UTC ("Z"), lines ending
with CRLF and folded at 75 octets, text escaped, as the RFC requires."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import icalendar
from icalendar.parser import Contentline

PRODID = "-//Hirondelle//Appointments//EN"


@dataclass(frozen=True)
class Event:
    uid: str
    start: datetime
    end: datetime
    summary: str
    description: str = ""
    location: str = ""


def escape(text: str) -> str:
    """A TEXT value as the calendar carries it (backslash, ``;``, ``,`` and newlines escaped)."""
    return icalendar.vText(text).to_ical().decode("utf-8")


def fold(line: str) -> str:
    """A content line as the calendar carries it: 75-octet pieces, never inside a character."""
    return Contentline(line).to_ical().decode("utf-8")


def calendar(events: Iterable[Event], stamp: datetime, name: str) -> str:
    cal = icalendar.Calendar()
    for key, value in (("version", "2.0"), ("prodid", PRODID), ("calscale", "GREGORIAN"),
                       ("method", "PUBLISH"), ("x-wr-calname", name)):
        cal.add(key, value)
    for event in events:
        vevent = icalendar.Event()
        vevent.add("uid", event.uid)
        # In UTC: the stored times are UTC, and no VTIMEZONE is needed.
        for key, moment in (("dtstamp", stamp), ("dtstart", event.start), ("dtend", event.end)):
            vevent.add(key, moment.astimezone(UTC))
        vevent.add("summary", event.summary)
        if event.description:
            vevent.add("description", event.description)
        if event.location:
            vevent.add("location", event.location)
        vevent.add("status", "CONFIRMED")
        cal.add_component(vevent)
    return cal.to_ical().decode("utf-8")
