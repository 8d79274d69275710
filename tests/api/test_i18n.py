"""Every text exists in all nine languages with the same placeholders, fits a phone,
and Arabic keeps right-to-left punctuation."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from app.i18n.catalogue import LANGUAGES, format_when, load_catalogue, placeholders, render

EN = load_catalogue("en")
TEXT_KEYS = [k for k in EN if not k.startswith("_")]
SAMPLE_ARGS = {"reference": "K7P2QX", "service": "permanence", "options": "1. x\n2. y\n3. z",
               "when": "Friday 27 November at 13:00", "name": "Sarah", "since": "2026-11-28T16:00",
               "day": "Friday 27 November", "time": "13:00", "open": "social permanence 9:00-13:00",
               "next": "Monday 30 November (social permanence 9:00-13:00)",
               "first_name": "Jean-Baptiste", "phone_number": "+39 333 123 4567"}


def _texts(entry) -> tuple[str, list[dict]]:
    if isinstance(entry, str):
        return entry, []
    return entry["text"], entry.get("buttons", [])


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogue_has_every_key(lang: str) -> None:
    cat = load_catalogue(lang)
    assert set(cat) == set(EN), f"{lang}: missing {set(EN) - set(cat)}, extra {set(cat) - set(EN)}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_placeholders_and_buttons_match_english(lang: str) -> None:
    cat = load_catalogue(lang)
    for key in TEXT_KEYS:
        text, buttons = _texts(cat[key])
        en_text, en_buttons = _texts(EN[key])
        assert placeholders(text) == placeholders(en_text), f"{lang}:{key}"
        assert len(buttons) == len(en_buttons), f"{lang}:{key} buttons"
        for b in buttons:
            assert b["title"].strip() and b["payload"].strip(), f"{lang}:{key}"
    for key in ("_day_range", "_hours_item", "_date", "_datetime"):
        assert placeholders(cat[key]) == placeholders(EN[key]), f"{lang}:{key}"
    assert set(cat["_days"]) == set(EN["_days"]) and len(cat["_months"]) == 12
    assert set(cat["_language_names"]) == set(LANGUAGES)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_reply_fits_a_phone_screen(lang: str) -> None:
    for key in TEXT_KEYS:
        text = render(key, lang, **SAMPLE_ARGS).text
        assert 0 < len(text) < 480, f"{lang}:{key} is {len(text)} characters"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_facts_come_from_the_configuration(lang: str) -> None:
    assert "+32 81 34 34 36" in render("utter_contact", lang).text
    assert "1360 Perwez" in render("utter_contact", lang).text
    legal = render("utter_legal_hours", lang).text
    for t in ("13:00", "17:00", "9:30", "13:30"):
        assert t in legal, f"{lang}: {t} missing from {legal!r}"
    social = render("utter_social_hours", lang).text
    assert "9:00" in social and "13:00" in social


def test_arabic_has_no_latin_punctuation_glued_to_arabic_letters() -> None:
    glued = re.compile(r"[\u0600-\u06FF][,?;]")
    cat = load_catalogue("ar")
    for key in TEXT_KEYS:
        text = render(key, "ar", **SAMPLE_ARGS).text
        assert not glued.search(text), f"ar:{key}: {text!r}"
        text, buttons = _texts(cat[key])
        for b in buttons:
            assert not glued.search(b["title"]), f"ar:{key} button"


def test_arabic_wraps_left_to_right_runs_in_isolates() -> None:
    text = render("utter_contact", "ar").text
    assert "\u2066+32 81 34 34 36\u2069" in text


def test_dates_are_written_in_the_language_and_the_service_time_zone() -> None:
    moment = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)  # 13:00 in Brussels
    assert format_when("en", moment) == "Friday 27 November at 13:00"
    assert "13:00" in format_when("fr", moment) and "vendredi" in format_when("fr", moment).lower()
    summer = datetime(2027, 7, 2, 11, 0, tzinfo=timezone.utc)  # 13:00 CEST
    assert format_when("en", summer).endswith("13:00")


def test_an_arabic_date_keeps_right_to_left_order_and_only_its_time_is_isolated() -> None:
    from datetime import UTC, datetime

    from app.i18n.catalogue import format_when

    when = format_when("ar", datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    text = render("handoff_waiting_later", "ar", when=when).text
    assert "\u2066\u0627\u0644" not in text  # no LTR isolate opened before an Arabic word
    assert "\u20669:00\u2069" in text and when in text
