"""A user's words for a day and a time -> a filter on slots.

"vendredi après-midi", "vrijdag 14u", "mañana a las 10", "الجمعة", "cuma 10:00",
"пятница 9:30", "27/11 13:30": any of the nine languages, accents optional. The
words live in ``vocabulary.py``; this module only knows number shapes (10:30, 10h,
27/11, 2026-11-27) and how to combine what it found. Pure: no database.

Numbers people write without "am"/"pm" are read for a daytime service: "2 uur" is
14:00 (nobody books 2 in the night), unless they say morning.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from app.appointments.schedule import Slot
from app.appointments.vocabulary import VOCABULARY
from app.core import bounds

MORNING, AFTERNOON = "morning", "afternoon"
NOON = time(12, 0)
# Hours below this, written without "morning", mean the afternoon (2 -> 14:00).
EARLIEST_MORNING_HOUR = 8

# Arabic-Indic and Persian digits are digits too.
_DIGITS = {**{0x0660 + i: str(i) for i in range(10)}, **{0x06F0 + i: str(i) for i in range(10)}}
_CHARS = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'", "ة": "ه", "ى": "ي", "ـ": None,
                        "،": ",", "–": "-", "—": "-", "‑": "-"})
_LETTER = r"[^\W\d_]"


def fold(text: str) -> str:
    """Lower case without accents or Arabic diacritics, so "Après-midi", "apres-midi"
    and "APRES-MIDI" read the same; ı and İ become i, ة becomes ه, أ/إ/آ become ا."""
    text = text.translate(_DIGITS).replace("İ", "i").replace("ı", "i").lower()
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", text).translate(_CHARS)


@dataclass(frozen=True)
class WhenFilter:
    """What the user asked for; every field given must hold for a slot to match."""

    day: date | None = None
    weekday: int | None = None  # 0 = Monday
    at: time | None = None
    part: str | None = None  # morning | afternoon

    @property
    def empty(self) -> bool:
        return self.day is None and self.weekday is None and self.at is None and self.part is None

    def matches(self, start: datetime, end: datetime) -> bool:
        """``start`` and ``end`` are the slot's local wall-clock times."""
        if self.day is not None and start.date() != self.day:
            return False
        if self.weekday is not None and start.weekday() != self.weekday:
            return False
        if self.at is not None and not (start.time() <= self.at < end.time()):
            return False
        if self.part == MORNING and start.time() >= NOON:
            return False
        return not (self.part == AFTERNOON and start.time() < NOON)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- the vocabulary as regular expressions ---------------------------------------------

def _entry_pattern(entry: str) -> str:
    entry = entry.lstrip("=")
    any_before, any_after = entry.startswith("*"), entry.endswith("*")
    words = fold(entry.strip("*")).replace("-", " ").split()
    body = r"\s+".join(re.escape(w) for w in words)
    before = "" if any_before else rf"(?<!{_LETTER})"
    after = rf"{_LETTER}*" if any_after else rf"(?!{_LETTER})"
    return before + body + after


def _alternation(entries: Iterable[tuple[str, str]]) -> re.Pattern[str]:
    """One regex; group names tag each entry. Longer entries first, so that at any
    place the longest phrase wins ("pasado mañana" over "mañana")."""
    ordered = sorted(set(entries), key=lambda e: len(e[0].strip("=*+")), reverse=True)
    parts = [f"(?P<{tag}>{_entry_pattern(entry)})" for entry, tag in ordered]
    return re.compile("|".join(parts))


@dataclass(frozen=True)
class _Compiled:
    words: re.Pattern[str]           # weekdays, relative days, parts of the day
    tags: dict[str, tuple[str, Any]]  # group name -> (kind, value)
    month_names: str                 # alternation, for "27 novembre" / "November 27"
    months: dict[str, int]           # folded month word -> month
    before_hour: str
    after_hour: str
    attached_hour: str
    parts: str                       # morning and afternoon words: "10 утра", "2 مساء"


