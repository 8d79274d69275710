"""Reminders the day before, to people who booked from SMS or WhatsApp.

Each appointment's reminder is claimed with one conditional UPDATE (``SET
reminder_claimed_at ... WHERE reminder_claimed_at IS NULL``) and the row count says
whether this run won it. The claim, the queued message and ``reminder_sent_at`` are
written in the caller's transaction: they are committed together or not at all, so
a reminder is queued exactly once, whatever restarts or concurrent schedulers do
(on PostgreSQL the second UPDATE waits for the first to commit, then matches no row;
SQLite runs writers one at a time). Sending the queued message through Twilio is the
outbox's job (app.channels.outbox), with its own exactly-once claim.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.appointments.models import Appointment, AppointmentStatus
from app.conversations import repository as conversations
from app.conversations.models import Channel, Conversation, Direction, MessageStatus
from app.core.facts import get_facts
from app.i18n.catalogue import FALLBACK, LANGUAGES, format_when, render

log = logging.getLogger("app.appointments.reminders")

Send = Callable[[Session, Conversation, str], None]
PHONE_CHANNELS = (Channel.sms, Channel.whatsapp)


def reminder_text(appt: Appointment, language: str | None, *, discreet: bool = False) -> str:
    lang = language if language in LANGUAGES else FALLBACK
    if discreet:
        # Violence or trafficking was disclosed: someone else may read the phone.
        return render("reminder_neutral", lang, when=format_when(lang, appt.starts_at),
                      reference=appt.reference).text
    return render("reminder", lang, when=format_when(lang, appt.starts_at),
                  service=render(f"service_{appt.service}", lang).text, reference=appt.reference).text


def due(session: Session, now: datetime, hours_before: int) -> list[int]:
    """Booked appointments starting within the window, not yet claimed, whose
    conversation is on a phone channel and has not opted out."""
    return list(session.scalars(
        select(Appointment.id).join(Conversation, Conversation.id == Appointment.conversation_id)
        .where(Appointment.status == AppointmentStatus.booked, Appointment.reminder_claimed_at.is_(None),
               Appointment.starts_at > now, Appointment.starts_at <= now + timedelta(hours=hours_before),
               Conversation.channel.in_([str(c) for c in PHONE_CHANNELS]), Conversation.opted_out.is_(False))
        .order_by(Appointment.starts_at)))


def claim(session: Session, appointment_id: int, now: datetime) -> bool:
    result = session.execute(
        update(Appointment)
        .where(Appointment.id == appointment_id, Appointment.reminder_claimed_at.is_(None),
               Appointment.status == AppointmentStatus.booked)
        .values(reminder_claimed_at=now)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def run_due_reminders(session: Session, now: datetime, send: Send) -> int:
    """Queue every due reminder once; returns how many. The caller commits."""
    sent = 0
    for appointment_id in due(session, now, get_facts().reminder_hours_before):
        try:
            # One savepoint per reminder: a failure leaves this one unclaimed (the next
            # run tries again) and does not undo the others.
            with session.begin_nested():
                if not claim(session, appointment_id, now):
                    continue  # another scheduler has it
                appt = session.get(Appointment, appointment_id, populate_existing=True)
                conv = session.get(Conversation, appt.conversation_id)
                send(session, conv, reminder_text(appt, appt.language or conv.language, discreet=conv.discreet))
                appt.reminder_sent_at = now
        except Exception:
            log.exception("reminder for appointment %s failed; will retry", appointment_id)
            continue
        sent += 1
    return sent


def queue_reminder(session: Session, conversation: Conversation, text: str) -> None:
    """The scheduler's ``send``: hand the text to the Twilio outbox."""
    try:
        from app.channels.outbox import queue_message
    except ImportError:  # a gateway without the Twilio channel: leave it queued for a sender
        conversations.add_message(session, conversation, Direction.outbound, text,
                                  channel=Channel(conversation.channel), status=MessageStatus.queued,
                                  language=conversation.language)
        return
    queue_message(session, conversation, text)
