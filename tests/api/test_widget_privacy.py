"""The widget's privacy and control endpoints (issue 9, widget): the retention period for
the privacy notice, the conversation's upcoming appointments (shown before the widget
forgets a conversation on a shared phone), "delete my data" from the widget's menu
(the one erasure service), a tapped quick reply's label, and the language picker.

The bot is down in these tests (RASA_URL points at a closed port), as in test_widget_api.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from app.appointments.models import Appointment, AppointmentStatus
from app.conversations.erasure import ERASED_NAME, is_request
from app.conversations.models import Channel, Conversation, Direction, Message, MessageStatus
from app.core.db import utcnow
from sqlalchemy import select
from test_widget_api import key_of, new_token, send

FRESH = {"populate_existing": True}
FORGED = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.forged-signature"


def conversation(session, token: str) -> Conversation | None:
    conv = session.scalars(select(Conversation).where(Conversation.key == key_of(token))
                           .execution_options(**FRESH)).one_or_none()
    session.commit()
    return conv


def started(client, session, token: str) -> Conversation:
    """A stored conversation (the gateway answers a language switch without the bot)."""
    assert send(client, token, "English please").status_code == 200
    conv = conversation(session, token)
    assert conv is not None
    return conv


def book(session, conv: Conversation, reference: str, days: float, *,
         status: AppointmentStatus = AppointmentStatus.booked, service: str = "legal") -> int:
    start = utcnow() + timedelta(days=days)
    appt = Appointment(reference=reference, service=service, starts_at=start, ends_at=start + timedelta(minutes=30),
                       seat=1, first_name="Amina", contact_phone=None, conversation_id=conv.id, language="en",
                       channel="web", status=status)
    session.add(appt)
    session.commit()
    return appt.id


def bot_says(session, conv: Conversation, text: str, buttons: list[dict] | None = None) -> None:
    from app.conversations.repository import add_message

    add_message(session, conv, Direction.outbound, text, channel=Channel.web, status=MessageStatus.queued,
                language="en", buttons=buttons)
    session.commit()


# --- the privacy notice's retention period ----------------------------------------------------------


def test_the_retention_period_comes_from_the_setting(client, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.core import settings

    assert client.get("/api/widget/privacy").json() == {"retention_days": 180}
    monkeypatch.setenv("RETENTION_DAYS", "30")
    settings.get_settings.cache_clear()
    assert client.get("/api/widget/privacy").json() == {"retention_days": 30}


def test_the_words_the_privacy_notice_suggests_are_understood_in_nine_languages() -> None:
    """The widget's notice says "or write '<words>'": those words must start the erasure."""
    import re
    from pathlib import Path

    widget = (Path(__file__).resolve().parents[2] / "api" / "app" / "static" / "widget.js").read_text("utf-8")
    suggested = re.findall(r'\bwords: "([^"]+)"', widget)
    assert len(suggested) == 9
    for text in suggested:
        assert is_request(text), text


# --- upcoming appointments --------------------------------------------------------------------------


def test_appointments_need_a_genuine_token(client) -> None:
    assert client.get("/api/widget/appointments").status_code == 401
    assert client.get("/api/widget/appointments", params={"token": FORGED}).status_code == 401
    token = new_token(client)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get("/api/widget/appointments", params={"token": tampered}).status_code == 401


def test_appointments_lists_only_this_conversations_upcoming_bookings(client, session) -> None:
    token = new_token(client)
    # Nothing stored yet: an empty list, and still nothing stored.
    assert client.get("/api/widget/appointments", params={"token": token}).json() == {"appointments": []}
    assert conversation(session, token) is None

    conv = started(client, session, token)
    book(session, conv, "LATE22", 9)
    book(session, conv, "SOON11", 2, service="social")
    book(session, conv, "PAST33", -2)
    book(session, conv, "GONE44", 4, status=AppointmentStatus.cancelled)
    other = started(client, session, new_token(client))
    book(session, other, "OTHR55", 3)

    r = client.get("/api/widget/appointments", params={"token": token})
    assert r.status_code == 200
    listed = r.json()["appointments"]
    assert [(a["reference"], a["service"]) for a in listed] == [("SOON11", "social"), ("LATE22", "legal")]
    assert listed[0]["starts_at"].endswith(("+00:00", "Z"))  # an instant the browser shows in local time


# --- delete my data ---------------------------------------------------------------------------------


def test_delete_needs_a_genuine_token_and_erases_nothing_without_one(client, session) -> None:
    token = new_token(client)
    conv = started(client, session, token)
    assert client.delete("/api/widget/conversation").status_code == 401
    assert client.delete("/api/widget/conversation", params={"token": FORGED}).status_code == 401
    assert conversation(session, token) is not None
    assert session.scalars(select(Message).where(Message.conversation_id == conv.id)).all()


def test_delete_erases_messages_cancels_upcoming_appointments_and_blanks_the_person(client, session) -> None:
    token = new_token(client)
    conv = started(client, session, token)
    send(client, token, "I need help with my papers, my name is Amina")  # bot down: stored, 503
    upcoming = book(session, conv, "UPCO11", 3)
    past = book(session, conv, "PAST22", -3)
    assert len(session.scalars(select(Message).where(Message.conversation_id == conv.id)).all()) >= 3
    session.commit()

    r = client.delete("/api/widget/conversation", params={"token": token})
    assert r.status_code == 204
    assert conversation(session, token) is None
    assert session.scalars(select(Message).where(Message.conversation_id == conv.id)).all() == []
    rows = {a.id: a for a in session.scalars(select(Appointment).execution_options(**FRESH))}
    session.commit()
    assert rows[upcoming].status == AppointmentStatus.cancelled
    assert rows[past].status == AppointmentStatus.booked  # history stays, without the person
    assert {(a.first_name, a.contact_phone) for a in rows.values()} == {(ERASED_NAME, None)}
    # The history is empty, and a second request (a double tap) is still a success.
    assert client.get("/api/widget/history", params={"token": token}).json()["messages"] == []
    assert client.delete("/api/widget/conversation", params={"token": token}).status_code == 204