@lru_cache(maxsize=16)
def _compiled(language: str | None = None) -> _Compiled:
    """Every language's words at once (people mix languages), except the entries
    marked "=" which only count in the conversation's own language."""
    entries: list[tuple[str, str]] = []
    tags: dict[str, tuple[str, Any]] = {}
    own = language if language in VOCABULARY else None
    vocab_lang = ""

    def tag(entry: str, kind: str, value: Any) -> None:
        if entry.startswith("=") and own is not None and vocab_lang != own:
            return
        name = f"t{len(tags)}"
        tags[name] = (kind, value)
        entries.append((entry, name))

    month_entries: list[str] = []
    months: dict[str, int] = {}
    before: set[str] = set()
    after: set[str] = set()
    parts: set[str] = set()
    attached: set[str] = set()
    for vocab_lang, vocab in VOCABULARY.items():
        for weekday, names in enumerate(vocab.get("weekdays", ())):
            for name in names:
                tag(name, "weekday", weekday)
        for phrase, days in vocab.get("relative", {}).items():
            tag(phrase, "relative", days)
        for phrase, (days, part) in vocab.get("combined", {}).items():
            tag(phrase, "combined", (days, part))
        for phrase in vocab.get("morning", []):
            tag(phrase, "part", MORNING)
            parts.add(phrase)
        for phrase in vocab.get("afternoon", []):
            tag(phrase, "part", AFTERNOON)
            parts.add(phrase)
        for phrase in vocab.get("noon", []):
            tag(phrase, "noon", NOON)
        for month, names in enumerate(vocab.get("months", ()), start=1):
            for name in names:
                month_entries.append(name)
                months[fold(name.strip("*"))] = month
        before.update(vocab.get("before_hour", []))
        for suffix in vocab.get("after_hour", []):
            (attached if suffix.startswith("+") else after).add(suffix.lstrip("+"))

    def alt(items: Iterable[str]) -> str:
        return "|".join(_entry_pattern(i) for i in sorted(set(items), key=len, reverse=True))

    return _Compiled(words=_alternation(entries), tags=tags, month_names=alt(month_entries),
                     months=months, before_hour=alt(before), after_hour=alt(after),
                     attached_hour="|".join(re.escape(fold(s)) for s in sorted(attached, key=len, reverse=True)),
                     parts=alt(parts))


def _month_of(word: str) -> int | None:
    table = _compiled(None).months
    if word in table:
        return table[word]
    # a stem entry ("ноябр*") matched an inflected word ("ноября")
    for name, month in sorted(table.items(), key=lambda kv: -len(kv[0])):
        if word.startswith(name):
            return month
    return None


# --- numbers: dates and times ----------------------------------------------------------

_ISO = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?:[t ](\d{1,2}):(\d{2})(?::\d{2}(?:\.\d+)?)?"
                  r"(z|[+-]\d{2}:?\d{2})?)?(?!\d)")
_NUMERIC_DATE = re.compile(r"(?<![\d:.,])(\d{1,2})([/.\-])(\d{1,2})(?:\2(\d{4}|\d{2}))?(\.?)(?![\d:])")
_CLOCK = re.compile(r"(?<![\d/])([01]?\d|2[0-3])\s*(?::|h|u|\.)\s*([0-5]\d)(?![\d/])")
_AM_PM = re.compile(r"\s*(a\.?m\.?|p\.?m\.?)(?!" + _LETTER + ")")


def _next_date(today: date, month: int, day: int, year: int | None) -> date | None:
    try:
        if year is not None:
            found = date(year if year >= 100 else 2000 + year, month, day)
            # "31/12/9999": a date nobody books is not read (no overflow further on).
            return found if bounds.EARLIEST <= found <= bounds.LATEST else None
        candidate = date(today.year, month, day)
        return candidate if candidate >= today else date(today.year + 1, month, day)
    except ValueError:
        return None


def _blank(text: str, m: re.Match[str]) -> str:
    return text[:m.start()] + " " * (m.end() - m.start()) + text[m.end():]


