"""Outbound messages sent later through Twilio: counsellors' replies, reminders, the
assistant's late answers, retries.

``queue_message`` stores the message (status ``queued``); the sender (a background
thread started by the app when SCHEDULER_ENABLED) sends what is due, one message at a
time per conversation and in order, and records the outcome on the row:

- ``sent`` then ``delivered`` (from Twilio's status callbacks),
- ``queued`` again with ``next_attempt_at`` after a 429, a network failure before the
  request went out, or an undelivered message (exponential backoff, bounded attempts),
- ``failed`` with ``error`` when it cannot go, or ``error = 'ambiguous'`` when Twilio
  may have sent it (a 5xx, a connection lost mid-request): never re-sent blindly.

Rows are claimed with one conditional UPDATE (``error = 'sending'`` plus a lease in
``next_attempt_at``), so two senders, in two processes, never send the same row. A
row still claimed after its lease means a sender died mid-send: ambiguous.

Which rows are the outbox's: queued outbound rows of phone conversations ("tel:...")
with ``next_attempt_at`` set. The assistant's immediate answers (stored queued by
``handle_incoming`` with no ``next_attempt_at``) belong to the Twilio webhook that
returns them as TwiML, or hands them over here when the answer is late; one left
behind longer than ``ORPHAN_GRACE`` (a crash in between) is picked up too. Web
conversations ("web:...") are delivered by the widget, never here.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

import httpx
from sqlalchemy import ColumnElement, and_, event, exists, or_, select, update
from sqlalchemy.orm import Session, aliased

from app.channels.twilio import delivery, rest, retry
from app.channels.twilio.segments import split_chars, split_sms
from app.conversations import repository
from app.conversations.models import (
    Channel,
    Conversation,
    Direction,
    Message,
    MessageStatus,
)
from app.core.db import get_sessionmaker, utcnow
from app.core.settings import Settings, get_settings

log = logging.getLogger("app.channels.outbox")

SENDING = "sending"                   # Message.error while a sender holds the row
LEASE = timedelta(minutes=2)          # longer than one HTTP request to Twilio can last
ORPHAN_GRACE = timedelta(minutes=1)   # the webhook needs milliseconds to hand its answer over
BATCH = 50
# Twilio's limit for a WhatsApp body.
WHATSAPP_MAX_CHARS = 1600

_wake = threading.Event()


def wake() -> None:
    """Ask the sender to look for due messages now rather than at its next poll."""
    _wake.set()


def _wake_after_commit(session: Session) -> None:
    # Woken before the commit, the sender would look and find nothing yet.
    event.listen(session, "after_commit", lambda _s: wake(), once=True)


def parts_for(channel: Channel, text: str, settings: Settings) -> list[str]:
    """The messages a text is sent as on a channel (never cut inside a word)."""
    if channel is Channel.sms:
        return split_sms(text, settings.sms_max_segments) or [text]
    if channel is Channel.whatsapp:
        return split_chars(text, WHATSAPP_MAX_CHARS) or [text]
    return [text]


def split_row(session: Session, msg: Message, settings: Settings | None = None) -> list[Message]:
    """Split a stored outbound message too long for its channel into several rows (one
    per message the user receives, each with its own MessageSid and status)."""
    settings = settings or get_settings()
    parts = parts_for(Channel(msg.channel), msg.text, settings)
    if len(parts) <= 1:
        return [msg]
    msg.text = parts[0]
    rows = [msg]
    for part in parts[1:]:
        row = Message(conversation_id=msg.conversation_id, direction=Direction.outbound,
                      channel=msg.channel, text=part, language=msg.language, status=msg.status,
                      next_attempt_at=msg.next_attempt_at)
        session.add(row)
        rows.append(row)
    session.flush()
    return rows


def queue_message(session: Session, conversation: Conversation, text: str, *,
                  language: str | None = None, channel: Channel | None = None) -> Message:
    """Store an outbound message for the sender to deliver on the conversation's latest
    channel. A text too long for one SMS/WhatsApp message is stored as several rows;
    the first is returned. The caller commits (the sender is woken then)."""
    channel = Channel(channel or conversation.channel)
    first = repository.add_message(session, conversation, Direction.outbound, text, channel=channel,
                                   status=MessageStatus.queued, language=language or conversation.language)
    if channel is not Channel.web:
        first.next_attempt_at = utcnow()
        split_row(session, first)
        _wake_after_commit(session)
    return first


def hand_over(session: Session, msg: Message) -> list[Message]:
    """Give one of the assistant's stored answers to the outbox (it came too late for
    the webhook's TwiML)."""
    msg.next_attempt_at = utcnow()
    rows = split_row(session, msg)
    _wake_after_commit(session)
    return rows


