"""The outbox: queued messages sent through Twilio's REST API (a local fake server),
with retries, ambiguity, WhatsApp's 24-hour rule, SMS splitting and status callbacks."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from app.conversations.models import (
    Channel,
    Conversation,
    Direction,
    Message,
    MessageStatus,
)
from conftest import clear_caches, migrate
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.fakes.fake_twilio import DROP, FakeTwilio, Reply, TwilioWebhooks

AUTH_TOKEN = "twilio-test-auth-token"
ACCOUNT_SID = "AC" + "2" * 32
PUBLIC = "https://assistant.example.be"
SMS_NUMBER, WHATSAPP_NUMBER = "+3228800000", "+3228800001"
NUMBER = "+32470123456"
TEMPLATES = {"fr": "HX" + "f" * 32, "nl": "HX" + "e" * 32}
FRENCH = ("Nos permanences sociales ont lieu du lundi au vendredi de 9:00 à 13:00. "
          "La permanence juridique gratuite a lieu le mardi de 14:00 à 17:00. ")
ARABIC = "مرحبا، أنا مساعد الخدمة. يمكنني أن أخبرك عن العودة الطوعية وساعات العمل والمساعدة القانونية المجانية. "


@pytest.fixture
def fake(base_env: None, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTwilio]:
    """The fake Twilio REST API, and a migrated database (SQLite, then PostgreSQL: the
    claim queries must hold on both)."""
    with FakeTwilio() as server:
        monkeypatch.setenv("DATABASE_URL", database_url)
        monkeypatch.setenv("TWILIO_API_BASE_URL", server.url)
        monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
        monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
        monkeypatch.setenv("PUBLIC_BASE_URL", PUBLIC)
        monkeypatch.setenv("TWILIO_SMS_NUMBER", SMS_NUMBER)
        monkeypatch.setenv("TWILIO_WHATSAPP_NUMBER", WHATSAPP_NUMBER)
        monkeypatch.setenv("WHATSAPP_TEMPLATE_SIDS", json.dumps(TEMPLATES))
        monkeypatch.setenv("TWILIO_SEND_MAX_ATTEMPTS", "3")
        clear_caches()
        migrate(database_url)
        yield server
        clear_caches()


@pytest.fixture
def db(fake: FakeTwilio) -> Iterator[Session]:
    from app.core.db import get_sessionmaker

    session = get_sessionmaker()()
    yield session
    session.close()


def now() -> datetime:
    return datetime.now(UTC)


def conversation(db, *, number: str = NUMBER, channel: Channel = Channel.sms, language: str | None = "fr",
                 last_user: timedelta | None = timedelta(minutes=5)) -> Conversation:
    conv = Conversation(key=f"tel:{number}", channel=channel, language=language,
                        last_user_message_at=now() - last_user if last_user is not None else None)
    db.add(conv)
    db.commit()
    return conv


def queue(db, conv: Conversation, text: str) -> Message:
    from app.channels.outbox import queue_message

    msg = queue_message(db, conv, text)
    db.commit()
    return msg


def rows(db, conv: Conversation | None = None) -> list[Message]:
    # Fresh values without expiring other objects (a lazy reload later would open a
    # transaction), and the read's transaction ended: on SQLite every transaction
    # holds the write lock (BEGIN IMMEDIATE), which the sender needs.
    stmt = (select(Message).where(Message.direction == Direction.outbound).order_by(Message.id)
            .execution_options(populate_existing=True))
    if conv is not None:
        stmt = stmt.where(Message.conversation_id == conv.id)
    result = list(db.scalars(stmt))
    db.commit()
    return result


def run(at: datetime | None = None) -> int:
    from app.channels.outbox import run_once

    return run_once(at)


def later(**delta: float) -> datetime:
    return now() + timedelta(**delta)


# --- sending --------------------------------------------------------------------------

def test_a_queued_sms_is_sent_with_the_right_fields_and_auth(db, fake) -> None:
    conv = conversation(db)
    msg = queue(db, conv, "Votre rendez-vous est confirmé.")
    assert (msg.status, msg.direction, msg.channel) == (MessageStatus.queued, Direction.outbound, Channel.sms)
    assert run() == 1
    [req] = fake.messages()
    assert req.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert req.auth == (ACCOUNT_SID, AUTH_TOKEN)
    assert req.form == {"To": NUMBER, "From": SMS_NUMBER, "Body": "Votre rendez-vous est confirmé.",
                        "StatusCallback": f"{PUBLIC}/webhooks/twilio/status"}
    [row] = rows(db)
    assert row.status == MessageStatus.sent and row.external_id.startswith("SM") and row.attempts == 1
    assert run(later(hours=1)) == 0 and len(fake.messages()) == 1  # sent once


def test_a_429_is_retried_with_backoff_then_sent(db, fake) -> None:
    conv = conversation(db)
    queue(db, conv, "Rappel : rendez-vous demain.")
    fake.respond(Reply(429, {"code": 20429, "message": "Too Many Requests"}, {"Retry-After": "1"}))
    assert run() == 1
    [row] = rows(db)
    assert (row.status, row.attempts) == (MessageStatus.queued, 1)
    assert "429" in row.error
    assert row.next_attempt_at > now() + timedelta(seconds=20)  # backoff, not an immediate retry
    assert run() == 0                                           # not due yet
    assert run(later(minutes=5)) == 1
    [row] = rows(db)
    assert (row.status, row.attempts, row.error) == (MessageStatus.sent, 2, None)
    assert len(fake.messages()) == 2


def test_the_backoff_grows_and_the_message_fails_after_the_last_attempt(db, fake) -> None:
    conv = conversation(db)
    queue(db, conv, "Rappel.")
    fake.respond(429, 429, 429)
    waits = []
    at = now()
    for _ in range(3):
        assert run(at) == 1
        [row] = rows(db)
        if row.next_attempt_at:
            waits.append((row.next_attempt_at - at).total_seconds())
            at = row.next_attempt_at + timedelta(seconds=1)
    assert waits[1] > waits[0] * 1.5
    [row] = rows(db)
    assert row.status == MessageStatus.failed
    assert "gave up after 3 attempts" in row.error
    assert run(later(days=1)) == 0
    assert len(fake.messages()) == 3


@pytest.mark.parametrize("reply", [500, 503, DROP])
def test_a_5xx_or_a_lost_answer_is_ambiguous_and_never_sent_again(db, fake, reply) -> None:
    conv = conversation(db)
    queue(db, conv, "Votre rendez-vous est confirmé.")
    fake.respond(reply)
    assert run() == 1
    [row] = rows(db)
    assert (row.status, row.error) == (MessageStatus.failed, "ambiguous")
    assert run(later(days=1)) == 0
    assert len(fake.messages()) == 1


def test_a_network_error_before_sending_is_retried(db, fake, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.core.settings import get_settings

    conv = conversation(db)
    queue(db, conv, "Bonjour")
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("TWILIO_API_BASE_URL", f"http://127.0.0.1:{port}")
    get_settings.cache_clear()
    assert run() == 1
    [row] = rows(db)
    assert (row.status, row.attempts) == (MessageStatus.queued, 1)
    assert "network error before sending" in row.error
    monkeypatch.setenv("TWILIO_API_BASE_URL", fake.url)
    get_settings.cache_clear()
    assert run(later(hours=1)) == 1
    assert rows(db)[0].status == MessageStatus.sent
    assert len(fake.messages()) == 1


def test_a_rejection_for_an_opted_out_number_marks_the_conversation(db, fake) -> None:
    conv = conversation(db)
    queue(db, conv, "Bonjour")
    fake.respond(Reply(400, {"code": 21610, "message": "Attempt to send to unsubscribed recipient"}))
    run()
    [row] = rows(db)
    assert row.status == MessageStatus.failed and "21610" in row.error
    assert db.get(Conversation, conv.id, populate_existing=True).opted_out is True
    db.commit()


def test_nothing_is_sent_to_an_opted_out_number(db, fake) -> None:
    conv = conversation(db)
    conv.opted_out = True
    db.commit()
    queue(db, conv, "Bonjour")
    run()
    [row] = rows(db)
    assert row.status == MessageStatus.failed and "opted out" in row.error
    assert fake.messages() == []


def test_web_conversations_are_left_to_the_widget(db, fake) -> None:
    conv = Conversation(key="web:abc", channel=Channel.web, language="fr")
    db.add(conv)
    db.commit()
    queue(db, conv, FRENCH * 5)
    assert run(later(hours=1)) == 0
    [row] = rows(db)
    assert row.status == MessageStatus.queued and row.text == (FRENCH * 5)  # not split either
    assert fake.messages() == []


# --- WhatsApp's 24-hour window ---------------------------------------------------------

def test_whatsapp_within_24_hours_sends_the_text(db, fake) -> None:
    conv = conversation(db, channel=Channel.whatsapp, last_user=timedelta(hours=23))
    queue(db, conv, "Un conseiller vous répond : oui, c'est possible.")
    run()
    [req] = fake.messages()
    assert req.form["To"] == f"whatsapp:{NUMBER}" and req.form["From"] == f"whatsapp:{WHATSAPP_NUMBER}"
    assert req.form["Body"] == "Un conseiller vous répond : oui, c'est possible."
    assert "ContentSid" not in req.form


def test_whatsapp_after_24_hours_uses_the_languages_template(db, fake) -> None:
    conv = conversation(db, channel=Channel.whatsapp, last_user=timedelta(hours=25))
    text = "Rappel : vous avez un rendez-vous demain à 10:00."
    queue(db, conv, text)
    run()
    [req] = fake.messages()
    assert req.form["ContentSid"] == TEMPLATES["fr"]
    assert json.loads(req.form["ContentVariables"]) == {"1": text}
    assert "Body" not in req.form
    assert rows(db)[0].status == MessageStatus.sent


def test_whatsapp_after_24_hours_without_a_template_fails_clearly(db, fake) -> None:
    conv = conversation(db, channel=Channel.whatsapp, language="ar", last_user=timedelta(days=3))
    queue(db, conv, "تذكير")
    run()
    [row] = rows(db)
    assert row.status == MessageStatus.failed
    assert "24 hours" in row.error and "'ar'" in row.error and "WHATSAPP_TEMPLATE_SIDS" in row.error
    assert fake.messages() == []


# --- splitting, order ------------------------------------------------------------------

def _send_all(limit: int = 20) -> None:
    at = now()
    for _ in range(limit):
        if run(at) == 0:
            return


def test_long_sms_are_split_at_words_arabic_into_more_parts_than_french(db, fake) -> None:
    from app.channels.twilio.segments import segment_count

    fr = conversation(db, number="+32470000001")
    ar = conversation(db, number="+32470000002", language="ar")
    queue(db, fr, FRENCH * 6)
    queue(db, ar, ARABIC * 6)
    fr_rows, ar_rows = rows(db, fr), rows(db, ar)
    assert 1 < len(fr_rows) < len(ar_rows)
    assert all(segment_count(r.text) <= 3 for r in fr_rows + ar_rows)
    _send_all()
    sent = fake.messages()
    assert len(sent) == len(fr_rows) + len(ar_rows)
    for number, text in (("+32470000001", FRENCH * 6), ("+32470000002", ARABIC * 6)):
        bodies = [r.form["Body"] for r in sent if r.form["To"] == number]
        assert " ".join(bodies).split() == text.split()  # every word, in order, none cut


def test_a_long_whatsapp_message_is_split_under_1600_characters(db, fake) -> None:
    conv = conversation(db, channel=Channel.whatsapp)
    queue(db, conv, FRENCH * 20)
    assert all(len(r.text) <= 1600 for r in rows(db)) and len(rows(db)) == 2


def test_messages_to_one_number_leave_in_order_even_when_one_is_retried(db, fake) -> None:
    conv = conversation(db)
    other = conversation(db, number="+32470999999")
    queue(db, conv, "premier")
    queue(db, conv, "second")
    queue(db, other, "autre")
    fake.respond(429)
    run()  # "premier" rate-limited; "second" waits behind it; the other number is not held up
    assert [r.form["Body"] for r in fake.messages()] == ["premier", "autre"]
    run()
    assert len(fake.messages()) == 2
    _send_at = later(hours=1)
    run(_send_at)
    run(_send_at)
    assert [r.form["Body"] for r in fake.messages()] == ["premier", "autre", "premier", "second"]


def test_two_senders_never_send_the_same_message(db, fake) -> None:
    convs = [conversation(db, number=f"+3247000{i:04d}") for i in range(30)]
    for i, conv in enumerate(convs):
        queue(db, conv, f"message {i}")
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def sender() -> None:
        try:
            barrier.wait()
            run()
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=sender) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    bodies = [r.form["Body"] for r in fake.messages()]
    assert sorted(bodies) == sorted(f"message {i}" for i in range(30))  # each exactly once
    assert {r.status for r in rows(db)} == {MessageStatus.sent}


def test_a_message_abandoned_mid_send_is_ambiguous(db, fake) -> None:
    from app.channels.outbox import SENDING

    conv = conversation(db)
    msg = queue(db, conv, "Bonjour")
    msg.error, msg.attempts, msg.next_attempt_at = SENDING, 1, now() - timedelta(seconds=1)
    db.commit()
    run()
    [row] = rows(db)
    assert (row.status, row.error) == (MessageStatus.failed, "ambiguous")
    assert fake.messages() == []


def test_an_answer_the_webhook_never_handed_over_is_sent_after_a_grace(db, fake) -> None:
    from app.conversations import repository

    conv = conversation(db)
    left = repository.add_message(db, conv, Direction.outbound, "réponse", channel=Channel.sms,
                                  status=MessageStatus.queued)
    db.commit()
    assert run() == 0                       # the webhook may still be answering with TwiML
    assert run(later(minutes=2)) == 1
    assert [r.form["Body"] for r in fake.messages()] == ["réponse"]
    assert rows(db)[0].id == left.id


def test_the_sender_thread_sends_as_soon_as_it_is_woken(db, fake, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.channels import outbox
    from app.core.settings import get_settings

    monkeypatch.setenv("OUTBOX_POLL_SECONDS", "30")
    get_settings.cache_clear()
    sender = outbox.start_sender()
    try:
        time.sleep(0.2)  # the first (empty) look is done; now it sleeps up to 30 s
        queue(db, conversation(db), "Bonjour")  # the commit wakes it
        deadline = time.monotonic() + 10
        while not fake.messages() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(fake.messages()) == 1
    finally:
        sender.stop()


# --- status callbacks ------------------------------------------------------------------

@pytest.fixture
def api(fake: FakeTwilio) -> Iterator[TestClient]:
    from app.main import create_app

    with TestClient(create_app()) as client:
        yield client


@pytest.fixture
def tw() -> TwilioWebhooks:
    return TwilioWebhooks(AUTH_TOKEN, PUBLIC, ACCOUNT_SID, SMS_NUMBER, WHATSAPP_NUMBER)


STATUS = "/webhooks/twilio/status"


def test_status_callbacks_move_a_message_to_delivered(api, tw, db, fake) -> None:
    queue(db, conversation(db), "Bonjour")
    run()
    sid = rows(db)[0].external_id
    assert tw.post(api, STATUS, tw.status(sid, "sent")).status_code == 204
    assert rows(db)[0].status == MessageStatus.sent
    assert tw.post(api, STATUS, tw.status(sid, "delivered")).status_code == 204
    assert rows(db)[0].status == MessageStatus.delivered
    forged = TwilioWebhooks("wrong", PUBLIC, ACCOUNT_SID, SMS_NUMBER, WHATSAPP_NUMBER)
    assert forged.post(api, STATUS, tw.status(sid, "undelivered", "30003")).status_code == 403
    assert rows(db)[0].status == MessageStatus.delivered


def test_an_undelivered_message_is_retried_a_bounded_number_of_times(api, tw, db, fake) -> None:
    queue(db, conversation(db), "Bonjour")
    at = now()
    for attempt in range(1, 4):
        assert run(at) == 1
        [row] = rows(db)
        assert (row.status, row.attempts) == (MessageStatus.sent, attempt)
        assert tw.post(api, STATUS, tw.status(row.external_id, "undelivered", "30003")).status_code == 204
        # A repeated callback for the same send changes nothing.
        tw.post(api, STATUS, tw.status(row.external_id, "undelivered", "30003"))
        at = later(hours=attempt)
    [row] = rows(db)
    assert row.status == MessageStatus.failed
    assert "30003" in row.error and "gave up after 3 attempts" in row.error
    assert len({r.form["Body"] for r in fake.messages()}) == 1 and len(fake.messages()) == 3
    assert run(later(days=1)) == 0


def test_an_undelivered_message_to_a_landline_is_not_retried(api, tw, db, fake) -> None:
    queue(db, conversation(db), "Bonjour")
    run()
    sid = rows(db)[0].external_id
    tw.post(api, STATUS, tw.status(sid, "undelivered", "30006"))
    [row] = rows(db)
    assert row.status == MessageStatus.failed and "30006" in row.error
    assert run(later(days=1)) == 0
