"""Deletion on request (issue 9), one service for every door: "delete my data" in
conversation, in nine languages, confirmed by a yes; on the web, the widget and SMS; and
DELETE /api/chat/{sender}. The conversation and its messages are removed, the person's
upcoming appointments cancelled and their name and phone blanked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from app.appointments.models import Appointment, AppointmentStatus
from app.conversations.erasure import ERASED_NAME, is_request
from app.conversations.models import Conversation, Message
from app.core.db import utcnow
from app.i18n.catalogue import render
from sqlalchemy import select
from test_twilio_webhooks import NUMBER, SMS, api, conversation, texts_of, tw, twilio_env  # noqa: F401
from tests.chat_client import auth, send

FRESH = {"populate_existing": True}


def chat(client, sender: str, text: str):
    return send(client, sender, text)


def conv_of(session, key: str) -> Conversation | None:
    conv = session.scalars(select(Conversation).where(Conversation.key == key).execution_options(**FRESH)).one_or_none()
    session.commit()
    return conv


def book_for(session, conv: Conversation, days: int, phone: str | None = "+32470999000") -> int:
    start = utcnow() + timedelta(days=days)
    appt = Appointment(reference=("F" if days > 0 else "P") + f"{abs(days)}X2ZZ"[:5], service="social", starts_at=start,
                       ends_at=start + timedelta(minutes=30), seat=1, first_name="Amina", contact_phone=phone,
                       conversation_id=conv.id, language="fr", channel="web")
    session.add(appt)
    session.commit()
    return appt.id


@pytest.mark.parametrize(("text", "lang"), [
    ("effacez mes données", "fr"), ("please delete my data", "en"), ("verwijder mijn gegevens", "nl"),
    ("borren mis datos", "es"), ("löschen Sie bitte meine Daten", "de"), ("удалите мои данные", "ru"),
    ("verilerimi silin lütfen", "tr"), ("cancellate i miei dati", "it"), ("احذفوا بياناتي من فضلكم", "ar"),
])
def test_the_request_is_understood_in_nine_languages(text: str, lang: str) -> None:
    assert is_request(text)


def test_questions_about_data_are_not_requests() -> None:
    for text in ("is my data safe?", "qui voit mes données ?", "do you give my data to the police?",
                 "ik wil mijn afspraak annuleren", "delete my appointment"):
        assert not is_request(text), text


def test_yes_erases_the_conversation_and_cancels_upcoming_appointments(client, session) -> None:
    chat(client, "er1", "Bonjour, quelles sont vos heures ?")  # Rasa is down: stored, 503
    conv = conv_of(session, "api:er1")
    upcoming, past = book_for(session, conv, 3), book_for(session, conv, -3)
    ask = chat(client, "er1", "effacez mes données svp")
    assert ask.status_code == 200
    assert ask.json()["messages"][0]["text"] == render("erasure_confirm_appointments", "fr").text
    done = chat(client, "er1", "oui")
    assert done.json()["messages"][0]["text"] == render("erasure_done", "fr").text
    assert conv_of(session, "api:er1") is None
    assert session.scalars(select(Message).where(Message.conversation_id == conv.id)).all() == []
    rows = {a.id: a for a in session.scalars(select(Appointment).execution_options(**FRESH))}
    session.commit()
    assert rows[upcoming].status == AppointmentStatus.cancelled
    assert rows[past].status == AppointmentStatus.booked  # history stays, without the person
    assert {(a.first_name, a.contact_phone) for a in rows.values()} == {(ERASED_NAME, None)}


def test_no_keeps_everything_and_another_answer_lets_the_question_lapse(client, session) -> None:
    chat(client, "er2", "please delete my data")
    conv = conv_of(session, "api:er2")
    assert conv is not None and conv.erasure_asked_at is not None
    kept = chat(client, "er2", "no")
    assert kept.json()["messages"][0]["text"] == render("erasure_kept", "en").text
    assert conv_of(session, "api:er2").erasure_asked_at is None
    ask = chat(client, "er2", "delete my data")
    assert ask.json()["messages"][0]["text"] == render("erasure_confirm", "en").text  # no appointments
    chat(client, "er2", "what are your hours?")  # not a yes: nothing is erased
    assert conv_of(session, "api:er2") is not None
    assert chat(client, "er2", "yes").status_code == 503  # a plain yes now goes to the (stopped) bot


def test_the_delete_endpoint_uses_the_same_service(client, session) -> None:
    chat(client, "er3", "English please")
    conv = conv_of(session, "api:er3")
    upcoming = book_for(session, conv, 2)
    assert client.delete("/api/chat/er3", headers=auth(client, "er3")).status_code == 204
    appt = session.scalars(select(Appointment).where(Appointment.id == upcoming).execution_options(**FRESH)).one()
    session.commit()
    assert appt.status == AppointmentStatus.cancelled and appt.contact_phone is None


def test_an_sms_user_erases_by_text_and_gets_the_answer_in_the_webhook(api, tw, session) -> None:  # noqa: F811
    assert texts_of(tw.post(api, SMS, tw.inbound(NUMBER, "verwijder al mijn gegevens"))) == [
        render("erasure_confirm", "nl").text]
    assert texts_of(tw.post(api, SMS, tw.inbound(NUMBER, "ja"))) == [render("erasure_done", "nl").text]
    assert conversation(session) is None
    assert session.scalars(select(Message)).all() == []


def test_the_widget_gets_a_new_token_after_erasure(client) -> None:
    token = client.post("/api/widget/session").json()["token"]
    client.post("/api/widget/messages", json={"token": token, "text": "English please"})
    client.post("/api/widget/messages", json={"token": token, "text": "delete my data"})
    r = client.post("/api/widget/messages", json={"token": token, "text": "yes"})
    assert r.status_code == 200 and r.json()["messages"][0]["text"] == render("erasure_done", "en").text
    assert r.json()["token"] != token
    assert client.get("/api/widget/history", params={"token": r.json()["token"]}).json()["messages"] == []