# --- the sender's queries -----------------------------------------------------------

def _due(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(Message.next_attempt_at.is_not(None), Message.next_attempt_at <= now),
        and_(Message.next_attempt_at.is_(None), Message.created_at <= now - ORPHAN_GRACE),
    )


def _not_claimed() -> ColumnElement[bool]:
    return or_(Message.error.is_(None), Message.error != SENDING)


def due_ids(session: Session, now: datetime, limit: int = BATCH) -> list[int]:
    """Due rows, each the oldest queued row of its conversation (order is kept: a
    later message waits while an earlier one is being retried)."""
    earlier = aliased(Message)
    waits_behind = exists().where(earlier.conversation_id == Message.conversation_id,
                                  earlier.direction == Direction.outbound,
                                  earlier.status == MessageStatus.queued, earlier.id < Message.id)
    stmt = (select(Message.id).join(Conversation, Conversation.id == Message.conversation_id)
            .where(Message.direction == Direction.outbound, Message.status == MessageStatus.queued,
                   Conversation.key.startswith(delivery.TEL_PREFIX), _due(now), _not_claimed(),
                   ~waits_behind)
            .order_by(Message.id).limit(limit))
    return list(session.scalars(stmt))


def claim(session: Session, msg_id: int, now: datetime) -> bool:
    """Take the row for this sender, atomically; False if another sender was first."""
    result = session.execute(
        update(Message)
        .where(Message.id == msg_id, Message.status == MessageStatus.queued, _due(now), _not_claimed())
        .values(error=SENDING, attempts=Message.attempts + 1, next_attempt_at=now + LEASE)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1


def recover_abandoned(session: Session, now: datetime) -> int:
    """Rows whose sender died mid-send: they may have gone out, so they are ambiguous."""
    result = session.execute(
        update(Message)
        .where(Message.status == MessageStatus.queued, Message.error == SENDING,
               Message.next_attempt_at < now)
        .values(status=MessageStatus.failed, error="ambiguous", next_attempt_at=None)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    if result.rowcount:
        log.error("%s message(s) abandoned while sending: marked ambiguous", result.rowcount)
    return result.rowcount or 0


def run_once(now: datetime | None = None, *, client: httpx.Client | None = None,
             limit: int = BATCH) -> int:
    """Send what is due. Returns how many rows this call claimed."""
    settings = get_settings()
    now = now or utcnow()
    make_session = get_sessionmaker()
    with make_session() as session:
        recover_abandoned(session, now)
        ids = due_ids(session, now, limit)
    if not ids:
        return 0
    own_client = client is None
    client = client or rest.make_client(settings)
    claimed = 0
    try:
        for msg_id in ids:
            with make_session() as session:
                if not claim(session, msg_id, now):
                    continue
                claimed += 1
                msg = session.get(Message, msg_id)
                conv = session.get(Conversation, msg.conversation_id)
                # No transaction (on SQLite: no write lock) is held during the HTTP call.
                session.commit()
                try:
                    delivery.deliver(msg, conv, settings, client, now)
                except Exception:  # a bug here must not stop the sender, nor send twice
                    log.exception("message %s: unexpected error while sending", msg_id)
                    retry.mark_failed(msg, "ambiguous")
                session.commit()
    finally:
        if own_client:
            client.close()
    return claimed


class Sender:
    """The background thread that sends due messages until stopped."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="twilio-outbox", daemon=True)

    def start(self) -> Sender:
        self._thread.start()
        return self

    def stop(self, timeout: float = 20.0) -> None:
        self._stop.set()
        wake()
        self._thread.join(timeout)

    def _run(self) -> None:
        log.info("outbox sender started")
        with rest.make_client(self._settings) as client:
            while not self._stop.is_set():
                # Cleared before looking, so a wake-up during the run is not lost.
                _wake.clear()
                try:
                    busy = run_once(client=client) > 0
                except Exception:  # the database may be briefly unavailable: try again later
                    log.exception("outbox sender: run failed")
                    busy = False
                if not busy:
                    _wake.wait(self._settings.outbox_poll_seconds)
        log.info("outbox sender stopped")


def start_sender(settings: Settings | None = None) -> Sender:
    return Sender(settings or get_settings()).start()
