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
from app.conversations.repository import stored_key
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


# --- issue 10: erasure that erases ------------------------------------------------------------

WEB_PHONE = "+32470123456"  # test_twilio_webhooks.NUMBER: the SMS user's own number


def _person(session, sms_conv: Conversation) -> dict:
    """Around an SMS conversation: a widget conversation that booked with the same number,
    a note, a flag, home-visit requests (pending and decided), and a stranger's data."""
    from app.appointments.models import HomeVisitRequest, HomeVisitStatus
    from app.console.accounts.models import ConsoleEvent, ConversationNote
    from app.conversations import repository
    from app.conversations.models import Channel, Direction, MessageStatus
    from app.safety.models import FlagKind, SafetyFlag

    web = repository.get_or_create(session, "web:w-zoubida", Channel.web)
    repository.add_message(session, web, Direction.inbound, "je suis Zoubida, 0470 12 34 56",
                           channel=Channel.web, status=MessageStatus.answered)
    stranger = repository.get_or_create(session, "web:w-stranger", Channel.web)
    repository.add_message(session, stranger, Direction.inbound, "bonjour", channel=Channel.web,
                           status=MessageStatus.answered)
    other_phone = repository.get_or_create(session, "tel:+32470999888", Channel.sms)
    session.commit()
    ids = {"web_appt": book_for(session, web, 4, phone=WEB_PHONE),
           "web_past": book_for(session, web, -4, phone=WEB_PHONE),
           "stranger_appt": book_for(session, stranger, 5, phone="+32470111222")}
    msg = session.scalars(select(Message).where(Message.conversation_id == sms_conv.id)).first()
    session.add_all([
        ConversationNote(conversation_id=sms_conv.id, text="rappeler Zoubida au 0470 12 34 56", created_at=utcnow()),
        SafetyFlag(message_id=msg.id, conversation_id=sms_conv.id, kind=FlagKind.missed, category="violence",
                   created_at=utcnow()),
        ConsoleEvent(kind="waiting", conversation_id=sms_conv.id),
        HomeVisitRequest(first_name="Zoubida", contact_phone=WEB_PHONE, language="fr", note="3e étage",
                         status=HomeVisitStatus.requested),
        HomeVisitRequest(first_name="Zoubida", contact_phone=None, conversation_id=web.id, language="fr",
                         note="sans ascenseur", status=HomeVisitStatus.confirmed),
        HomeVisitRequest(first_name="Karim", contact_phone="+32470111222", language="fr",
                         status=HomeVisitStatus.requested),
    ])
    session.commit()
    return {**ids, "web": web.id, "stranger": stranger.id, "other_phone": other_phone.id}


def test_an_sms_erasure_reaches_everything_about_the_person_and_nothing_else(api, tw, session) -> None:  # noqa: F811
    from app.appointments.models import HomeVisitRequest
    from app.console.accounts.models import ConsoleEvent, ConversationNote
    from app.conversations.erasure import subject_hash
    from app.conversations.models import ErasureRecord
    from app.safety.models import SafetyFlag

    tw.post(api, SMS, tw.inbound(NUMBER, "bonjour, je suis Zoubida"))
    sms_conv = conversation(session)
    made = _person(session, sms_conv)
    tw.post(api, SMS, tw.inbound(NUMBER, "effacez mes données"))
    assert texts_of(tw.post(api, SMS, tw.inbound(NUMBER, "oui"))) == [render("erasure_done", "fr").text]

    keys = set(session.scalars(select(Conversation.key).execution_options(**FRESH)))
    assert keys == {"web:w-stranger", stored_key("tel:+32470999888")}  # the widget conversation that booked went too
    texts = [m.text for m in session.scalars(select(Message).execution_options(**FRESH))]
    assert texts == ["bonjour"]
    assert session.scalars(select(ConversationNote)).all() == [] and session.scalars(select(SafetyFlag)).all() == []
    assert session.scalars(select(ConsoleEvent).where(ConsoleEvent.kind != "erased")).all() == []
    appts = {a.id: a for a in session.scalars(select(Appointment).execution_options(**FRESH))}
    assert appts[made["web_appt"]].status == AppointmentStatus.cancelled
    assert appts[made["web_past"]].status == AppointmentStatus.booked
    for key in ("web_appt", "web_past"):
        a = appts[made[key]]
        assert (a.first_name, a.contact_phone, a.conversation_id, a.idempotency_key) == (ERASED_NAME, None, None, None)
    assert (appts[made["stranger_appt"]].first_name, appts[made["stranger_appt"]].contact_phone) == (
        "Amina", "+32470111222")
    visits = session.scalars(select(HomeVisitRequest).execution_options(**FRESH).order_by(HomeVisitRequest.id)).all()
    # The pending request is gone, the confirmed one anonymised, the stranger's untouched.
    assert [(v.first_name, v.contact_phone, v.note) for v in visits] == [
        (ERASED_NAME, None, None), ("Karim", "+32470111222", None)]
    record = session.scalars(select(ErasureRecord).execution_options(**FRESH)).one()
    session.commit()
    assert record.door == "sms" and record.subject_hash == subject_hash(sms_conv.id)
    assert (record.conversations, record.notes, record.safety_flags, record.appointments_cancelled,
            record.appointments_anonymised, record.home_visits) == (2, 1, 1, 1, 2, 2)
    assert record.messages >= 3 and record.trackers_reset == 0  # Rasa is down in these tests
    row = " ".join(str(getattr(record, c.name)) for c in ErasureRecord.__table__.columns)
    for secret in ("Zoubida", "470123456", "0470", sms_conv.id, made["web"]):
        assert secret not in row