def _find_date(text: str, today: date, tz: ZoneInfo) -> tuple[date | None, time | None, str]:
    m = _ISO.search(text)
    if m:
        year, month, day, hh, mm, offset = m.groups()
        found = _next_date(today, int(month), int(day), int(year))
        at = time(int(hh), int(mm)) if hh is not None and int(hh) < 24 and int(mm) < 60 else None
        if found and at and offset:
            try:
                aware = datetime.fromisoformat(
                    f"{found.isoformat()}T{at.isoformat()}{'+00:00' if offset == 'z' else offset}")
            except ValueError:  # "+99:99": no such offset; read as Brussels time
                aware = None
            if aware is not None:
                local = aware.astimezone(tz)
                found, at = local.date(), local.time()
        return found, at, _blank(text, m)
    for m in _NUMERIC_DATE.finditer(text):
        first, sep, second, year, trailing_dot = m.groups()
        a, b = int(first), int(second)
        # "10.30" is a time, "27.11." and "1.12" are dates: a dot with minutes on the
        # quarter-hour grid and no year reads as a time.
        if sep == "." and not year and not trailing_dot and a <= 23 and b <= 59 and b % 15 == 0:
            continue
        day, month = (b, a) if (sep == "/" and a <= 12 < b) else (a, b)
        found = _next_date(today, month, day, int(year) if year else None)
        if found:
            return found, None, _blank(text, m)
    c = _compiled(None)
    named = [
        re.compile(rf"(?<!\d)(?P<day>\d{{1,2}})\s*(?:er|e|eme|st|nd|rd|th|\.|º|-?го|-?е)?\s*(?:de\s+|di\s+)?"
                   rf"(?P<month>{c.month_names})"),
        re.compile(rf"(?P<month>{c.month_names})\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?!\d)"),
    ]
    for pattern in named:
        m = pattern.search(text)
        if m:
            month = _month_of(m.group("month"))
            found = _next_date(today, month, int(m.group("day")), None) if month else None
            if found:
                return found, None, _blank(text, m)
    return None, None, text


def _find_time(text: str) -> tuple[time | None, str | None, str]:
    """(time, "am"/"pm" if written, text with the time blanked)."""
    c = _compiled(None)
    candidates: list[tuple[int, int, int, re.Match[str]]] = []
    m = _CLOCK.search(text)
    if m:
        candidates.append((m.start(), int(m.group(1)), int(m.group(2)), m))
    patterns = []
    if c.after_hour:
        patterns.append(re.compile(rf"(?<![\d:.])([01]?\d|2[0-3])\s*(?:{c.after_hour})()"))
    if c.attached_hour:
        patterns.append(re.compile(rf"(?<![\d:.])([01]?\d|2[0-3])(?:{c.attached_hour})(?!{_LETTER})()"))
    patterns.append(re.compile(rf"(?<![\d:.])([01]?\d|2[0-3])()(?=\s*(?:a\.?m\.?|p\.?m\.?)(?!{_LETTER}))"))
    patterns.append(re.compile(rf"(?<![\d:./])([01]?\d|2[0-3])()(?=\s*(?:{c.parts}))"))
    if c.before_hour:
        # "à 9h30", "um 14.30", "at 1:30": the cue, the hour and maybe minutes
        patterns.append(re.compile(rf"(?:{c.before_hour})\s*(?<!\d)([01]?\d|2[0-3])"
                                   rf"(?:\s*(?::|h|u|\.)\s*([0-5]\d))?(?![\d/])"))
    for pattern in patterns:
        m = pattern.search(text)
        if m:
            candidates.append((m.start(), int(m.group(1)), int(m.group(2) or 0), m))
    if not candidates:
        return None, None, text
    _, hour, minute, m = min(candidates, key=lambda x: x[0])
    meridiem = None
    tail = _AM_PM.match(text, m.end())
    if tail:
        meridiem = "pm" if tail.group(1).startswith("p") else "am"
        text = text[:m.end()] + " " * (tail.end() - m.end()) + text[tail.end():]
    return time(hour, minute), meridiem, _blank(text, m)