def test_delete_of_a_conversation_never_stored_is_a_success(client) -> None:
    assert client.delete("/api/widget/conversation", params={"token": new_token(client)}).status_code == 204


def test_delete_logs_no_message_text(client, session, caplog: pytest.LogCaptureFixture) -> None:
    token = new_token(client)
    started(client, session, token)
    send(client, token, "My secret story about my family")
    caplog.clear()
    with caplog.at_level("DEBUG"):
        client.delete("/api/widget/conversation", params={"token": token})
    assert "secret story" not in caplog.text
    assert "erased" in caplog.text


def test_delete_is_allowed_from_another_site(client) -> None:
    pre = client.options("/api/widget/conversation", headers={
        "Origin": "https://partner.example", "Access-Control-Request-Method": "DELETE"})
    assert pre.status_code == 200
    assert "DELETE" in pre.headers["access-control-allow-methods"]


# --- a tapped quick reply shows its label -----------------------------------------------------------


def test_a_tapped_quick_reply_is_stored_with_its_label_and_history_shows_the_label(client, session) -> None:
    token = new_token(client)
    conv = started(client, session, token)
    bot_says(session, conv, "Which service?", [{"title": "1. Social", "payload": "1"},
                                               {"title": "2. Legal", "payload": "2"}])
    send_tap = client.post("/api/widget/messages", json={"token": token, "text": "2", "label": "2. Legal"})
    assert send_tap.status_code == 503  # the bot is down: stored, unanswered
    inbound = session.scalars(select(Message).where(Message.conversation_id == conv.id,
                                                    Message.direction == Direction.inbound)
                              .order_by(Message.id.desc()).execution_options(**FRESH)).first()
    session.commit()
    assert (inbound.text, inbound.label) == ("2", "2. Legal")  # the payload is what the bot gets
    texts = [m["text"] for m in client.get("/api/widget/history", params={"token": token}).json()["messages"]]
    assert texts[-1] == "2. Legal"
    # The counsellors' transcript shows it too, with the payload the assistant got.
    from app.console.conversations.router import transcript_data

    shown = [m["text"] for m in transcript_data(session, conv)["messages"] if m["direction"] == "in"]
    session.commit()
    assert shown[-1] == "2. Legal (2)"


def test_a_label_the_assistant_did_not_offer_is_not_kept(client, session) -> None:
    token = new_token(client)
    conv = started(client, session, token)
    bot_says(session, conv, "Cancel it?", [{"title": "Yes", "payload": "yes"}, {"title": "No", "payload": "no"}])
    # A label that does not belong to the payload sent: the history shows what was answered.
    client.post("/api/widget/messages", json={"token": token, "text": "yes", "label": "No"})
    # Typed, not tapped: stays as typed.
    send(client, token, "2")
    texts = [m["text"] for m in client.get("/api/widget/history", params={"token": token}).json()["messages"]]
    assert texts[-2:] == ["yes", "2"]


# --- the language picker -----------------------------------------------------------------------------


def test_a_language_picked_in_the_widget_is_the_conversations_choice(client, session) -> None:
    token = new_token(client)
    # "ok" alone would get the language menu; with a language picked it is Turkish.
    r = client.post("/api/widget/messages", json={"token": token, "text": "ok", "language": "tr"})
    assert r.json()["language"] == "tr"
    assert conversation(session, token).language == "tr"
    # Picked again mid-conversation: it switches, even on a short message in another language.
    r = client.post("/api/widget/messages", json={"token": token, "text": "hello", "language": "ar"})
    assert r.json()["language"] == "ar"
    # The person's own explicit words still win over the picker.
    r = client.post("/api/widget/messages", json={"token": token, "text": "English please", "language": "ar"})
    assert r.status_code == 200
    assert r.json()["language"] == "en"


def test_only_the_nine_languages_can_be_picked(client) -> None:
    token = new_token(client)
    r = client.post("/api/widget/messages", json={"token": token, "text": "hello", "language": "pl"})
    assert r.status_code == 422


def test_every_widget_text_exists_in_the_nine_languages() -> None:
    """The widget's own words (the UI table of widget.js): same keys, same {placeholders}."""
    import re
    from pathlib import Path

    widget = (Path(__file__).resolve().parents[2] / "api" / "app" / "static" / "widget.js").read_text("utf-8")
    table = widget[widget.index("var UI = {"):widget.index("function pickLanguage")]
    blocks = dict(re.findall(r"\n    (\w\w): \{(.*?\") \}", table, re.S))  # a block ends with '" }'
    assert sorted(blocks) == sorted(["fr", "nl", "en", "es", "de", "ru", "tr", "it", "ar"])
    texts = {lang: dict(re.findall(r'(\w+): "((?:[^"\\]|\\.)*)"', body)) for lang, body in blocks.items()}
    for lang, entries in texts.items():
        assert entries.keys() == texts["en"].keys(), lang
        for key, text in entries.items():
            assert text.strip(), (lang, key)
            assert set(re.findall(r"\{\w+\}", text)) == set(re.findall(r"\{\w+\}", texts["en"][key])), (lang, key)
