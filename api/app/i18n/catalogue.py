"""Texts per language, rendered with the service's facts.

Catalogues live in ``catalogues/<lang>.yml``, keyed by response name. Keys starting
with ``_`` describe how facts are written in that language (day names, date shape).
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from app.core.facts import WEEKDAYS, Facts, get_facts

CATALOGUE_DIR = Path(__file__).parent / "catalogues"
LANGUAGES = ("fr", "nl", "en", "es", "de", "ru", "tr", "it", "ar")
RTL = {"ar"}
FALLBACK = "en"
MAX_REPLY_CHARS = 480

# Unicode isolates keep a left-to-right run (a phone number, a time, a Latin street
# name) from being reordered inside right-to-left Arabic text.
LRI, PDI = "\u2066", "\u2069"
_LATIN_OR_DIGIT = re.compile(r"[A-Za-z0-9+]")
_ARABIC_LETTER = re.compile(r"[\u0600-\u06FF]")


@dataclass
class Rendered:
    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"text": self.text, "buttons": self.buttons}


@lru_cache
def load_catalogue(lang: str) -> dict[str, Any]:
    return yaml.safe_load((CATALOGUE_DIR / f"{lang}.yml").read_text(encoding="utf-8"))


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _isolate(lang: str, value: str) -> str:
    # Only a left-to-right run is isolated. A value already written in the language
    # ("الاثنين 30 نوفمبر الساعة 9:00", its time isolated by format_when) must keep the
    # right-to-left order: forced into an LTR isolate its words would display reversed.
    if lang in RTL and _LATIN_OR_DIGIT.search(value) and not _ARABIC_LETTER.search(value):
        return f"{LRI}{value}{PDI}"
    return value


def _fmt_time(t: time) -> str:
    return f"{t.hour}:{t.minute:02d}"


def render_hours(lang: str, facts: Facts, service: str) -> str:
    """'Monday to Friday 9:00-13:00' in the given language, grouped by equal hours."""
    cat = load_catalogue(lang)
    days = cat["_days"]
    hours = facts.hours[service]
    groups: list[tuple[list[int], list[tuple[time, time]]]] = []
    for idx in sorted(hours):
        spans = hours[idx]
        if groups and groups[-1][1] == spans and groups[-1][0][-1] == idx - 1:
            groups[-1][0].append(idx)
        else:
            groups.append(([idx], spans))
    items = []
    for idxs, spans in groups:
        if len(idxs) >= 3:
            label = cat["_day_range"].format(first=days[WEEKDAYS[idxs[0]]], last=days[WEEKDAYS[idxs[-1]]])
        else:
            label = cat["_list_sep"].join(days[WEEKDAYS[i]] for i in idxs)
        for start, end in spans:
            items.append(cat["_hours_item"].format(
                days=label, start=_isolate(lang, _fmt_time(start)), end=_isolate(lang, _fmt_time(end))))
    return cat["_list_sep"].join(items)


def render_languages(lang: str, facts: Facts) -> str:
    cat = load_catalogue(lang)
    names = [cat["_language_names"][code] for code in facts.languages if code != "ar"]
    if "ar" in facts.languages:
        names.append(cat["_arabic_dialects"])
    return ", ".join(names) if lang not in RTL else "، ".join(names)


def format_when(lang: str, moment: datetime, tz: str | None = None) -> str:
    """'Friday 27 November at 13:00' in the given language, in the service's time zone."""
    facts = get_facts()
    local = moment.astimezone(ZoneInfo(tz or facts.timezone))
    cat = load_catalogue(lang)
    date = cat["_date"].format(weekday=cat["_days"][WEEKDAYS[local.weekday()]], day=local.day,
                               month=cat["_months"][local.month - 1])
    return cat["_datetime"].format(date=date, time=_isolate(lang, _fmt_time(local.time())))


def format_date(lang: str | None, day: date) -> str:
    """'Friday 27 November' in the given language."""
    cat = load_catalogue(lang if lang in LANGUAGES else FALLBACK)
    return cat["_date"].format(weekday=cat["_days"][WEEKDAYS[day.weekday()]], day=day.day,
                               month=cat["_months"][day.month - 1])


def format_time(t: time) -> str:
    """'9:30': the assistant's own way of writing a time, in every language."""
    return _fmt_time(t)


def helpline_values(lang: str, facts: Facts) -> dict[str, str]:
    """Emergency numbers and help lines (config/service.yml), the line of the user's
    language where there is one (the Dutch suicide line for Dutch), else the default."""
    lines = facts.helplines
    suicide = lines.get("suicide") or {}
    by_lang = suicide.get("lines") or {}
    chosen = by_lang.get(lang) or by_lang.get(suicide.get("default", "fr")) or {}
    trafficking = lines.get("trafficking") or {}
    centres = ", ".join(f"{c['name']} ({c['city']}) {c['number']}" for c in trafficking.get("centres") or [])
    minors = trafficking.get("minors") or {}
    values = {
        "emergency": str((lines.get("emergency") or {}).get("number", "112")),
        "police": str((lines.get("police") or {}).get("number", "101")),
        "suicide_line": str(chosen.get("number", "")),
        "trafficking_centres": centres,
        "trafficking_minors": f"{minors.get('name', '')} {minors.get('number', '')}".strip(),
    }
    return {k: _isolate(lang, v) for k, v in values.items()}


def fact_values(lang: str, facts: Facts | None = None) -> dict[str, str]:
    facts = facts or get_facts()
    return {
        **helpline_values(lang, facts),
        "service_name": _isolate(lang, facts.name),
        "partner": _isolate(lang, facts.partner_by_language.get(lang, facts.partner)),
        "phone": _isolate(lang, facts.phone),
        "address": _isolate(lang, facts.address),
        "social_hours": render_hours(lang, facts, "social"),
        "legal_hours": render_hours(lang, facts, "legal"),
        "languages": render_languages(lang, facts),
    }


def has_text(key: str) -> bool:
    return key in load_catalogue(FALLBACK)


def render(key: str, lang: str | None, **arguments: Any) -> Rendered:
    """Render a response in ``lang``; facts fill their placeholders, arguments the rest."""
    lang = lang if lang in LANGUAGES else FALLBACK
    cat = load_catalogue(lang)
    entry = cat.get(key, load_catalogue(FALLBACK).get(key))
    if entry is None:
        raise KeyError(key)
    values = fact_values(lang)
    values.update({k: _isolate(lang, str(v)) if k not in ("options",) else str(v)
                   for k, v in arguments.items() if v is not None})
    if isinstance(entry, str):
        entry = {"text": entry}
    text = entry["text"].format_map(_Strict(values))
    buttons = [{"title": b["title"], "payload": b["payload"]} for b in entry.get("buttons", [])]
    return Rendered(text=text, buttons=buttons)


class _Strict(dict):
    def __missing__(self, key: str) -> str:
        raise KeyError(f"missing value for placeholder {{{key}}}")
