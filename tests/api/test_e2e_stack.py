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
from tests.fakes.fake_twilio import FakeTwilio, TwilioWebhooks  # noqa: E402
from tests.chat_client import chat  # noqa: E402
from tools.stack import MODEL, Stack  # noqa: E402

SWITCH = {"fr": "en français", "nl": "in het Nederlands", "en": "English please", "es": "en español",
          "de": "auf Deutsch", "ru": "по-русски", "tr": "Türkçe lütfen", "it": "in italiano", "ar": "بالعربية"}
from tools.gen_conversation_tests import TOPICS  # noqa: E402  (the same topics as the Rasa tests)


TWILIO = {"TWILIO_AUTH_TOKEN": "e2e-twilio-auth-token", "TWILIO_ACCOUNT_SID": "AC" + "e2e0" * 8,
          "TWILIO_SMS_NUMBER": "+3228880000", "TWILIO_WHATSAPP_NUMBER": "+3228880001"}


@pytest.fixture(scope="module")
def fake_twilio():
    with FakeTwilio() as server:
        yield server


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, fake_twilio: FakeTwilio):
    assert MODEL.exists(), "train the model first: make train"
    db = tmp_path_factory.mktemp("e2e") / "gateway.db"
    s = Stack(database_url=f"sqlite:///{db}", extra_env={**TWILIO, "TWILIO_API_BASE_URL": fake_twilio.url,
                                                        "OUTBOX_POLL_SECONDS": "0.2",
                                                        # one client address for every test conversation
                                                        "BOOKINGS_PER_CLIENT_PER_HOUR": "1000"})
    # Twilio signs against the public URL, which is the stack's own here.
    s.env["PUBLIC_BASE_URL"] = s.url
    with s:
        yield s


def held_out(lang: str) -> dict[str, list[str]]:
    data = yaml.safe_load((ROOT / "tests" / "nlu" / f"{lang}.yml").read_text(encoding="utf-8"))
    return {b["intent"]: [ln[2:].strip() for ln in b["examples"].splitlines() if ln.startswith("- ")]
            for b in data["nlu"]}


def all_texts(lang: str) -> set[str]:
    return {render(k, lang, reference="X", service="X", options="X", when="X").text.split("X")[0][:25]
            for k in load_catalogue("en") if not k.startswith("_")}


def expected_reply(response: str, lang: str, text: str) -> str:
    """The reply the assistant should give; hours answer the day asked (app/nlg/hours.py)."""
    from datetime import UTC, datetime

    from app.nlg.hours import answer

    if response in ("utter_social_hours", "utter_legal_hours"):
        fitted = answer(response, text, lang, datetime.now(UTC), lambda first, last: {})
        if fitted:
            return fitted
    return render(response, lang).text


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
            if response == "action_request_handoff":
                # The gateway queues the conversation and says who answers and when.
                expected = _waiting_texts(lang) + [render("handoff_already_waiting", lang).text]
                results.append((text, any(body["messages"][0]["text"].startswith(t) for t in expected)))
            else:
                results.append((text, body["messages"][0]["text"] == expected_reply(response, lang, text)))
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
    assert body["messages"][0]["text"] == expected_reply("utter_social_hours", lang, first)
    assert render("service_legal", lang).text.lower() in body["messages"][0]["text"].lower()  # both permanences
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


def test_a_life_threatening_message_gets_112_with_rasa_stopped(tmp_path: Path) -> None:
    with Stack(database_url=f"sqlite:///{tmp_path / 'g.db'}", with_bot=False) as s:
        r = httpx.post(f"{s.url}/api/chat", json={"sender": "x", "text": "je veux mourir, j'en peux plus"})
        assert r.status_code == 200, r.text
        assert r.json()["language"] == "fr"
        assert "112" in r.json()["messages"][0]["text"]