def test_a_web_conversation_never_reaches_a_phone_conversation(api, tw, client, session) -> None:  # noqa: F811
    tw.post(api, SMS, tw.inbound(NUMBER, "bonjour"))
    token = client.post("/api/widget/session").json()["token"]
    client.post("/api/widget/messages", json={"token": token, "text": "bonjour, c'est pour un rendez-vous"})
    web = session.scalars(select(Conversation).where(Conversation.key.like("web:%"))).one()
    session.commit()
    book_for(session, web, 3, phone=NUMBER)  # a number typed on the web proves nothing
    assert client.request("DELETE", "/api/widget/conversation", params={"token": token}).status_code == 204
    assert conversation(session) is not None
    appt = session.scalars(select(Appointment).execution_options(**FRESH)).one()
    session.commit()
    assert appt.status == AppointmentStatus.cancelled and appt.contact_phone is None  # booked there: reached


def test_an_admin_erases_from_the_console_with_a_confirmation(api, tw, client, session) -> None:  # noqa: F811
    from app.console.accounts.models import AuditEntry
    from app.conversations.models import ErasureRecord
    from console_support import sign_in

    tw.post(api, SMS, tw.inbound(NUMBER, "bonjour, je suis Zoubida"))
    conv = conversation(session)
    book_for(session, conv, 2, phone=NUMBER)
    url = f"/api/console/conversations/{conv.id}/erase"
    counsellor = sign_in(client, "sarah")
    assert client.post(url, json={"confirm": True}, headers=counsellor).status_code == 403
    client.post("/api/console/logout", headers=counsellor)
    admin = sign_in(client, "root", role="admin")
    assert client.post(url, json={"confirm": False}, headers=admin).status_code == 422
    assert client.post(url, json={"confirm": True}).status_code == 403  # no CSRF token
    r = client.post(url, json={"confirm": True}, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["conversations"] == 1 and r.json()["appointments_cancelled"] == 1
    assert conversation(session) is None
    record = session.get(ErasureRecord, r.json()["id"])
    assert record.door == "console" and record.counsellor_id is not None
    actions = [a.action for a in session.scalars(select(AuditEntry).where(AuditEntry.action == "erase"))]
    session.commit()
    assert actions == ["erase"]
    assert client.post(url, json={"confirm": True}, headers=admin).status_code == 404


def test_the_erased_bytes_leave_the_sqlite_files(api, tw, session, app_db) -> None:  # noqa: F811
    """secure_delete zeroes what is deleted; the WAL is checkpointed and truncated after
    the commit, so a raw search of the .db, -wal and -shm files finds nothing."""
    from pathlib import Path

    tw.post(api, SMS, tw.inbound(NUMBER, "Je m'appelle Zoubida Quennehen, mon voisin me menace"))
    conv = conversation(session)
    book_for(session, conv, 3, phone=NUMBER)
    session.close()
    db = Path(app_db.split("///", 1)[1])

    def found() -> list[str]:
        hits = []
        for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
            raw = path.read_bytes() if path.exists() else b""
            hits += [f"{path.name}: {s}" for s in ("Quennehen", "470123456", "voisin me menace") if s.encode() in raw]
        return hits

    assert found()  # the search works: before the erasure, the texts are in the files
    tw.post(api, SMS, tw.inbound(NUMBER, "supprimez mes données"))
    tw.post(api, SMS, tw.inbound(NUMBER, "oui"))
    assert found() == []
