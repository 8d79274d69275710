"""The counsellors' phrasebook: common replies a counsellor picks in their own language
and sends in the user's language. The texts are catalogue entries (``phrase_*`` in
api/app/i18n/catalogues/<lang>.yml, checked for all nine languages by the catalogue
completeness test); days and times come from pickers and are written by the same
functions as the assistant's own dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.core.facts import get_facts
from app.i18n.catalogue import format_date, format_time, render

# key -> the values the counsellor picks
PHRASES: dict[str, tuple[str, ...]] = {
    "phrase_one_moment": (),
    "phrase_call_back_today": ("time",),
    "phrase_come_permanence": ("day", "time"),
    "phrase_bring_documents": (),
    "phrase_safe_to_call": (),
    "phrase_interpreter": (),
    "phrase_appointment_check": (),
    "phrase_goodbye": (),
}
HORIZON_DAYS = 90


class PhraseError(ValueError):
    """A phrase that cannot be sent as asked: the message says what to change."""


@dataclass(frozen=True)
class PhraseChoice:
    key: str
    day: date | None = None
    at: time | None = None


def _open_at(day: date, at: time) -> bool:
    """Is one of the permanences open on this day at this time (by the service's hours)?"""
    for per_day in get_facts().hours.values():
        for start, end in per_day.get(day.weekday(), []):
            if start <= at < end:
                return True
    return False


def validate(choice: PhraseChoice, now: datetime) -> None:
    needs = PHRASES.get(choice.key)
    if needs is None:
        raise PhraseError("key: no such phrase")
    missing = [f"{name}: choose a {name}" for name, value in (("day", choice.day), ("time", choice.at))
               if name in needs and value is None]
    if missing:
        raise PhraseError("; ".join(missing))
    local_now = now.astimezone(ZoneInfo(get_facts().timezone))
    if choice.key == "phrase_call_back_today" and choice.at is not None and choice.at <= local_now.time():
        raise PhraseError("time: this time has already passed today")
    if choice.day is not None:
        if choice.day < local_now.date():
            raise PhraseError("day: this day is in the past")
        if choice.day > local_now.date() + timedelta(days=HORIZON_DAYS):
            raise PhraseError(f"day: more than {HORIZON_DAYS} days ahead")
        if choice.at is not None:
            if choice.day == local_now.date() and choice.at <= local_now.time():
                raise PhraseError("time: this time has already passed today")
            if not _open_at(choice.day, choice.at):
                raise PhraseError("time: the permanence is not open on this day at this time")


def render_phrase(choice: PhraseChoice, language: str | None, now: datetime) -> str:
    validate(choice, now)
    values = {}
    if choice.day is not None:
        values["day"] = format_date(language, choice.day)
    if choice.at is not None:
        values["time"] = format_time(choice.at)
    return render(choice.key, language, **values).text
