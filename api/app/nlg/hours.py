"""Opening hours that answer the question asked.

"Are you open on Saturday?" must not get only the Monday-Friday social permanence: the
legal permanence is open on Saturday. When the user names a day ("saturday", "demain",
"27/11", "this weekend"), the reply lists every permanence open that day, computed from
config/service.yml, public holidays and the days an admin closed; on a closed day it
says so and gives the next opening. A question with no day ("what are your hours?")
gets both permanences. Rasa still picks utter_social_hours or utter_legal_hours; the
gateway's NLG writes this answer in their place.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.appointments.parse import fold, parse_when
from app.appointments.schedule import closed_reason
from app.core.facts import get_facts
from app.i18n.catalogue import LANGUAGES, format_date, format_time, load_catalogue, render

SATURDAY = 5
LOOK_AHEAD = 21  # days searched for the next opening
# "weekend" in the nine languages, folded (accents and case) as parse.fold does.
_WEEKEND = re.compile(
    r"\b(week ?-?ends?|wochenende\w*|fin(?:es)? de semana|finde|fine ?settimana|weekend\w*|"
    r"выходны\w*|hafta ?sonu\w*|"
    r"عطله نهايه الاسبوع|نهايه الاسبوع|الويكند|الويك اند|الويكاند|السبت والاحد|السبت و الاحد)")

Closures = Callable[[date, date], Mapping[date, str]]


def days_asked(text: str, language: str | None, now: datetime) -> list[date] | None:
    """The day(s) the question is about, or None when it names none. ``now`` is local."""
    wanted = parse_when(text, now, language)
    today = now.date()
    if wanted.day is not None:
        return [wanted.day]
    if wanted.weekday is not None:
        return [today + timedelta(days=(wanted.weekday - today.weekday()) % 7)]
    if _WEEKEND.search(fold(text)):
        if today.weekday() == 6:
            return [today]
        saturday = today + timedelta(days=(SATURDAY - today.weekday()) % 7)
        return [saturday, saturday + timedelta(days=1)]
    return None


def open_on(day: date, closures: Mapping[date, str]) -> list[tuple[time, time, str]]:
    """(start, end, service) of every permanence open on ``day``, by start time."""
    if closed_reason(day, closures):
        return []
    hours = get_facts().hours
    return sorted((start, end, service) for service, week in hours.items() for start, end in week.get(day.weekday(), []))


def _spans(lang: str, spans: list[tuple[time, time, str]]) -> str:
    cat = load_catalogue(lang)
    return cat["_list_sep"].join(
        cat["_permanence_hours"].format(service=render(f"service_{service}", lang).text,
                                        start=format_time(start), end=format_time(end))
        for start, end, service in spans)


def _day_label(lang: str, day: date) -> str:
    label = format_date(lang, day)
    return label[:1].upper() + label[1:]


def answer(response: str, text: str, language: str | None, now: datetime, closures: Closures) -> str | None:
    """The text to send in place of ``response`` (utter_social_hours / utter_legal_hours),
    or None to keep it as it is (a legal-hours question that names no day)."""
    lang = language if language in LANGUAGES else "en"
    tz = ZoneInfo(get_facts().timezone)
    local = now.astimezone(tz)
    days = days_asked(text or "", lang, local)
    if days is None:
        return render("utter_hours_all", lang).text if response == "utter_social_hours" else None
    known = closures(min(days), max(days) + timedelta(days=LOOK_AHEAD))
    lines = []
    for day in days:
        spans = open_on(day, known)
        if day == local.date():
            spans = [s for s in spans if s[1] > local.time()]  # what is still to come today
        if spans:
            lines.append(render("utter_hours_on_day", lang, day=_day_label(lang, day), open=_spans(lang, spans)).text)
            continue
        nxt = next((d for d in (day + timedelta(days=n) for n in range(1, LOOK_AHEAD)) if open_on(d, known)), None)
        if nxt is None:
            return None
        following = f"{format_date(lang, nxt)} ({_spans(lang, open_on(nxt, known))})"
        lines.append(render("utter_hours_closed_on_day", lang, day=_day_label(lang, day), next=following).text)
    return "\n".join(lines)