def _console_login(stack: Stack, username: str) -> tuple[httpx.Client, dict[str, str]]:
    import subprocess

    env = {**stack.env, "CONSOLE_PASSWORD": "e2e console password"}
    subprocess.run([str(ROOT / ".venv-api/bin/python"), "-m", "app.console.accounts.cli", "create-counsellor",
                    "--username", username, "--name", username.capitalize(), "--languages", "fr,en"],
                   cwd=ROOT / "api", env=env, check=True, capture_output=True)
    client = httpx.Client(base_url=stack.url, timeout=30)
    r = client.post("/api/console/login", json={"username": username, "password": "e2e console password"})
    assert r.status_code == 200, r.text
    return client, {"X-CSRF-Token": r.json()["csrf_token"]}


def _waiting_texts(lang: str) -> list[str]:
    return [render(k, lang, when="X").text.split("X")[0] for k in
            ("handoff_waiting_soon", "handoff_waiting_later", "handoff_waiting_unknown")]


def test_widget_and_sms_users_reach_a_counsellor_and_come_back_to_the_assistant(
        stack: Stack, fake_twilio: FakeTwilio) -> None:
    import time
    import xml.etree.ElementTree as ET

    # A widget user asks for a person, in French.
    token = httpx.post(f"{stack.url}/api/widget/session").json()["token"]
    r = httpx.post(f"{stack.url}/api/widget/messages", json={"token": token, "text": "je veux parler à un humain"},
                   timeout=30)
    assert r.status_code == 200, r.text
    assert any(r.json()["messages"][-1]["text"].startswith(t) for t in _waiting_texts("fr")), r.json()
    # An SMS user asks for a person, in English (a signed Twilio webhook).
    tw = TwilioWebhooks(TWILIO["TWILIO_AUTH_TOKEN"], stack.url, TWILIO["TWILIO_ACCOUNT_SID"],
                        TWILIO["TWILIO_SMS_NUMBER"], TWILIO["TWILIO_WHATSAPP_NUMBER"])
    params = tw.inbound("+32470555123", "can someone call me please")
    r = httpx.post(f"{stack.url}/webhooks/twilio/sms", data=params,
                   headers={"X-Twilio-Signature": tw.sign(f"{stack.url}/webhooks/twilio/sms", params)}, timeout=30)
    assert r.status_code == 200, r.text
    twiml = " ".join(m.findtext("Body") or m.text or "" for m in ET.fromstring(r.text).iter("Message"))
    assert any(t in twiml for t in _waiting_texts("en")), twiml

    console, csrf = _console_login(stack, "sarah")
    queue = console.get("/api/console/queue").json()
    assert {q["channel"] for q in queue} >= {"web", "sms"}, queue
    assert not any("+32470555123" in json_text for json_text in [str(q) for q in queue])  # ids, never numbers
    for item in queue:
        assert console.post(f"/api/console/conversations/{item['id']}/take", headers=csrf).status_code == 200
        r = console.post(f"/api/console/conversations/{item['id']}/reply", headers=csrf,
                         json={"text": "Bonjour, je suis là." if item["channel"] == "web" else "Hello, I am here."})
        assert r.status_code == 201, r.text

    # The widget shows the person's reply, marked as a person's.
    history = httpx.get(f"{stack.url}/api/widget/history", params={"token": token}).json()["messages"]
    person = [m for m in history if m["kind"] == "counsellor"]
    assert person and person[-1]["text"] == "Bonjour, je suis là." and person[-1]["author"] == "Sarah"
    # The SMS user gets it through Twilio, with the counsellor's first name.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not any("Hello, I am here." in m.form.get("Body", "")
                                                   for m in fake_twilio.messages()):
        time.sleep(0.2)
    sent = [m.form for m in fake_twilio.messages() if "Hello, I am here." in m.form.get("Body", "")]
    assert sent and sent[0]["To"] == "+32470555123" and sent[0]["Body"].startswith("Sarah")

    # While taken, the assistant is silent: the user's message goes to the counsellor.
    r = httpx.post(f"{stack.url}/api/widget/messages", json={"token": token, "text": "merci, j'ai une question"},
                   timeout=30)
    assert r.json()["messages"] == []
    # Closed: the next message is answered by the assistant again.
    for item in queue:
        assert console.post(f"/api/console/conversations/{item['id']}/close", headers=csrf).status_code == 200
    r = httpx.post(f"{stack.url}/api/widget/messages", json={"token": token, "text": "quels sont vos horaires ?"},
                   timeout=30)
    assert r.json()["messages"][-1]["text"] == render("utter_hours_all", "fr").text
    transcript = console.get(f"/api/console/conversations/{queue[0]['id']}").json()
    assert any(m["understood"] == "request_counsellor" for m in transcript["messages"]), transcript["messages"]