_BARE_DAY = re.compile(r"(?<![\d:./])([1-9]|[12]\d|3[01])(?![\d:/])")


def _day_of_month(text: str, today: date, weekday: int) -> date | None:
    """"vendredi 27", "Samstag, 28.": a bare number next to a weekday is the day of the
    month, when the next such date really is that weekday (so "vrijdag 2" is not)."""
    next_month = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    for m in _BARE_DAY.finditer(text):
        for first in (today.replace(day=1), next_month):
            try:
                found = first.replace(day=int(m.group(1)))
            except ValueError:  # 31 November
                continue
            if found >= today:
                if found.weekday() == weekday:
                    return found
                break
    return None


def _part_in_compound(word: str, c: _Compiled) -> str | None:
    """Dutch and German write "zaterdagvoormiddag", "Freitagnachmittag" as one word: the
    weekday's stem matched all of it, the rest may name the part of the day."""
    for cut in range(3, len(word) - 3):
        for m in c.words.finditer(word[cut:]):
            kind, value = c.tags[m.lastgroup or ""]
            if kind == "part" and m.start() == 0:
                return value
    return None


# --- putting it together --------------------------------------------------------------

def _means_afternoon(hour: int, meridiem: str | None, part: str | None) -> bool:
    """Whether an hour written below 12 is meant after noon: "2pm", "2 de la tarde",
    or a bare "2 uur" (a daytime service is not open at 2 in the night)."""
    if hour >= 12:
        return False
    if meridiem is not None:
        return meridiem == "pm"
    return part == AFTERNOON or (0 < hour < EARLIEST_MORNING_HOUR and part != MORNING)


def parse_when(text: str, now: datetime, language: str | None = None) -> WhenFilter:
    """The filter meant by ``text``; ``now`` is aware and in the service's time zone
    (it decides what "tomorrow" and "27/11" mean); ``language`` is the conversation's."""
    tz = now.tzinfo if isinstance(now.tzinfo, ZoneInfo) else ZoneInfo("Europe/Brussels")
    today = now.date()
    folded = fold(text)
    day, at, folded = _find_date(folded, today, tz)
    folded = folded.replace("-", " ")
    clock, meridiem, folded = (at, None, folded) if at else _find_time(folded)

    weekday: int | None = None
    weekday_length = 0
    relative: int | None = None
    part: str | None = None
    noon = False
    c = _compiled(language)
    for m in c.words.finditer(folded):
        kind, value = c.tags[m.lastgroup or ""]
        if kind == "weekday" and part is None:
            part = _part_in_compound(m.group(), c)
        # Of two weekday words, the longer is the surer one ("sun" vs "Saturday").
        if kind == "weekday" and len(m.group()) > weekday_length:
            weekday, weekday_length = value, len(m.group())
        elif kind == "relative" and relative is None:
            relative = value
        elif kind == "combined":
            relative, part = value
        elif kind == "part" and part is None:
            part = value
        elif kind == "noon":
            noon = True

    if clock is None and noon:
        clock = NOON
    if clock is not None and _means_afternoon(clock.hour, meridiem, part):
        clock = clock.replace(hour=clock.hour + 12)
    if day is None and relative is not None:
        day = today + timedelta(days=relative)
    if day is None and weekday is not None:
        day = _day_of_month(folded, today, weekday)
    return WhenFilter(day=day, weekday=None if day else weekday, at=clock, part=part)


def match_slots(wanted: WhenFilter, slots: Sequence[Slot], tz: ZoneInfo) -> list[Slot]:
    """The slots that fit the filter, nearest first. Nothing understood: nothing."""
    if wanted.empty:
        return []
    return sorted(s for s in slots if wanted.matches(s.start.astimezone(tz), s.end.astimezone(tz)))
