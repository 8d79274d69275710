"""The booking form's validation paths (issue 9), run as Rasa's action server runs them,
with a tracker built by hand; nothing here calls the gateway."""

from __future__ import annotations

import asyncio

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.appointments import NO_PHONE_GIVEN, STUCK, ValidateAppointmentForm, ValidateReferenceForm

DOMAIN_SLOTS = ["service", "slot_choice", "first_name", "contact", "booking_confirmed"]


def tracker(text: str, intent: str, requested: str, channel: str = "web", **slots: object) -> Tracker:
    user = {"event": "user", "text": text, "metadata": {"language": "fr", "channel": channel},
            "parse_data": {"intent": {"name": intent}}}
    return Tracker("t-1", {"requested_slot": requested, **slots},
                   {"text": text, "intent": {"name": intent}}, [user], False, None,
                   {"name": "appointment_form", "is_interrupted": False}, "action_listen")


def run(coro):  # noqa: ANN001, ANN201
    return asyncio.run(coro)


def test_no_phone_in_nine_ways_books_without_one_and_a_number_is_left_to_the_gateway() -> None:
    form = ValidateAppointmentForm()
    for text, intent in (("j'ai pas de téléphone", "out_of_scope"), ("non", "deny"), ("ليس عندي هاتف", "greet"),
                         ("ich habe kein Handy", "ask_contact")):
        out = run(form.extract_contact(CollectingDispatcher(), tracker(text, intent, "contact"), {}))
        assert out == {"contact": NO_PHONE_GIVEN}, text
    assert run(form.extract_contact(CollectingDispatcher(), tracker("0470 12 34 56", "inform", "contact"), {})) == {}
    # Not asked for the phone: a "non" is not read as "no phone".
    assert run(form.extract_contact(CollectingDispatcher(), tracker("non", "deny", "slot_choice"), {})) == {}


def test_the_summary_takes_numbers_words_and_intents_and_leaves_questions_to_their_rules() -> None:
    form = ValidateAppointmentForm()
    cases = {("1", "inform"): "yes", ("2", "inform"): "no", ("oui", "affirm"): "yes", ("evet", "affirm"): "yes",
             ("d'accord, allez-y", "affirm"): "yes", ("non merci", "deny"): "no", ("bof", "out_of_scope"): "?"}
    for (text, intent), want in cases.items():
        got = run(form.extract_booking_confirmed(CollectingDispatcher(),
                                                 tracker(text, intent, "booking_confirmed"), {}))
        assert got == {"booking_confirmed": want}, text
    question = tracker("c'est où ?", "ask_contact", "booking_confirmed")
    assert run(form.extract_booking_confirmed(CollectingDispatcher(), question, {})) == {}


def test_the_same_refusal_is_said_twice_at_most_then_the_form_ends_for_a_counsellor() -> None:
    form = ValidateAppointmentForm()
    refusals = 0
    said = []
    for _ in range(3):
        d = CollectingDispatcher()
        out = run(form.validate_booking_confirmed("?", d, tracker("bof", "out_of_scope", "booking_confirmed",
                                                                  refusals=refusals), {}))
        said += [m["response"] for m in d.messages]
        refusals = out.get("refusals", refusals)
    assert said == ["utter_answer_yes_no", "utter_answer_yes_no"]
    assert out["booking_confirmed"] == STUCK
    # A STUCK slot ends the form there: nothing after it is asked.
    t = tracker("bof", "out_of_scope", "booking_confirmed", service="social", slot_choice=STUCK)
    assert run(form.required_slots(DOMAIN_SLOTS, CollectingDispatcher(), t, {})) == ["service", "slot_choice"]
    # On SMS the phone is never asked: the number they write from is the booking's.
    t = tracker("1", "inform", "service", channel="sms")
    assert "contact" not in run(form.required_slots(DOMAIN_SLOTS, CollectingDispatcher(), t, {}))


def test_a_reset_is_not_an_answer_and_no_reference_ends_the_reference_form() -> None:
    form = ValidateReferenceForm()
    d = CollectingDispatcher()
    t = tracker("annuler", "cancel_appointment", "reference")
    assert run(form.validate_reference(None, d, t, {})) == {"reference": None}
    assert run(form.validate_phone_last4(None, d, t, {})) == {"phone_last4": None}
    assert d.messages == []  # the form's start said nothing wrong
    out = run(form.validate_reference("non", d, tracker("non", "deny", "reference"), {}))
    assert out["reference"] == "=none"
    t = tracker("non", "deny", "reference", reference="=none")
    assert run(form.required_slots(["reference", "phone_last4"], d, t, {})) == ["reference"]