def test_two_misunderstandings_offer_a_counsellor(stack: Stack) -> None:
    s = "miss-en"
    chat(stack, s, "English please")
    first = chat(stack, s, "3")["messages"][-1]["text"]
    assert first == render("utter_default", "en").text
    second = chat(stack, s, "4")["messages"][-1]["text"]
    assert second == render("utter_offer_counsellor", "en").text
    accepted = chat(stack, s, "yes")["messages"][-1]["text"]
    assert any(accepted.startswith(t) for t in _waiting_texts("en")), accepted


def test_a_counsellor_asked_mid_booking_drops_the_booking(stack: Stack) -> None:
    s = "mid-tr"
    chat(stack, s, "Türkçe lütfen")
    chat(stack, s, "randevu almak istiyorum")
    reply = chat(stack, s, "insan ile konuşmak istiyorum")["messages"][-1]["text"]
    assert any(reply.startswith(t) for t in _waiting_texts("tr")), reply
    # The booking is gone: a "1" is no longer read as a choice of service.
    assert chat(stack, s, "saatleriniz nedir?")["messages"][-1]["text"] == render("utter_hours_all", "tr").text


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
    summary = chat(stack, s, "0470 12 34 56")["messages"][-1]
    # Nothing is booked before the summary is confirmed; the phone is read back.
    assert "+32 470 12 34 56" in summary["text"] and "Amina" in summary["text"], summary
    assert [b["payload"] for b in summary["buttons"]] == ["1", "2"]
    done = chat(stack, s, "oui")["messages"][-1]["text"]
    assert "Perwez" in done
    ref = _reference(done)
    owner = {"X-Phone-Last4": "3456"}
    assert httpx.get(f"{stack.url}/api/appointments/{ref}", headers=owner).json()["status"] == "booked"
    confirm = chat(stack, s, "je veux annuler mon rendez-vous")["messages"][-1]["text"]
    assert ref in confirm, confirm
    cancelled = chat(stack, s, "oui")["messages"][-1]["text"]
    assert cancelled == render("utter_cancelled", "fr", reference=ref).text
    assert httpx.get(f"{stack.url}/api/appointments/{ref}", headers=owner).json()["status"] == "cancelled"


