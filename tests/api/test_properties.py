"""Property tests (hypothesis): the text rule, the date and id bounds, the SMS segmenter."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from app.channels.twilio.segments import (
    GSM7_BASIC,
    GSM7_EXTENDED,
    GSM7_SINGLE,
    UCS2_SINGLE,
    encoding,
    segment_count,
    split_chars,
    split_sms,
    units,
)
from app.core import bounds
from app.core.text import EmptyText, TooLong, clean_text, has_content, strip_controls
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

LIMIT = 2000
CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\r\t]")
INVISIBLES = st.sampled_from(["\u200b", "\u200c", "\u200d", "\ufeff", "\u200e", "\u200f", "\u202a", "\u202e",
                              "\u2066", "\u2069", "\u2060", "\u00ad", "\u3164", "\u2800", " ", "\t", "\n", "\r",
                              "\u00a0", "\u3000", "\x00", "\x1b", "\x7f", "\x85", "\ufe0f"])
# Any code point, lone surrogates included (a JSON "\ud800" decodes to one).
ANY_TEXT = st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=300)


@pytest.fixture(autouse=True)
def _env(base_env: None) -> None:
    from app.core import settings as app_settings

    app_settings.get_settings.cache_clear()


# --- the text rule ------------------------------------------------------------------------

@given(ANY_TEXT)
@example("a\x00b")
@example("\ud800x")
def test_clean_text_never_lets_a_control_through_and_is_idempotent(text: str) -> None:
    try:
        cleaned = clean_text(text, LIMIT)
    except EmptyText:
        assert not has_content(strip_controls(text))
        return
    assert not CONTROLS.search(cleaned)
    assert "\x00" not in cleaned and len(cleaned) <= LIMIT
    assert clean_text(cleaned, LIMIT) == cleaned
    cleaned.encode("utf-8")  # no lone surrogate: every database and encoder takes it


@given(st.lists(INVISIBLES, min_size=1, max_size=50).map("".join))
def test_invisible_only_text_is_always_empty(text: str) -> None:
    with pytest.raises(EmptyText):
        clean_text(text, LIMIT)


@given(st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=300),
       st.lists(INVISIBLES, max_size=10))
def test_visible_text_keeps_every_visible_character(text: str, extra: list[str]) -> None:
    assume(has_content(text))
    assume("\ufffe" not in text and "\uffff" not in text)
    padded = "".join(extra) + text + "".join(extra)
    cleaned = clean_text(padded, LIMIT)
    visible = [ch for ch in text if has_content(ch)]
    assert [ch for ch in cleaned if has_content(ch)] == visible


@given(st.integers(min_value=1, max_value=4000), st.sampled_from(["a", "é", "\U0001f600", "ب"]))
def test_the_limit_is_exact(length: int, ch: str) -> None:
    if length <= LIMIT:
        assert len(clean_text(ch * length, LIMIT)) == length
    else:
        with pytest.raises(TooLong):
            clean_text(ch * length, LIMIT)


# --- dates and ids ------------------------------------------------------------------------

@given(st.dates())
def test_service_dates_are_exactly_the_years_2000_to_2100(day: date) -> None:
    inside = 2000 <= day.year <= 2100
    try:
        assert bounds.check_date(day, "date") == day and inside
    except bounds.OutOfRange:
        assert not inside


OFFSETS = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
    lambda m: timezone(timedelta(minutes=m)))


@given(st.datetimes(timezones=st.none() | OFFSETS | st.just(UTC)))
def test_any_iso_moment_is_accepted_within_the_years_or_refused_cleanly(moment: datetime) -> None:
    for text in (moment.isoformat(), moment.date().isoformat()):
        try:
            parsed = bounds.date_or_datetime(text, "from")
        except ValueError as exc:
            assert str(exc).startswith("from: ")
            assert not 2000 <= moment.year <= 2100
            continue
        assert 2000 <= moment.year <= 2100
        assert parsed == (moment if "T" in text else moment.date())
        if isinstance(parsed, datetime) and parsed.tzinfo is not None:
            parsed.astimezone(UTC)  # never an overflow in the arithmetic after
            (parsed + timedelta(days=60)).astimezone(UTC)


@given(st.text(max_size=60))
@example("2026-12-05T10:00:00+99:99")
@example("9999-12-31T23:59:59-23:59")
@example("0001-01-01T00:00:00+23:59")
def test_any_text_as_a_date_is_a_value_or_a_value_error(text: str) -> None:
    try:
        bounds.date_or_datetime(text, "to")
    except ValueError as exc:
        assert str(exc).startswith("to: ")


@given(st.text(max_size=30) | st.integers(min_value=0, max_value=10**40).map(str) | st.just("9" * 5000))
@example("²")
@example("٣")
def test_ids_are_ascii_digits_within_an_integer(text: str) -> None:
    try:
        value = bounds.id_number(text, "Last-Event-ID")
    except bounds.OutOfRange:
        t = text.strip()
        assert not (t.isascii() and t.isdigit() and len(t) <= 10 and int(t) <= bounds.MAX_ID)
        return
    assert value is None or 0 <= value <= bounds.MAX_ID


@settings(max_examples=60, deadline=None)  # the first call loads the booking rules
@given(st.datetimes(timezones=st.none() | OFFSETS), st.booleans())
def test_slot_bounds_never_overflow(moment: datetime, date_only: bool) -> None:
    from app.appointments.errors import Refused
    from app.appointments.router import _bound

    text = moment.date().isoformat() if date_only else moment.isoformat()
    try:
        result = _bound(text, "from", end=True)
    except Refused:
        return
    assert result is not None and result.tzinfo is not None


# --- the SMS segmenter ------------------------------------------------------------------------

GSM_TEXT = st.text(st.sampled_from(sorted(GSM7_BASIC | GSM7_EXTENDED)), max_size=800)
MIXED_TEXT = st.text(st.sampled_from(sorted(GSM7_BASIC | GSM7_EXTENDED)) | st.sampled_from(
    ["ê", "ç", "ب", "ж", "ğ", "\U0001f600", "€", " ", "\n", "。"]), max_size=800)
WORDS = st.lists(st.text(st.sampled_from("abcdefghijéêçبж€[]"), min_size=1, max_size=12), max_size=150).map(" ".join)


@given(GSM_TEXT | MIXED_TEXT | WORDS, st.integers(min_value=1, max_value=4))
def test_every_part_fits_and_nothing_but_spaces_is_lost(text: str, max_segments: int) -> None:
    parts = split_sms(text, max_segments)
    assert all(p and p == p.strip() for p in parts)
    assert all(segment_count(p) <= max_segments for p in parts)
    assert re.sub(r"\s+", "", "".join(parts)) == re.sub(r"\s+", "", text)


@given(WORDS, st.integers(min_value=1, max_value=3))
def test_words_that_fit_are_never_cut(text: str, max_segments: int) -> None:
    parts = split_sms(text, max_segments)
    assert [w for p in parts for w in p.split()] == text.split()


@given(GSM_TEXT | MIXED_TEXT)
def test_segment_counts_follow_the_encoding(text: str) -> None:
    n = segment_count(text)
    if not text:
        assert n == 0
        return
    single = GSM7_SINGLE if encoding(text).value == "GSM-7" else UCS2_SINGLE
    assert (n == 1) == (units(text) <= single)
    assert n >= 1 and segment_count(text + text) >= n


@given(WORDS, st.integers(min_value=12, max_value=500))
def test_split_chars_respects_the_length(text: str, max_chars: int) -> None:
    parts = split_chars(text, max_chars)
    assert all(0 < len(p) <= max_chars for p in parts)
    assert [w for p in parts for w in p.split()] == text.split()
