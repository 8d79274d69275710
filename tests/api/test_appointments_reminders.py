"""Reminders the day before: queued once, only for SMS/WhatsApp conversations, never
twice even with two schedulers at the same moment (SQLite and PostgreSQL)."""

# The fixtures are imported from appointments_support; pytest passes them by name.
# ruff: noqa: F811

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

import pytest
from app.appointments.models import Appointment
from app.appointments.reminders import queue_reminder, reminder_text, run_due_reminders
from app.conversations.models import Conversation, Message
from appointments_support import (
    INTERNAL,  # noqa: F401  (fixtures)
    api,
    appointments_env,
    booking,
    db,
    iso,
    local,
    make_conversation,
)
from sqlalchemy import select

TUESDAY_10 = iso(2026, 12, 15, 10)
MONDAY_1030 = local(2026, 12, 14, 10, 30)  # 23.5 hours before Tuesday 10:00


class Recorder:
    def __init__(self, delay: float = 0.0, fail: bool = False) -> None:
        self.sent: list[tuple[str, str]] = []
        self.delay, self.fail = delay, fail
        self.lock = threading.Lock()

    def __call__(self, session, conversation: Conversation, text: str) -> None:
        if self.fail:
            raise RuntimeError("channel down")
        time.sleep(self.delay)
        with self.lock:
            self.sent.append((conversation.id, text))


def run(db, now: datetime, send) -> int:
    count = run_due_reminders(db, now, send)
    db.commit()
    return count


def book(api, conv_id: str | None, start: str = TUESDAY_10, **extra) -> str:
    r = api.post("/api/appointments", json=booking(start, conversation_id=conv_id, **extra), headers=INTERNAL)
    assert r.status_code == 201, r.text
    return r.json()["reference"]


def test_reminder_is_sent_once_in_the_conversations_language(api, db) -> None:
    conv = make_conversation(db, language="fr")
    ref = book(api, conv.id)
    send = Recorder()
    assert run(db, MONDAY_1030, send) == 1
    ((conv_id, text),) = send.sent
    assert conv_id == conv.id
    assert text.startswith("Rappel") and ref in text and "permanence sociale" in text and "15 décembre" in text
    assert "10:00" in text and "Rue de la Station 28" in text
    assert run(db, MONDAY_1030 + timedelta(minutes=5), send) == 0
    assert len(send.sent) == 1
    appt = db.scalars(select(Appointment)).one()
    assert appt.reminder_claimed_at is not None and appt.reminder_sent_at is not None
    db.commit()


@pytest.mark.parametrize("lang", ["fr", "nl", "en", "es", "de", "ru", "tr", "it", "ar"])
def test_reminder_text_renders_in_every_language(lang: str) -> None:
    appt = Appointment(reference="K7P2QX", service="legal", starts_at=local(2026, 12, 18, 13, 30))
    text = reminder_text(appt, lang)
    assert "K7P2QX" in text and "13:30" in text and "{" not in text


def test_the_default_sender_queues_an_outbound_message(api, db) -> None:
    conv = make_conversation(db, channel="whatsapp")
    ref = book(api, conv.id)
    assert run(db, MONDAY_1030, queue_reminder) == 1
    msg = db.scalars(select(Message)).one()
    assert msg.conversation_id == conv.id and msg.direction == "out" and msg.status == "queued"
    assert msg.channel == "whatsapp" and ref in msg.text and msg.text.startswith("Reminder")
    db.commit()


def test_only_due_booked_phone_conversations_get_one(api, db) -> None:
    web = make_conversation(db, "web:abc", "web")
    stopped = make_conversation(db, "tel:+32470000001", "sms")
    stopped.opted_out = True
    db.commit()
    sms = make_conversation(db, "tel:+32470000002", "sms")
    book(api, web.id)                                     # web: the widget shows it, no reminder
    book(api, None, iso(2026, 12, 15, 10, 30))            # no conversation to write to
    book(api, stopped.id, iso(2026, 12, 15, 11))          # opted out (STOP)
    cancelled = book(api, sms.id, iso(2026, 12, 15, 11, 30))
    assert api.delete(f"/api/appointments/{cancelled}", headers={"X-Phone-Last4": "0002"}).status_code == 200
    book(api, sms.id, iso(2026, 12, 16, 10))              # more than 24 hours ahead
    send = Recorder()
    assert run(db, MONDAY_1030, send) == 0
    due = book(api, sms.id, iso(2026, 12, 15, 9, 30))
    assert run(db, MONDAY_1030, send) == 1 and due in send.sent[0][1]


def test_no_reminder_for_a_booking_made_inside_the_window(api, db) -> None:
    conv = make_conversation(db)
    book(api, conv.id, iso(2026, 12, 14, 11))  # booked at 9:00 for 11:00 the same day
    assert run(db, local(2026, 12, 14, 9, 30), Recorder()) == 0


def test_a_moved_appointment_gets_a_reminder_for_its_new_time(api, db) -> None:
    conv = make_conversation(db)
    ref = book(api, conv.id)
    send = Recorder()
    assert run(db, MONDAY_1030, send) == 1
    own = {"Authorization": "Bearer internal-test-token", "X-Conversation-Id": conv.id}  # the assistant, for it
    assert api.patch(f"/api/appointments/{ref}", json={"start": iso(2026, 12, 17, 10)}, headers=own).status_code == 200
    assert run(db, local(2026, 12, 16, 11), send) == 1
    assert "17" in send.sent[1][1]


def test_a_failed_send_is_not_claimed_and_is_retried(api, db) -> None:
    conv = make_conversation(db)
    book(api, conv.id)
    assert run(db, MONDAY_1030, Recorder(fail=True)) == 0
    send = Recorder()
    assert run(db, MONDAY_1030 + timedelta(minutes=1), send) == 1


def test_two_schedulers_at_once_send_each_reminder_once(api, db, appointments_env: str) -> None:
    """Two threads, each with its own session and transaction, like two gateway
    processes (on PostgreSQL the second one's UPDATE waits for the first's commit)."""
    from app.core.db import get_sessionmaker

    # Three people (a person holds at most two upcoming appointments).
    convs = [make_conversation(db, key=f"tel:+3247012345{i}") for i in range(3)]
    refs = {book(api, conv.id, iso(2026, 12, 15, h, m)) for conv, (h, m) in zip(convs, ((9, 30), (10, 0), (10, 30)))}
    send = Recorder(delay=0.05)
    barrier = threading.Barrier(2)
    counts: list[int] = []
    errors: list[BaseException] = []

    def scheduler() -> None:
        try:
            with get_sessionmaker()() as session:
                barrier.wait()
                counts.append(run(session, MONDAY_1030, send))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert sorted(counts) == [0, 3]
    texts = [text for _, text in send.sent]
    assert len(texts) == 3 and {ref for ref in refs for text in texts if ref in text} == refs