def test_booking_then_moving_by_chat_in_english_and_checking_by_reference_in_dutch(stack: Stack) -> None:
    s = "book-en"
    chat(stack, s, "English please")
    chat(stack, s, "I want an appointment")
    offer = chat(stack, s, "1")["messages"][-1]["text"]
    assert "1. " in offer
    chat(stack, s, "1")
    chat(stack, s, "M.K.")
    chat(stack, s, "+32 470 11 22 33")
    ref = _reference(chat(stack, s, "yes")["messages"][-1]["text"])
    owner = {"X-Phone-Last4": "2233"}
    before = httpx.get(f"{stack.url}/api/appointments/{ref}", headers=owner).json()["start"]
    offer = chat(stack, s, "can I move my appointment to another day?")["messages"][-1]["text"]
    assert "2. " in offer, offer
    # The new time is shown and must be confirmed: a reflexive "2" moves nothing yet.
    ask = chat(stack, s, "2")["messages"][-1]["text"]
    assert ref in ask and ask.startswith("Move the appointment"), ask
    assert httpx.get(f"{stack.url}/api/appointments/{ref}", headers=owner).json()["start"] == before
    moved = chat(stack, s, "yes")["messages"][-1]["text"]
    assert moved.startswith(f"Your appointment {ref} is moved to"), moved
    after = httpx.get(f"{stack.url}/api/appointments/{ref}", headers=owner).json()["start"]
    assert after != before
    # Another conversation finds it through the reference code, and sees it only with the
    # last four digits of the phone given when booking.
    nl = "check-nl"
    chat(stack, nl, "in het Nederlands")
    ask = chat(stack, nl, "wanneer is mijn afspraak?")["messages"][-1]["text"]
    assert ask == render("utter_ask_reference_form_reference", "nl").text
    proof = chat(stack, nl, ref)["messages"]
    assert proof[-1]["text"] == render("utter_ask_reference_form_phone_last4", "nl").text
    assert not any(ref in m["text"] or "Perwez" in m["text"] for m in proof)  # nothing shown yet
    wrong = chat(stack, nl, "9999")["messages"]
    assert wrong[0]["text"] == render("utter_phone_last4_wrong", "nl").text
    assert not any("Perwez" in m["text"] for m in wrong)
    details = chat(stack, nl, "2233")["messages"][-1]["text"]
    assert ref in details and "Perwez" in details


def test_moving_honours_the_day_asked_and_says_when_it_is_closed(stack: Stack) -> None:
    """Issue 9: "move it to Saturday" listed Friday times; a social appointment moved to a
    Saturday never heard that the social permanence is closed on Saturdays."""
    s = "move-day"
    chat(stack, s, "en français")
    chat(stack, s, "je voudrais prendre un rendez-vous")
    chat(stack, s, "1")  # the social permanence
    chat(stack, s, "1")
    chat(stack, s, "Amina")
    chat(stack, s, "0470 12 34 56")
    ref = _reference(chat(stack, s, "1")["messages"][-1]["text"])
    owner = {"X-Phone-Last4": "3456"}
    before = httpx.get(f"{stack.url}/api/appointments/{ref}", headers=owner).json()["start"]
    saturday = chat(stack, s, "je veux déplacer mon rendez-vous à samedi")["messages"]
    assert saturday[0]["text"].startswith("La permanence sociale est fermée le samedi"), saturday[0]["text"]
    assert "1. " in saturday[-1]["text"]
    chat(stack, s, "non")  # keeps the appointment as it is
    thursday = chat(stack, s, "je veux déplacer mon rendez-vous à jeudi")["messages"][-1]["text"]
    lines = [ln for ln in thursday.splitlines() if ln[:2] in {f"{i}." for i in range(1, 6)}]
    assert lines and all("jeudi" in ln for ln in lines), thursday
    ask = chat(stack, s, "1")["messages"][-1]["text"]
    assert ask.startswith(f"Déplacer le rendez-vous {ref} au jeudi"), ask
    kept = chat(stack, s, "non")["messages"][-1]["text"]
    assert kept == render("utter_cancel_kept", "fr").text
    assert httpx.get(f"{stack.url}/api/appointments/{ref}", headers=owner).json()["start"] == before


