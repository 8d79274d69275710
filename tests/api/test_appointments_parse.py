"""A user's words for a day and time, in every language of the service."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from app.appointments.parse import WhenFilter, fold, match_slots, parse_when
from app.appointments.schedule import Rules, slots_between
from app.appointments.vocabulary import VOCABULARY
from app.core.facts import load_facts
from app.i18n.catalogue import LANGUAGES

ROOT = Path(__file__).resolve().parents[2]
RULES = Rules.from_facts(load_facts(ROOT / "config" / "service.yml"))
TZ = RULES.timezone
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=TZ)  # Monday 23 November 2026, 10:00
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
TOMORROW, AFTER_TOMORROW = date(2026, 11, 24), date(2026, 11, 25)
M, A = "morning", "afternoon"


def when(day: date | None = None, weekday: int | None = None, at: time | None = None,
         part: str | None = None) -> WhenFilter:
    return WhenFilter(day=day, weekday=weekday, at=at, part=part)


CASES = {
    "fr": [("vendredi après-midi", when(weekday=FRI, part=A)), ("samedi 10h", when(weekday=SAT, at=time(10))),
           ("Samedi matin", when(weekday=SAT, part=M)), ("demain à 9h30", when(TOMORROW, at=time(9, 30))),
           ("apres-demain", when(AFTER_TOMORROW)), ("le 27/11 à 13h30", when(date(2026, 11, 27), at=time(13, 30))),
           ("vendredi 27 novembre", when(date(2026, 11, 27))), ("mardi midi", when(weekday=TUE, at=time(12))),
           ("le 1er décembre", when(date(2026, 12, 1))), ("mon rendez-vous jeudi", when(weekday=THU)),
           ("aujourd’hui", when(date(2026, 11, 23)))],
    "nl": [("vrijdag 14u", when(weekday=FRI, at=time(14))), ("morgen", when(TOMORROW)),
           ("zaterdagvoormiddag", when(weekday=SAT, part=M)), ("zaterdag in de voormiddag", when(weekday=SAT, part=M)),
           ("vrijdagnamiddag", when(weekday=FRI, part=A)), ("vrijdag in de namiddag", when(weekday=FRI, part=A)),
           ("morgenochtend", when(TOMORROW, part=M)), ("overmorgen om 10 uur", when(AFTER_TOMORROW, at=time(10))),
           ("vrijdag 2 uur", when(weekday=FRI, at=time(14))), ("zaterdag om 9.30", when(weekday=SAT, at=time(9, 30))),
           ("27 november", when(date(2026, 11, 27)))],
    "en": [("friday afternoon", when(weekday=FRI, part=A)), ("tomorrow at 2pm", when(TOMORROW, at=time(14))),
           ("Saturday morning", when(weekday=SAT, part=M)), ("fri 1:30 pm", when(weekday=FRI, at=time(13, 30))),
           ("November 27 at 1:30", when(date(2026, 11, 27), at=time(13, 30))), ("today", when(date(2026, 11, 23))),
           ("the day after tomorrow", when(AFTER_TOMORROW)), ("wed 10 o'clock", when(weekday=WED, at=time(10))),
           ("at noon on thursday", when(weekday=THU, at=time(12)))],
    "es": [("mañana a las 10", when(TOMORROW, at=time(10))), ("manana", when(TOMORROW)),
           ("el viernes por la tarde", when(weekday=FRI, part=A)), ("sábado por la mañana", when(weekday=SAT, part=M)),
           ("mañana por la mañana", when(TOMORROW, part=M)), ("pasado mañana", when(AFTER_TOMORROW)),
           ("el 28 de noviembre a las 10:30", when(date(2026, 11, 28), at=time(10, 30))),
           ("viernes a las 2 de la tarde", when(weekday=FRI, at=time(14), part=A)),
           ("quiero salir el miércoles", when(weekday=WED))],
    "de": [("morgen", when(TOMORROW)), ("Freitag um 14 Uhr", when(weekday=FRI, at=time(14))),
           ("Samstag vormittags", when(weekday=SAT, part=M)), ("am Freitagnachmittag", when(weekday=FRI, part=A)),
           ("Freitag Nachmittag", when(weekday=FRI, part=A)), ("übermorgen früh", when(AFTER_TOMORROW, part=M)),
           ("morgen um 10", when(TOMORROW, at=time(10))), ("27.11. um 14.30", when(date(2026, 11, 27), at=time(14, 30))),
           ("Mittwochs morgens", when(weekday=WED, part=M))],
    "ru": [("пятница 9:30", when(weekday=FRI, at=time(9, 30))), ("в пятницу в 14:00", when(weekday=FRI, at=time(14))),
           ("завтра утром", when(TOMORROW, part=M)), ("послезавтра", when(AFTER_TOMORROW)),
           ("в субботу в 10 утра", when(weekday=SAT, at=time(10), part=M)), ("в среду", when(weekday=WED)),
           ("27 ноября в 13:30", when(date(2026, 11, 27), at=time(13, 30))),
           ("в пятницу после обеда", when(weekday=FRI, part=A)), ("в 2 часа", when(at=time(14)))],
    "tr": [("cuma 10:00", when(weekday=FRI, at=time(10))), ("cumartesi sabah", when(weekday=SAT, part=M)),
           ("yarın", when(TOMORROW)), ("yarın öğleden sonra", when(TOMORROW, part=A)),
           ("cumaya saat 14", when(weekday=FRI, at=time(14))), ("salı günü", when(weekday=TUE)),
           ("cumartesi 10'da", when(weekday=SAT, at=time(10))), ("27 Kasım 13:30", when(date(2026, 11, 27), at=time(13, 30))),
           ("CUMA ÖĞLEDEN SONRA", when(weekday=FRI, part=A)), ("pazartesi", when(weekday=MON))],
    "it": [("sabato mattina", when(weekday=SAT, part=M)), ("venerdì alle 14", when(weekday=FRI, at=time(14))),
           ("venerdi pomeriggio", when(weekday=FRI, part=A)), ("domani", when(TOMORROW)),
           ("dopodomani alle 9:30", when(AFTER_TOMORROW, at=time(9, 30))), ("giovedì", when(weekday=THU)),
           ("il 27 novembre alle ore 13:30", when(date(2026, 11, 27), at=time(13, 30))),
           ("oggi a mezzogiorno", when(date(2026, 11, 23), at=time(12))), ("le tue ore sabato", when(weekday=SAT))],
    "ar": [("الجمعة", when(weekday=FRI)), ("يوم الجمعه", when(weekday=FRI)), ("السبت صباحا", when(weekday=SAT, part=M)),
           ("السبت صباحاً الساعة ١٠", when(weekday=SAT, at=time(10), part=M)), ("غداً", when(TOMORROW)),
           ("بكرة الساعة 10:30", when(TOMORROW, at=time(10, 30))), ("بعد غد", when(AFTER_TOMORROW)),
           ("الجمعة بعد الظهر", when(weekday=FRI, part=A)), ("الخميس 2 مساء", when(weekday=THU, at=time(14), part=A)),
           ("الأربعاء", when(weekday=WED)), ("الإثنين", when(weekday=MON)), ("٢٧/١١ ١٣:٣٠", when(date(2026, 11, 27), at=time(13, 30)))],
}


def test_every_language_of_the_service_has_words_and_cases() -> None:
    assert set(VOCABULARY) == set(LANGUAGES) == set(CASES)
    for lang, vocab in VOCABULARY.items():
        assert len(vocab["weekdays"]) == 7 and all(vocab["weekdays"]), lang
        assert sorted(set(vocab["relative"].values())) == [0, 1, 2], lang
        assert vocab["morning"] and vocab["afternoon"] and len(vocab["months"]) == 12, lang


@pytest.mark.parametrize(("lang", "text", "expected"),
                         [(lang, text, exp) for lang, cases in CASES.items() for text, exp in cases])
def test_words_are_understood(lang: str, text: str, expected: WhenFilter) -> None:
    assert parse_when(text, NOW, lang) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("27/11 13:30", when(date(2026, 11, 27), at=time(13, 30))),
    ("2026-11-27T13:30:00+01:00", when(date(2026, 11, 27), at=time(13, 30))),
    ("2026-11-27T12:30:00Z", when(date(2026, 11, 27), at=time(13, 30))),
    ("27.11.2026", when(date(2026, 11, 27))),
    ("10.30", when(at=time(10, 30))),
    ("1.12.", when(date(2026, 12, 1))),
    ("10/11", when(date(2027, 11, 10))),  # 10 November has passed: next year's
    ("31/11", when()),                     # no such day
])
def test_numbers_without_words(text: str, expected: WhenFilter) -> None:
    assert parse_when(text, NOW) == expected


def test_accents_and_case_are_optional() -> None:
    assert parse_when("APRÈS-DEMAIN APRÈS-MIDI", NOW, "fr") == parse_when("apres demain apres midi", NOW, "fr")
    assert parse_when("Miércoles", NOW, "es") == parse_when("miercoles", NOW, "es") == when(weekday=WED)
    assert parse_when("carsamba", NOW, "tr") == parse_when("Çarşamba", NOW, "tr") == when(weekday=WED)
    assert fold("Öğleden SONRA") == "ogleden sonra"
    assert fold("الجمعة") == "الجمعه" and fold("إثنين") == "اثنين" and fold("٢٧") == "27"


def test_false_friends_count_only_in_their_language() -> None:
    assert parse_when("mon", NOW, "en") == when(weekday=MON)
    assert parse_when("mon rendez-vous", NOW, "fr") == when()
    assert parse_when("salir", NOW, "es") == when()
    assert parse_when("salı", NOW, "tr") == when(weekday=TUE)


def test_nothing_understood_is_an_empty_filter() -> None:
    for text in ("hello", "je veux un rendez-vous", "ok", "5 personnes", ""):
        assert parse_when(text, NOW).empty, text


# --- matching the free slots ----------------------------------------------------------

def free(service: str):
    start = NOW.astimezone(TZ) + RULES.min_notice
    return slots_between(RULES, service, start, start + RULES.horizon, {})


def local_starts(slots) -> list[str]:
    return [s.start.astimezone(TZ).strftime("%a %d %H:%M") for s in slots]


def test_friday_afternoon_gives_the_legal_fridays_nearest_first() -> None:
    found = match_slots(parse_when("vendredi après-midi", NOW, "fr"), free("legal"), TZ)
    assert local_starts(found)[:3] == ["Fri 27 13:00", "Fri 27 13:30", "Fri 27 14:00"]
    assert {s.start.astimezone(TZ).weekday() for s in found} == {FRI}


def test_a_day_and_time_gives_that_one_slot() -> None:
    assert local_starts(match_slots(parse_when("samedi 10h", NOW, "fr"), free("legal"), TZ))[0] == "Sat 28 10:00"
    assert local_starts(match_slots(parse_when("27/11 13:30", NOW), free("legal"), TZ)) == ["Fri 27 13:30"]
    assert local_starts(match_slots(parse_when("cuma 10:00", NOW, "tr"), free("social"), TZ))[0] == "Fri 27 10:00"
    assert local_starts(match_slots(parse_when("пятница 9:30", NOW, "ru"), free("social"), TZ))[0] == "Fri 27 09:30"


def test_a_time_inside_a_slot_finds_it_and_a_closed_time_finds_nothing() -> None:
    assert local_starts(match_slots(parse_when("vrijdag 14u15", NOW, "nl"), free("legal"), TZ))[0] == "Fri 27 14:00"
    assert match_slots(parse_when("dimanche", NOW, "fr"), free("social"), TZ) == []
    assert match_slots(parse_when("vendredi 18h", NOW, "fr"), free("legal"), TZ) == []


def test_tomorrow_morning_for_the_social_permanence() -> None:
    found = match_slots(parse_when("mañana por la mañana", NOW, "es"), free("social"), TZ)
    assert local_starts(found) == ["Tue 24 09:00", "Tue 24 09:30", "Tue 24 10:00", "Tue 24 10:30",
                                   "Tue 24 11:00", "Tue 24 11:30"]


def test_an_empty_filter_matches_nothing() -> None:
    assert match_slots(when(), free("social"), TZ) == []


def test_today_excludes_slots_before_the_notice() -> None:
    found = match_slots(parse_when("today", NOW, "en"), free("social"), TZ)
    assert local_starts(found)[0] == "Mon 23 11:00"
    assert found[0].start >= NOW + timedelta(minutes=60)
