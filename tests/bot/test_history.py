"""A long conversation's history is cut to what it must remember (bot/history), and the
NLG callback sends what the gateway reads (bot/channels/gateway_nlg.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from bot.channels.gateway_nlg import request_body
from bot.history.compaction import compact
from bot.history.tracker_store import BoundedInMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


def user(text: str, intent: str, lang: str = "fr") -> UserUttered:
    return UserUttered(text, {"name": intent, "confidence": 1.0},
                       parse_data={"intent": {"name": intent, "confidence": 1.0}, "entities": [], "text": text},
                       metadata={"language": lang, "channel": "web"})


def turn(text: str, intent: str, action: str, lang: str = "fr") -> list:
    return [user(text, intent, lang), ActionExecuted(action), BotUttered("…"), ActionExecuted("action_listen")]


def long_conversation(questions: int, lang: str = "fr") -> list:
    """A session of questions, then a booking begun (service given) and still open while
    the user asks more questions."""
    events = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
    for i in range(questions):
        events += turn(f"question {i}", "ask_cost", "utter_cost", lang)
    events += [user("un rendez-vous", "book_appointment", lang), ActionExecuted("action_start_booking"),
               SlotSet("booking_mode", "book"), ActionExecuted("appointment_form"), ActiveLoop("appointment_form"),
               SlotSet("requested_slot", "service"), ActionExecuted("action_listen"),
               user("social", "inform", lang), ActionExecuted("appointment_form"), SlotSet("service", "social"),
               SlotSet("offered_slots", ["2026-12-07T09:00:00+01:00"]), SlotSet("requested_slot", "slot_choice"),
               ActionExecuted("action_listen")]
    for i in range(6):  # questions during the form: it stays open
        events += [user(f"c'est gratuit {i}", "ask_cost", lang), ActionExecuted("utter_cost"), BotUttered("…"),
                   ActionExecuted("appointment_form"), SlotSet("requested_slot", "slot_choice"),
                   ActionExecuted("action_listen")]
    return events


def tracker_of(events: list, domain: Domain) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("web:w-1", events, domain.slots)


def users(tracker: DialogueStateTracker) -> list[UserUttered]:
    return [e for e in tracker.events if isinstance(e, UserUttered)]


def test_a_long_conversation_keeps_its_state_and_its_last_turns(domain: Domain) -> None:
    full = tracker_of(long_conversation(40), domain)
    cut = compact(full, domain, max_turns=20, keep_turns=8)
    assert cut is not None
    assert len(users(cut)) == 8 and users(cut) == users(full)[-8:]
    assert cut.current_slot_values() == full.current_slot_values()
    assert cut.get_slot("service") == "social" and cut.get_slot("booking_mode") == "book"
    assert cut.active_loop_name == "appointment_form"
    assert cut.latest_message == full.latest_message
    assert cut.latest_message.metadata["language"] == "fr"
    # Written as Rasa writes a session that carries its slots over.
    assert isinstance(cut.events[1], SessionStarted)


def test_a_form_begun_before_the_cut_is_still_open_after_it(domain: Domain) -> None:
    full = tracker_of(long_conversation(18), domain)
    cut = compact(full, domain, max_turns=20, keep_turns=3)
    assert cut is not None
    # The booking began 8 user messages ago, before the kept turns: its state is carried.
    assert not any(e.intent_name == "book_appointment" for e in users(cut))
    assert cut.active_loop_name == "appointment_form"
    assert cut.get_slot("requested_slot") == "slot_choice"
    assert cut.get_slot("offered_slots") == ["2026-12-07T09:00:00+01:00"]


def test_short_conversations_and_unfinished_turns_are_left_whole(domain: Domain) -> None:
    assert compact(tracker_of(long_conversation(5), domain), domain, max_turns=20, keep_turns=8) is None
    mid_turn = long_conversation(40)[:-1]  # the bot has not finished answering
    assert compact(tracker_of(mid_turn, domain), domain, max_turns=20, keep_turns=8) is None


def test_the_store_keeps_a_bounded_history(domain: Domain) -> None:
    store = BoundedInMemoryTrackerStore(domain, max_turns=20, keep_turns=8)
    events = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
    tracker = tracker_of(events, domain)
    for i in range(100):
        for event in turn(f"question {i}", "ask_cost", "utter_cost"):
            tracker.update(event)
        asyncio.run(store.save(tracker))
        tracker = asyncio.run(store.retrieve("web:w-1"))
        assert len(users(tracker)) <= 20
    assert users(tracker)[-1].text == "question 99"


def test_the_nlg_body_carries_what_the_gateway_reads(domain: Domain) -> None:
    events = [*long_conversation(40), user("ciao", "goodbye", "it")]
    body = request_body("utter_goodbye", tracker_of(events, domain), "gateway", day="2026-12-07")
    tracker = body["tracker"]
    assert body["response"] == "utter_goodbye" and body["arguments"] == {"day": "2026-12-07"}
    assert tracker["sender_id"] == "web:w-1"
    assert tracker["latest_message"]["text"] == "ciao"
    assert tracker["latest_message"]["intent"]["name"] == "goodbye"
    # The latest user message's metadata (the language), and that it is not the first.
    assert [e["event"] for e in tracker["events"]] == ["user", "user"]
    assert tracker["events"][-1]["metadata"]["language"] == "it"
    first = request_body("utter_goodbye", tracker_of([ActionExecuted("action_listen"), user("ciao", "goodbye")],
                                                     domain), "gateway")
    assert len(first["tracker"]["events"]) == 1