def test_a_stranger_cannot_cancel_an_appointment_by_its_reference(stack: Stack) -> None:
    """Issue 9: "annuler NZA39E" from another conversation showed a stranger's date and
    cancelled it after "oui"."""
    s = "owner-fr"
    chat(stack, s, "en français")
    chat(stack, s, "je voudrais prendre un rendez-vous")
    chat(stack, s, "2")
    chat(stack, s, "1")
    chat(stack, s, "Amina")
    chat(stack, s, "0470 12 34 56")
    ref = _reference(chat(stack, s, "1")["messages"][-1]["text"])
    other = "stranger-fr"
    chat(stack, other, "en français")
    ask = chat(stack, other, f"annuler {ref}")["messages"]
    assert ask[-1]["text"] == render("utter_ask_reference_form_phone_last4", "fr").text
    assert not any("Perwez" in m["text"] or "2026" in m["text"] for m in ask)
    for guess in ("0000", "1111"):
        assert chat(stack, other, guess)["messages"][0]["text"] == render("utter_phone_last4_wrong", "fr").text
    assert httpx.get(f"{stack.url}/api/appointments/{ref}", headers={"X-Phone-Last4": "3456"}).json()["status"] == "booked"
    # The owner, in the conversation that booked, is asked nothing more.
    confirm = chat(stack, s, "je veux annuler mon rendez-vous")["messages"][-1]["text"]
    assert ref in confirm, confirm


def test_a_long_message_is_acknowledged_and_a_counsellor_offered(stack: Stack) -> None:
    """Issue 9: a long, emotional message got a one-line FAQ text."""
    s = "long-fr"
    story = ("Bonjour, je vous écris parce que je ne sais plus quoi faire. J'ai reçu un ordre de quitter le "
             "territoire il y a deux semaines, mes enfants vont à l'école ici depuis trois ans, mon mari "
             "travaille et nous avons peur de tout perdre. Est-ce que quelqu'un peut m'expliquer ce que nous "
             "pouvons faire maintenant et si nous avons encore des droits en Belgique ?")
    body = chat(stack, s, story)
    assert body["language"] == "fr"
    assert body["messages"][-1]["text"] == render("long_message_ack", "fr").text
    assert len(body["messages"]) >= 2  # the assistant's own answer comes first
    accepted = chat(stack, s, "oui")["messages"][-1]["text"]
    assert any(accepted.startswith(t) for t in _waiting_texts("fr")), accepted
    # A short question later gets no such offer.
    short = chat(stack, s, "c'est où votre bureau ?")["messages"]
    assert all(m["text"] != render("long_message_ack", "fr").text for m in short)


def test_an_sms_user_books_with_numbers_and_is_never_asked_for_a_phone(stack: Stack) -> None:
    """Issue 9: the summary before booking, numbers on SMS (1 yes, 2 no); the reminder goes
    to the number they write from, which is never asked again."""
    import xml.etree.ElementTree as ET

    tw = TwilioWebhooks(TWILIO["TWILIO_AUTH_TOKEN"], stack.url, TWILIO["TWILIO_ACCOUNT_SID"],
                        TWILIO["TWILIO_SMS_NUMBER"], TWILIO["TWILIO_WHATSAPP_NUMBER"])
    phone = "+32470555987"

    def sms(text: str) -> str:
        params = tw.inbound(phone, text)
        url = f"{stack.url}/webhooks/twilio/sms"
        r = httpx.post(url, data=params, headers={"X-Twilio-Signature": tw.sign(url, params)}, timeout=30)
        assert r.status_code == 200, r.text
        return "\n".join(m.findtext("Body") or m.text or "" for m in ET.fromstring(r.text).iter("Message"))

    assert render("utter_ask_appointment_form_service", "tr").text in sms("merhaba, randevu almak istiyorum")
    assert "1. " in sms("1")
    assert render("utter_ask_appointment_form_first_name", "tr").text in sms("1")
    summary = sms("Ayşe")
    assert summary.startswith(render("utter_ask_booking_confirm_own_phone", "tr", service="\x00", when="\x00",
                                     first_name="\x00").text.split("\x00")[0]), summary
    assert "Ayşe" in summary and "+32" not in summary  # the number is not written in an SMS
    done = sms("1")
    ref = _reference(done)
    r = httpx.get(f"{stack.url}/api/appointments/{ref}", headers={"X-Phone-Last4": "5987"})
    assert r.status_code == 200 and r.json()["status"] == "booked", r.text
