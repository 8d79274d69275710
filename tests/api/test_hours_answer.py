"""Opening hours that answer the question asked (issue 9): a day, "tomorrow", the
weekend, or no day at all; public holidays and closed days; nine languages. Facts come
from config/service.yml: social Mon-Fri 9:00-13:00, legal Fri 13:00-17:00 and Sat
9:30-13:30."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from app.i18n.catalogue import LANGUAGES, render
from app.nlg.hours import answer

BRUSSELS = ZoneInfo("Europe/Brussels")
# Tuesday 1 December 2026, 10:00 in Brussels.
TUESDAY_10 = datetime(2026, 12, 1, 10, 0, tzinfo=BRUSSELS).astimezone(UTC)


def no_closures(first: date, last: date) -> dict[date, str]:
    return {}


def ask(text: str, lang: str = "en", response: str = "utter_social_hours", now: datetime = TUESDAY_10,
        closures=no_closures) -> str | None:
    return answer(response, text, lang, now, closures)


SATURDAY = {"en": "are you open on saturday?", "fr": "vous êtes ouverts samedi ?", "nl": "zijn jullie zaterdag open?",
            "es": "¿abren el sábado?", "de": "habt ihr am Samstag offen?", "ru": "вы работаете в субботу?",
            "tr": "cumartesi açık mısınız?", "it": "siete aperti sabato?", "ar": "هل أنتم مفتوحون يوم السبت؟"}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_saturday_gets_the_legal_permanence_not_the_weekday_hours(lang: str) -> None:
    text = ask(SATURDAY[lang], lang)
    assert text is not None
    assert render("service_legal", lang).text in text and "9:30" in text and "13:30" in text
    assert render("service_social", lang).text not in text  # closed on Saturdays


def test_friday_lists_both_permanences_in_order() -> None:
    text = ask("what are the hours on friday", response="utter_legal_hours")
    assert text.startswith("Friday 4 December: social permanence 9:00-13:00; free legal permanence 13:00-17:00.")
    assert "Perwez" in text


def test_a_closed_day_says_so_and_gives_the_next_opening() -> None:
    text = ask("are you open on sunday?")
    assert text.startswith("Sunday 6 December: no permanence is open.")
    assert "Monday 7 December (social permanence 9:00-13:00)" in text


def test_the_weekend_covers_both_days() -> None:
    lines = ask("open this weekend?").split("\n")
    assert lines[0].startswith("Saturday 5 December: free legal permanence 9:30-13:30")
    assert lines[1].startswith("Sunday 6 December: no permanence is open")
    fr = ask("vous êtes ouverts le week-end ?", "fr")
    assert "samedi 5 décembre" in fr.lower() and "dimanche 6 décembre" in fr.lower()


def test_tomorrow_and_today() -> None:
    assert ask("are you open tomorrow?").startswith("Wednesday 2 December: social permanence 9:00-13:00")
    # At 12:00 on a Friday the morning is nearly over: today lists what is still to come.
    friday_noon = datetime(2026, 12, 4, 12, 0, tzinfo=BRUSSELS).astimezone(UTC)
    assert ask("open today?", now=friday_noon).startswith("Friday 4 December: social permanence 9:00-13:00; free legal")
    friday_late = datetime(2026, 12, 4, 18, 0, tzinfo=BRUSSELS).astimezone(UTC)
    late = ask("open today?", now=friday_late)
    assert late.startswith("Friday 4 December: no permanence is open.") and "Saturday 5 December" in late


def test_public_holidays_and_closed_days_count() -> None:
    christmas = ask("are you open on 25 december?")
    assert christmas.startswith("Friday 25 December: no permanence is open.")
    assert "Saturday 26 December (free legal permanence 9:30-13:30)" in christmas
    closed = ask("are you open tomorrow?", closures=lambda first, last: {date(2026, 12, 2): "training"})
    assert closed.startswith("Wednesday 2 December: no permanence is open.") and "Thursday 3 December" in closed


def test_no_day_gets_both_permanences_for_general_hours_and_legal_for_legal() -> None:
    assert ask("what are your opening hours?") == render("utter_hours_all", "en").text
    every = render("utter_hours_all", "en").text
    assert "Monday to Friday 9:00-13:00" in every and "Friday 13:00-17:00" in every and "Saturday 9:30-13:30" in every
    assert ask("when is the lawyer there?", response="utter_legal_hours") is None  # the legal text stays


def test_the_nlg_endpoint_writes_it_in_place_of_the_fixed_text(client) -> None:
    from app.appointments.clock import get_now

    client.app.dependency_overrides[get_now] = lambda: TUESDAY_10
    tracker = {"sender_id": "x", "latest_message": {"text": "sind Sie am Samstag offen?", "intent": {"name": "ask_social_hours"}},
               "events": [{"event": "user", "metadata": {"language": "de"}}]}
    r = client.post("/internal/nlg?token=nlg-test-token", json={"response": "utter_social_hours", "tracker": tracker})
    assert r.status_code == 200
    assert r.json()["text"] == answer("utter_social_hours", "sind Sie am Samstag offen?", "de", TUESDAY_10, no_closures)
    assert "kostenlose Rechtsberatung 9:30-13:30" in r.json()["text"]
    other = client.post("/internal/nlg?token=nlg-test-token", json={"response": "utter_contact", "tracker": tracker})
    assert other.json()["text"] == render("utter_contact", "de").text


@pytest.mark.parametrize(("text", "lang"), [("ciao", "it"), ("salut !", "fr"), ("Hallo", "de"), ("salam", "ar"),
                                           ("سلام", "ar"), ("ciao a tutti", "it")])
def test_a_hello_or_goodbye_word_as_first_message_greets(client, text: str, lang: str) -> None:
    """Issue 9: "ciao" got "Arrivederci". The intent classifier may read goodbye; as the
    first message of a conversation it is a hello."""
    first = {"sender_id": "g", "latest_message": {"text": text, "intent": {"name": "goodbye"}},
             "events": [{"event": "user", "text": text, "metadata": {"language": lang}}]}
    r = client.post("/internal/nlg?token=nlg-test-token", json={"response": "utter_goodbye", "tracker": first})
    assert r.json()["text"] == render("utter_greet", lang).text
    later = {**first, "events": [{"event": "user", "text": "x", "metadata": {"language": lang}}, *first["events"]]}
    r = client.post("/internal/nlg?token=nlg-test-token", json={"response": "utter_goodbye", "tracker": later})
    assert r.json()["text"] == render("utter_goodbye", lang).text  # later in the conversation: goodbye
    bye = {**first, "latest_message": {"text": "au revoir", "intent": {"name": "goodbye"}}}
    r = client.post("/internal/nlg?token=nlg-test-token", json={"response": "utter_goodbye", "tracker": bye})
    assert r.json()["text"] == render("utter_goodbye", lang).text  # a plain goodbye stays one
