"""A long conversation on the real stack: Rasa keeps a bounded history (bot/history,
20 user messages at most, cut to the last 8), and what the conversation must remember
survives the cut: a booking begun before it is finished after it, in its language."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from app.i18n.catalogue import render  # noqa: E402

from tests.chat_client import chat, token_of  # noqa: E402
from tools.stack import MODEL, Stack  # noqa: E402

QUESTIONS = ["quelles sont vos heures d'ouverture ?", "c'est gratuit ?", "c'est quoi le retour volontaire ?",
             "quand est la permanence juridique ?", "vous faites des visites à domicile ?",
             "qui peut bénéficier du retour volontaire ?", "c'est quoi l'aide à la réintégration ?", "merci"]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory):
    assert MODEL.exists(), "train the model first: make train"
    db = tmp_path_factory.mktemp("long") / "gateway.db"
    with Stack(database_url=f"sqlite:///{db}", extra_env={"BOOKINGS_PER_CLIENT_PER_HOUR": "1000"}) as s:
        yield s


def rasa_tracker(stack: Stack, sender: str) -> dict:
    conversation_id = token_of(stack, sender).split(".")[0]
    r = httpx.get(f"{stack.env['RASA_URL']}/conversations/{conversation_id}/tracker",
                  params={"token": stack.env["RASA_API_TOKEN"], "include_events": "ALL"}, timeout=10)
    r.raise_for_status()
    return r.json()


def user_texts(tracker: dict) -> list[str]:
    return [e["text"] for e in tracker["events"] if e["event"] == "user"]


def test_a_booking_begun_before_the_history_is_cut_is_finished_after_it(stack: Stack) -> None:
    s = "long-fr"
    chat(stack, s, "en français")  # the gateway answers a language switch itself: Rasa never sees it
    for q in QUESTIONS + QUESTIONS[:2]:  # Rasa's turns 1-10
        assert chat(stack, s, q)["language"] == "fr"
    assert chat(stack, s, "je voudrais prendre un rendez-vous")["messages"][-1]["text"] == \
        render("utter_ask_appointment_form_service", "fr").text  # turn 11
    assert "1. " in chat(stack, s, "2")["messages"][-1]["text"]  # turn 12
    for q in QUESTIONS[1:8]:  # turns 13-19: questions while choosing a time; the form waits
        assert "1. " in chat(stack, s, q)["messages"][-1]["text"], q
    assert chat(stack, s, "1")["messages"][-1]["text"] == render("utter_ask_appointment_form_first_name", "fr").text
    assert chat(stack, s, "Amina")["messages"][-1]["text"] == render("utter_ask_appointment_form_contact", "fr").text
    # Turn 21: Rasa's history was cut to its last 8 messages; the booking's start is gone.
    kept = user_texts(rasa_tracker(stack, s))
    assert kept[-1] == "Amina" and len(kept) == 8 and "je voudrais prendre un rendez-vous" not in kept
    summary = chat(stack, s, "0470 12 34 56")["messages"][-1]["text"]
    assert "+32 470 12 34 56" in summary and "Amina" in summary, summary
    done = chat(stack, s, "oui")["messages"][-1]["text"]
    ref = re.search(r"\b([A-HJ-KM-NP-Z2-9]{6})\b", done)
    assert ref, done
    booked = httpx.get(f"{stack.url}/api/appointments/{ref.group(1)}", headers={"X-Phone-Last4": "3456"}).json()
    assert booked["status"] == "booked" and booked["service"] == "legal"


def test_sixty_messages_keep_a_bounded_history(stack: Stack) -> None:
    s = "long-nl"
    chat(stack, s, "in het Nederlands")
    for i in range(60):
        reply = chat(stack, s, ["wat zijn jullie openingsuren?", "is het gratis?", "bedankt"][i % 3])
        assert reply["language"] == "nl" and reply["messages"], reply
    kept = user_texts(rasa_tracker(stack, s))
    assert 8 <= len(kept) <= 20, len(kept)
    # The previous message is still there for the gateway's and the actions' look-backs.
    assert kept[-2:] == ["is het gratis?", "bedankt"]
