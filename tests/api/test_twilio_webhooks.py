"""Twilio inbound webhooks (SMS and WhatsApp) and delivery status callbacks.

Requests are signed with the official twilio library, for PUBLIC_BASE_URL, while the
test client itself talks to http://testserver: the gateway must check the public URL.
The bot is down (RASA_URL points at a closed port), so answers are the gateway's own:
the apology (service_unavailable), the "only text" notice, a language switch.
"""

from __future__ import annotations

import json

import logging
import socket
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from app.conversations.models import (
    Channel,
    Conversation,
    Direction,
    Message,
    MessageStatus,
)
from app.i18n.catalogue import render
from conftest import clear_caches, migrate
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.fakes.fake_twilio import FakeTwilio, TwilioWebhooks

AUTH_TOKEN = "twilio-test-auth-token"
ACCOUNT_SID = "AC" + "1" * 32
PUBLIC = "https://assistant.example.be"
SMS_NUMBER, WHATSAPP_NUMBER = "+3228800000", "+3228800001"
NUMBER = "+32470123456"
SMS, WHATSAPP, STATUS = "/webhooks/twilio/sms", "/webhooks/twilio/whatsapp", "/webhooks/twilio/status"


@pytest.fixture
def twilio_env(base_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setenv("PUBLIC_BASE_URL", PUBLIC)
    monkeypatch.setenv("TWILIO_SMS_NUMBER", SMS_NUMBER)
    monkeypatch.setenv("TWILIO_WHATSAPP_NUMBER", WHATSAPP_NUMBER)


@pytest.fixture
def tw(twilio_env: None) -> TwilioWebhooks:
    return TwilioWebhooks(AUTH_TOKEN, PUBLIC, ACCOUNT_SID, SMS_NUMBER, WHATSAPP_NUMBER)


@pytest.fixture
def api(twilio_env: None, client):
    return client


def messages_of(r) -> list[ET.Element]:
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(r.content)
    assert root.tag == "Response"
    return root.findall("Message")


def texts_of(r) -> list[str]:
    return [m.text or "" for m in messages_of(r)]


# Reads get fresh values without expiring other objects (a lazy reload later would
# open a transaction) and end their transaction: on SQLite every transaction takes
# the write lock (BEGIN IMMEDIATE), which the gateway's worker threads need.
FRESH = {"populate_existing": True}


def stored(session) -> list[Message]:
    rows = list(session.scalars(select(Message).order_by(Message.id).execution_options(**FRESH)))
    session.commit()
    return rows


def conversation(session, number: str = NUMBER) -> Conversation | None:
    from app.conversations.repository import stored_key

    stmt = select(Conversation).where(Conversation.key == stored_key(f"tel:{number}")).execution_options(**FRESH)
    conv = session.scalars(stmt).one_or_none()
    session.commit()
    return conv


# --- signatures ---------------------------------------------------------------------

def test_sms_in_french_gets_the_apology_as_twiml_when_the_bot_is_down(api, tw, session) -> None:
    text = "Quelles sont vos heures d'ouverture ?"
    params = tw.inbound(NUMBER, text)
    r = tw.post(api, SMS, params)
    assert texts_of(r) == [render("service_unavailable", "fr").text]
    [msg] = stored(session)
    assert (msg.direction, msg.channel, msg.text) == (Direction.inbound, Channel.sms, text)
    assert msg.external_id == params["MessageSid"]
    assert msg.status == MessageStatus.unanswered
    conv = conversation(session)
    assert (conv.channel, conv.language, conv.opted_out) == (Channel.sms, "fr", False)
    assert conv.last_user_message_at is not None


@pytest.mark.parametrize(("channel", "lang", "text"), [
    ("sms", "nl", "Wat zijn jullie openingsuren op het kantoor?"),
    ("whatsapp", "fr", "Bonjour, je voudrais prendre un rendez-vous avec un conseiller"),
    ("whatsapp", "ar", "ما هي ساعات العمل عندكم؟"),
    ("sms", "ru", "Какие у вас часы работы?"),
    ("whatsapp", "es", "¿Cuál es el horario de atención de la oficina?"),
    ("sms", "tr", "Çalışma saatleriniz nedir, ofis ne zaman açık?"),
])
def test_each_language_and_channel_is_answered_in_its_language(api, tw, session, channel: str, lang: str,
                                                               text: str) -> None:
    r = tw.post(api, SMS if channel == "sms" else WHATSAPP, tw.inbound(NUMBER, text, channel=channel))
    assert texts_of(r) == [render("service_unavailable", lang).text]
    [msg] = stored(session)
    assert (msg.channel, msg.language, msg.text) == (channel, lang, text)


def test_forged_missing_or_tampered_signatures_are_refused_and_nothing_is_stored(api, tw, session) -> None:
    params = tw.inbound(NUMBER, "Quelles sont vos heures d'ouverture ?")
    forger = TwilioWebhooks("not-the-auth-token", PUBLIC, ACCOUNT_SID, SMS_NUMBER, WHATSAPP_NUMBER)
    assert forger.post(api, SMS, params).status_code == 403
    assert api.post(SMS, data=params).status_code == 403                       # no signature
    assert tw.post(api, SMS, params, signature="").status_code == 403
    tampered = {**params, "Body": "something else"}
    assert tw.post(api, SMS, tampered, signature=tw.sign(f"{PUBLIC}{SMS}", params)).status_code == 403
    # Signed for the other endpoint: the path is part of what is signed.
    assert tw.post(api, SMS, params, signed_url=f"{PUBLIC}{WHATSAPP}").status_code == 403
    # Signed for the host the request reached (what a naive check would use): refused.
    assert tw.post(api, SMS, params, signed_url=f"http://testserver{SMS}").status_code == 403
    assert tw.post(api, STATUS, tw.status("SM" + "0" * 32, "delivered"),
                   signature="bad").status_code == 403
    assert stored(session) == []
    assert conversation(session) is None


def test_the_public_url_counts_not_the_host_the_proxy_used(api, tw, session) -> None:
    params = tw.inbound(NUMBER, "Quelles sont vos heures d'ouverture ?")
    headers = {"X-Twilio-Signature": tw.sign(f"{PUBLIC}{SMS}", params), "Host": "10.0.0.7:8000",
               "X-Forwarded-Proto": "http", "X-Forwarded-Host": "internal.lan"}
    r = api.post(f"http://10.0.0.7:8000{SMS}", data=params, headers=headers)
    assert len(messages_of(r)) == 1
    assert len(stored(session)) == 1


def test_the_query_string_is_part_of_the_signed_url(api, tw, session) -> None:
    params = tw.inbound(NUMBER, "Quelles sont vos heures d'ouverture ?")
    assert tw.post(api, SMS, params, query={"line": "namur"},
                   signed_url=f"{PUBLIC}{SMS}").status_code == 403
    assert len(messages_of(tw.post(api, SMS, params, query={"line": "namur"}))) == 1


def test_a_signed_request_without_message_sid_is_a_400(api, tw, session) -> None:
    params = tw.inbound(NUMBER, "bonjour")
    for name in ("MessageSid", "SmsSid", "SmsMessageSid"):
        del params[name]
    r = tw.post(api, SMS, params)
    assert r.status_code == 400
    assert "MessageSid" in r.json()["detail"]
    assert stored(session) == []


# --- stored once, answered once -----------------------------------------------------------

def test_a_repeated_message_sid_is_acknowledged_and_not_answered_twice(api, tw, session) -> None:
    params = tw.inbound(NUMBER, "English please")
    [message] = messages_of(tw.post(api, SMS, params))
    assert message.text == "OK, I will write in English."
    for _ in range(2):
        assert messages_of(tw.post(api, SMS, params)) == []  # <Response /> again
    rows = stored(session)
    assert [(m.direction, m.status) for m in rows] == [(Direction.inbound, MessageStatus.answered),
                                                       (Direction.outbound, MessageStatus.sent)]
    # The TwiML reply carries a status callback naming its row.
    assert message.get("action") == f"{PUBLIC}{STATUS}?message={rows[1].id}"
    assert rows[1].attempts == 1


@pytest.fixture
def api_on(twilio_env: None, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The app on SQLite, then on PostgreSQL (where two deliveries can really race)."""
    from app.main import create_app

    monkeypatch.setenv("DATABASE_URL", database_url)
    clear_caches()
    migrate(database_url)
    with TestClient(create_app()) as client:
        yield client
    clear_caches()


def test_concurrent_deliveries_of_one_message_are_answered_once(api_on, tw) -> None:
    from app.core.db import get_sessionmaker

    params = tw.inbound(NUMBER, "English please")
    barrier = threading.Barrier(4)
    replies: list[list[str]] = []

    def deliver() -> None:
        barrier.wait()
        replies.append(texts_of(tw.post(api_on, SMS, params)))

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(replies) == [[], [], [], ["OK, I will write in English."]]
    with get_sessionmaker()() as session:
        assert [(m.direction, m.external_id) for m in stored(session)] == [
            (Direction.inbound, params["MessageSid"]), (Direction.outbound, None)]


def test_sms_and_whatsapp_from_one_number_share_one_conversation(api, tw, session) -> None:
    tw.post(api, SMS, tw.inbound(NUMBER, "Quelles sont vos heures d'ouverture ?"))
    r = tw.post(api, WHATSAPP, tw.inbound(NUMBER, "merci", channel="whatsapp"))
    assert texts_of(r) == [render("service_unavailable", "fr").text]  # the language is kept
    conv = conversation(session)
    assert (conv.channel, conv.language) == (Channel.whatsapp, "fr")
    assert [m.channel for m in stored(session)] == [Channel.sms, Channel.whatsapp]
    assert [c.id for c in session.scalars(select(Conversation))] == [conv.id]
    session.commit()


def test_the_reply_is_xml_escaped(api, tw, session) -> None:
    # "English please" answers with a fixed text; check the escaping on the TwiML builder.
    from app.channels.twilio.router import twiml
    from app.channels.twilio.service import Outgoing

    body = twiml([Outgoing("a < b & c > d </Message><Message>x")]).body
    assert b"&lt; b &amp; c &gt; d &lt;/Message&gt;" in body
    assert [m.text for m in ET.fromstring(body).findall("Message")] == ["a < b & c > d </Message><Message>x"]


# --- media, location, empty ---------------------------------------------------------------

def test_media_location_and_empty_messages_get_the_only_text_notice(api, tw, session) -> None:
    tw.post(api, WHATSAPP, tw.inbound(NUMBER, "Quelles sont vos heures d'ouverture ?", channel="whatsapp"))
    notice = render("only_text", "fr").text
    photo = tw.inbound(NUMBER, "", channel="whatsapp", NumMedia="1", MessageType="image",
                       MediaContentType0="image/jpeg",
                       MediaUrl0="https://api.twilio.com/2010-04-01/Accounts/AC/Messages/MM/Media/ME")
    place = tw.inbound(NUMBER, "", channel="whatsapp", Latitude="50.4669", Longitude="4.8675",
                       Address="Rue de Fer 1, Namur", Label="Home", MessageType="location")
    empty = tw.inbound(NUMBER, "   ", channel="whatsapp")
    for params in (photo, place, empty):
        assert texts_of(tw.post(api, WHATSAPP, params)) == [notice]
    inbound = [m for m in stored(session) if m.direction == Direction.inbound]
    assert [m.text for m in inbound[1:]] == ["[media]", "[location]", "[empty]"]
    assert all("Namur" not in m.text and "50.46" not in m.text for m in stored(session))
    outbound = [m for m in stored(session) if m.direction == Direction.outbound]
    assert [(m.text, m.language, m.status) for m in outbound] == [(notice, "fr", MessageStatus.sent)] * 3


def test_photos_and_voice_notes_during_a_handoff_reach_the_counsellor(api, tw, session) -> None:
    from app.conversations.models import Conversation, HandoffState
    from app.handoff import service as handoff

    r = tw.post(api, WHATSAPP, tw.inbound(NUMBER, "my husband hits me, he comes back tonight", channel="whatsapp"))
    assert any("112" in t for t in texts_of(r))  # the danger reply, on WhatsApp too
    conv = session.scalars(select(Conversation).execution_options(**FRESH)).one()
    assert conv.handoff_state == HandoffState.waiting and conv.urgent
    session.commit()
    voice = tw.inbound(NUMBER, "", channel="whatsapp", NumMedia="1", MessageType="audio",
                       MediaContentType0="audio/ogg",
                       MediaUrl0="https://api.twilio.com/2010-04-01/Accounts/AC/Messages/MM1/Media/ME1")
    assert texts_of(tw.post(api, WHATSAPP, voice)) == []  # no "text only" reply during a handoff
    last = stored(session)[-1]
    assert last.status == MessageStatus.for_counsellor
    assert json.loads(last.media) == [{"url": voice["MediaUrl0"], "content_type": "audio/ogg"}]
    assert handoff  # the module the gateway routes with


def test_a_first_message_with_only_a_picture_gets_the_notice_in_english(api, tw, session) -> None:
    r = tw.post(api, SMS, tw.inbound(NUMBER, "", NumMedia="1", MediaUrl0="https://example.test/m"))
    assert texts_of(r) == [render("only_text", None).text]


def test_a_caption_with_a_picture_is_read_as_the_message(api, tw, session) -> None:
    r = tw.post(api, WHATSAPP, tw.inbound(NUMBER, "English please", channel="whatsapp", NumMedia="1",
                                          MediaUrl0="https://example.test/m"))
    assert texts_of(r) == ["OK, I will write in English."]


# --- STOP / START -------------------------------------------------------------------------

def test_stop_opts_out_and_start_opts_back_in(api, tw, session) -> None:
    tw.post(api, SMS, tw.inbound(NUMBER, "Quelles sont vos heures d'ouverture ?"))
    assert messages_of(tw.post(api, SMS, tw.inbound(NUMBER, " stop "))) == []  # Twilio confirms it
    assert conversation(session).opted_out is True
    # While opted out: stored for counsellors, nothing answered.
    assert messages_of(tw.post(api, SMS, tw.inbound(NUMBER, "Bonjour, vous êtes là ?"))) == []
    last = stored(session)[-1]
    assert (last.text, last.status) == ("Bonjour, vous êtes là ?", MessageStatus.received)
    assert messages_of(tw.post(api, SMS, tw.inbound(NUMBER, "START"))) == []
    assert conversation(session).opted_out is False
    assert texts_of(tw.post(api, SMS, tw.inbound(NUMBER, "English please"))) == ["OK, I will write in English."]


@pytest.mark.parametrize("word", ["STOPALL", "unsubscribe", "Cancel", "END", "quit"])
def test_every_twilio_sms_opt_out_word_alone_opts_out(api, tw, session, word: str) -> None:
    assert messages_of(tw.post(api, SMS, tw.inbound(NUMBER, word))) == []
    assert conversation(session).opted_out is True


@pytest.mark.parametrize(("channel", "text"), [
    ("sms", "stop please"), ("sms", "annuler"), ("sms", "arrêter"), ("sms", "STOP."),
    ("whatsapp", "cancel"), ("whatsapp", "end"), ("sms", "yes"),
])
def test_other_messages_are_not_opt_outs(api, tw, session, channel: str, text: str) -> None:
    path = SMS if channel == "sms" else WHATSAPP
    r = tw.post(api, path, tw.inbound(NUMBER, text, channel=channel))
    assert len(messages_of(r)) == 1  # the assistant (here: the menu or its apology) answers
    assert conversation(session).opted_out is False


def test_yes_opts_back_in_on_sms_only_when_opted_out(api, tw, session) -> None:
    tw.post(api, SMS, tw.inbound(NUMBER, "STOP"))
    assert messages_of(tw.post(api, SMS, tw.inbound(NUMBER, "Yes"))) == []
    assert conversation(session).opted_out is False


def test_whatsapp_stop_opts_the_number_out(api, tw, session) -> None:
    assert messages_of(tw.post(api, WHATSAPP, tw.inbound(NUMBER, "STOP", channel="whatsapp"))) == []
    assert conversation(session).opted_out is True


# --- late answers -----------------------------------------------------------------------

@pytest.fixture
def hung_rasa(base_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Rasa accepts the connection and never answers (a hung server, not a fake bot)."""
    from app.conversations import rasa

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    monkeypatch.setenv("RASA_URL", f"http://127.0.0.1:{sock.getsockname()[1]}")
    monkeypatch.setenv("RASA_TIMEOUT_SECONDS", "1.5")
    monkeypatch.setenv("TWILIO_REPLY_TIMEOUT_SECONDS", "0.3")
    monkeypatch.setattr(rasa, "_client", None)  # rebuilt with the short timeout
    yield
    sock.close()


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTwilio]:
    with FakeTwilio() as server:
        monkeypatch.setenv("TWILIO_API_BASE_URL", server.url)
        yield server


def test_a_late_answer_is_acknowledged_then_sent_by_the_outbox(hung_rasa, fake, api, tw, session) -> None:
    from app.channels import outbox
    from app.channels.twilio import workers

    text = "Quelles sont vos heures d'ouverture ?"
    r = tw.post(api, SMS, tw.inbound(NUMBER, text))
    assert messages_of(r) == []                   # acknowledged in time, without the answer
    [msg] = stored(session)                       # ... but only once stored
    assert msg.text == text
    assert workers.drain(timeout=10)
    rows = stored(session)
    assert [m.direction for m in rows] == [Direction.inbound, Direction.outbound]
    late = rows[1]
    assert (late.status, late.text) == (MessageStatus.queued, render("service_unavailable", "fr").text)
    assert late.next_attempt_at is not None
    assert outbox.run_once() == 1
    [sent] = fake.messages()
    assert (sent.form["To"], sent.form["From"], sent.form["Body"]) == (NUMBER, SMS_NUMBER, late.text)
    assert stored(session)[1].status == MessageStatus.sent


# --- status callbacks -------------------------------------------------------------------

def test_a_twiml_reply_learns_its_sid_and_delivery_from_its_callbacks(api, tw, session) -> None:
    tw.post(api, SMS, tw.inbound(NUMBER, "English please"))
    reply = stored(session)[1]
    sid = "SM" + "a" * 32
    r = tw.post(api, STATUS, tw.status(sid, "sent"), query={"message": str(reply.id)})
    assert r.status_code == 204
    assert tw.post(api, STATUS, tw.status(sid, "delivered"), query={"message": str(reply.id)}).status_code == 204
    # Out of order: a late "sent" does not undo "delivered".
    tw.post(api, STATUS, tw.status(sid, "sent"), query={"message": str(reply.id)})
    row = stored(session)[1]
    assert (row.external_id, row.status) == (sid, MessageStatus.delivered)


def test_a_callback_for_an_unknown_message_is_acknowledged(api, tw, session) -> None:
    assert tw.post(api, STATUS, tw.status("SM" + "b" * 32, "delivered")).status_code == 204
    assert tw.post(api, STATUS, {"MessageSid": "SMx"}).status_code == 400


def test_an_undelivered_twiml_reply_is_queued_again(api, tw, session) -> None:
    tw.post(api, SMS, tw.inbound(NUMBER, "English please"))
    reply = stored(session)[1]
    tw.post(api, STATUS, tw.status("SM" + "c" * 32, "undelivered", "30003"), query={"message": str(reply.id)})
    row = stored(session)[1]
    assert row.status == MessageStatus.queued
    assert row.next_attempt_at is not None and "30003" in row.error


# --- privacy ------------------------------------------------------------------------------

class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_logs_carry_no_phone_number_and_no_text(api, tw, session) -> None:
    handler = _Records()
    logger = logging.getLogger("app")
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        tw.post(api, SMS, tw.inbound(NUMBER, "Quelles sont vos heures d'ouverture ?"))
        tw.post(api, WHATSAPP, tw.inbound(NUMBER, "", channel="whatsapp", NumMedia="1", MediaUrl0="x"))
        tw.post(api, SMS, tw.inbound(NUMBER, "STOP"))
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    assert handler.lines
    joined = "\n".join(handler.lines)
    for secret in (NUMBER, NUMBER.lstrip("+"), "470123456", "heures d'ouverture", "Test User"):
        assert secret not in joined
