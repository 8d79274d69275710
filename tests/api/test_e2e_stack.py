"""End to end: the real gateway, Rasa and action server, as `make run` starts them."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from app.i18n.catalogue import LANGUAGES, load_catalogue, render  # noqa: E402
from tools.stack import MODEL, Stack  # noqa: E402

SWITCH = {"fr": "en français", "nl": "in het Nederlands", "en": "English please", "es": "en español",
          "de": "auf Deutsch", "ru": "по-русски", "tr": "Türkçe lütfen", "it": "in italiano", "ar": "بالعربية"}
from tools.gen_conversation_tests import TOPICS  # noqa: E402  (the same topics as the Rasa tests)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory):
    assert MODEL.exists(), "train the model first: make train"
    db = tmp_path_factory.mktemp("e2e") / "gateway.db"
    with Stack(database_url=f"sqlite:///{db}") as s:
        yield s


def chat(stack: Stack, sender: str, text: str) -> dict:
    r = httpx.post(f"{stack.url}/api/chat", json={"sender": sender, "text": text}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def held_out(lang: str) -> dict[str, list[str]]:
    data = yaml.safe_load((ROOT / "tests" / "nlu" / f"{lang}.yml").read_text(encoding="utf-8"))
    return {b["intent"]: [ln[2:].strip() for ln in b["examples"].splitlines() if ln.startswith("- ")]
            for b in data["nlu"]}


def all_texts(lang: str) -> set[str]:
    return {render(k, lang, reference="X", service="X", options="X", when="X").text.split("X")[0][:25]
            for k in load_catalogue("en") if not k.startswith("_")}


def test_health_is_ok_with_every_part_up(stack: Stack) -> None:
    assert httpx.get(f"{stack.url}/health").json() == {
        "gateway": "ok", "database": "ok", "rasa": "ok", "status": "ok"}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_topic_is_answered_in_the_users_language(stack: Stack, lang: str) -> None:
    sender = f"e2e-{lang}"
    assert chat(stack, sender, SWITCH[lang])["language"] == lang
    examples = held_out(lang)
    results = []
    for intent, response in TOPICS.items():
        for text in examples[intent][:2]:
            body = chat(stack, sender, text)
            assert body["language"] == lang, (text, body)
            results.append((text, body["messages"][0]["text"] == render(response, lang).text))
    right = sum(ok for _, ok in results)
    assert right / len(results) >= 0.9, [t for t, ok in results if not ok]


@pytest.mark.parametrize("lang,first", [
    ("fr", "Bonjour, quels sont vos horaires ?"), ("nl", "Goedendag, wanneer zijn jullie open?"),
    ("en", "Hi, when are you open?"), ("es", "Hola, ¿cuál es su horario?"),
    ("de", "Guten Tag, wann haben Sie geöffnet?"), ("ru", "Здравствуйте, когда вы работаете?"),
    ("tr", "Merhaba, ne zaman açıksınız?"), ("it", "Buongiorno, quando siete aperti?"),
    ("ar", "السلام عليكم، متى تفتحون؟"),
])
def test_language_is_detected_and_kept_through_neutral_turns(stack: Stack, lang: str, first: str) -> None:
    sender = f"keep-{lang}"
    body = chat(stack, sender, first)
    assert body["language"] == lang
    assert body["messages"][0]["text"] == render("utter_social_hours", lang).text
    for neutral in ("ok", "👍", "12", "Mohamed", "merci"):
        assert chat(stack, sender, neutral)["language"] == lang, neutral


def test_slash_commands_are_read_as_text(stack: Stack) -> None:
    body = chat(stack, "slash", '/book_appointment{"service": "legal"}')
    assert body["messages"], body


def test_rasa_outage_is_a_503_and_the_message_is_kept(tmp_path: Path) -> None:
    with Stack(database_url=f"sqlite:///{tmp_path / 'g.db'}", with_bot=False) as s:
        r = httpx.post(f"{s.url}/api/chat", json={"sender": "x", "text": "Wann haben Sie geöffnet?"})
        assert r.status_code == 503
        assert r.json()["language"] == "de"
        assert r.json()["messages"][0]["text"] == render("service_unavailable", "de").text


def _reference(text: str) -> str:
    import re

    m = re.search(r"\b([A-HJ-KM-NP-Z2-9]{6})\b", text)
    assert m, text
    return m.group(1)


def test_booking_then_cancelling_by_chat_in_french(stack: Stack) -> None:
    s = "book-fr"
    chat(stack, s, "en français")
    ask = chat(stack, s, "je voudrais prendre un rendez-vous")["messages"][-1]["text"]
    assert ask == render("utter_ask_appointment_form_service", "fr").text
    offer = chat(stack, s, "2")["messages"][-1]["text"]
    assert "1. " in offer and "2. " in offer, offer
    # A digression while choosing a time keeps the booking going.
    digression = chat(stack, s, "c'est où votre bureau ?")["messages"]
    assert digression[0]["text"] == render("utter_contact", "fr").text
    assert "1. " in digression[-1]["text"]
    assert chat(stack, s, "1")["messages"][-1]["text"] == render("utter_ask_appointment_form_first_name", "fr").text
    assert chat(stack, s, "Amina")["messages"][-1]["text"] == render("utter_ask_appointment_form_contact", "fr").text
    done = chat(stack, s, "0470 12 34 56")["messages"][-1]["text"]
    assert "Perwez" in done
    ref = _reference(done)
    assert httpx.get(f"{stack.url}/api/appointments/{ref}").json()["status"] == "booked"
    confirm = chat(stack, s, "je veux annuler mon rendez-vous")["messages"][-1]["text"]
    assert ref in confirm, confirm
    cancelled = chat(stack, s, "oui")["messages"][-1]["text"]
    assert cancelled == render("utter_cancelled", "fr", reference=ref).text
    assert httpx.get(f"{stack.url}/api/appointments/{ref}").json()["status"] == "cancelled"


def test_booking_then_moving_by_chat_in_english_and_checking_by_reference_in_dutch(stack: Stack) -> None:
    s = "book-en"
    chat(stack, s, "English please")
    chat(stack, s, "I want an appointment")
    offer = chat(stack, s, "1")["messages"][-1]["text"]
    assert "1. " in offer
    chat(stack, s, "1")
    chat(stack, s, "M.K.")
    ref = _reference(chat(stack, s, "+32 470 11 22 33")["messages"][-1]["text"])
    before = httpx.get(f"{stack.url}/api/appointments/{ref}").json()["start"]
    offer = chat(stack, s, "can I move my appointment to another day?")["messages"][-1]["text"]
    assert "2. " in offer, offer
    moved = chat(stack, s, "2")["messages"][-1]["text"]
    assert ref in moved, moved
    after = httpx.get(f"{stack.url}/api/appointments/{ref}").json()["start"]
    assert after != before
    # Another conversation finds it through the reference code.
    nl = "check-nl"
    chat(stack, nl, "in het Nederlands")
    ask = chat(stack, nl, "wanneer is mijn afspraak?")["messages"][-1]["text"]
    assert ask == render("utter_ask_reference_form_reference", "nl").text
    details = chat(stack, nl, ref)["messages"][-1]["text"]
    assert ref in details and "Perwez" in details
