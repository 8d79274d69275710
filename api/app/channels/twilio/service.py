"""One inbound SMS or WhatsApp message, processed in a worker thread: stored once
(MessageSid is unique), then answered by the assistant, by the gateway itself (media,
location, empty), or not at all (STOP, START, an opted-out number).

The answer goes back as TwiML if the webhook is still waiting for it; otherwise the
worker hands it to the outbox. ``Handoff`` makes that choice exactly once, so an
answer is never sent both ways nor lost between them.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.channels import outbox
from app.channels.twilio.inbound import Inbound, Kind, OptChange, opt_change
from app.conversations import repository
from app.conversations.models import Conversation, Direction, HandoffState, Message, MessageStatus
from app.handoff import service as handoffs
from app.conversations.service import handle_incoming
from app.core.db import get_sessionmaker, utcnow
from app.i18n.catalogue import render

log = logging.getLogger("app.channels.twilio")


class Handoff:
    """Who sends the answer: the waiting webhook (TwiML) or the outbox (too late)."""

    WAITING, TWIML, OUTBOX = "waiting", "twiml", "outbox"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = self.WAITING
        # Set at the worker's first commit: the inbound message is stored.
        self.stored = threading.Event()

    def _take(self, state: str) -> bool:
        with self._lock:
            if self._state == self.WAITING:
                self._state = state
            return self._state == state

    def take_for_twiml(self) -> bool:
        """The worker has the answer: True if the webhook still waits for it."""
        return self._take(self.TWIML)

    def give_to_outbox(self) -> bool:
        """The webhook stops waiting: True if the answer will go through the outbox."""
        return self._take(self.OUTBOX)


@dataclass
class Outgoing:
    """One <Message> of the TwiML answer."""

    text: str
    message_id: int | None = None  # the stored row, for its delivery status callbacks


@dataclass
class Result:
    messages: list[Outgoing] = field(default_factory=list)
    duplicate: bool = False


def process(inbound: Inbound, handoff: Handoff) -> Result:
    session = get_sessionmaker()()
    event.listen(session, "after_commit", lambda _s: handoff.stored.set())
    try:
        return _process(session, inbound, handoff)
    finally:
        session.close()


def _process(session: Session, inbound: Inbound, handoff: Handoff) -> Result:
    if repository.get_by_external_id(session, inbound.sid) is not None:
        log.info("message %s already received: acknowledged, not answered again", inbound.sid)
        return Result(duplicate=True)
    conv = repository.get_by_key(session, inbound.key)
    change = (opt_change(inbound.text, inbound.channel, bool(conv and conv.opted_out))
              if inbound.kind is Kind.text else None)
    if change is not None or inbound.kind is not Kind.text or (conv is not None and conv.opted_out):
        return _without_assistant(session, inbound, conv, change, handoff)

    if conv is not None:
        conv.channel = inbound.channel  # the reply goes out on the channel last used
    created: list[Message] = []

    def collect(_s: Session, obj: object) -> None:
        if isinstance(obj, Message) and obj.direction == Direction.outbound:
            created.append(obj)

    event.listen(session, "pending_to_persistent", collect)
    try:
        # Twilio never gets a 429: beyond the conversation's backlog the message is stored
        # and answered later (conversations.catch_up, through the outbox).
        reply = handle_incoming(session, inbound.key, inbound.channel, inbound.text, external_id=inbound.sid,
                                defer_when_full=True)
    except Exception as exc:
        if not handoff.stored.is_set():
            if isinstance(exc, IntegrityError):
                # The same MessageSid, stored by a concurrent delivery of this webhook.
                session.rollback()
                log.info("message %s already received (concurrently): not answered again", inbound.sid)
                return Result(duplicate=True)
            raise
        # Stored, then something broke: apologise rather than leave the user waiting.
        log.exception("message %s: answering failed", inbound.sid)
        session.rollback()
        conv = repository.get_by_key(session, inbound.key)
        assert conv is not None
        return _send(session, conv, [], render("service_unavailable", conv.language).text, handoff)
    finally:
        event.remove(session, "pending_to_persistent", collect)

    # The turn's own answers only: messages queued for the outbox during the turn (an
    # alert to the person on call, a notice) are the outbox's to send.
    rows = [m for m in created if m.status == MessageStatus.queued and m.next_attempt_at is None
            and m.conversation_id == reply.conversation.id]
    # The assistant was down: its apology is not stored (as on the web) unless it has
    # to be sent later through the outbox.
    apology = reply.messages[0]["text"] if (reply.unavailable or reply.erased) and reply.messages else None
    if reply.erased:
        # Erased on request: the confirmation can only go in the webhook's answer (the
        # outbox would store it in the conversation that no longer exists).
        if handoff.take_for_twiml():
            return Result([Outgoing(apology)] if apology else [])
        log.info("conversation erased: the confirmation came too late for the webhook's answer")
        return Result()
    return _send(session, reply.conversation, rows, apology, handoff)


def _without_assistant(session: Session, inbound: Inbound, conv: Conversation | None,
                       change: OptChange | None, handoff: Handoff) -> Result:
    conv = conv or repository.get_or_create(session, inbound.key, inbound.channel)
    conv.channel = inbound.channel
    conv.last_user_message_at = utcnow()
    if change is OptChange.opt_out:
        conv.opted_out = True  # Twilio confirms it to the user on SMS
        status = MessageStatus.answered
    elif change is OptChange.opt_in:
        conv.opted_out = False
        status = MessageStatus.answered
    elif conv.opted_out:
        # Kept for counsellors; nothing is sent until the number sends START.
        status = MessageStatus.received
    else:
        status = MessageStatus.answered  # media, location or empty: answered below
    try:
        repository.add_message(session, conv, Direction.inbound, inbound.text, channel=inbound.channel,
                               status=status, language=conv.language, external_id=inbound.sid)
        session.commit()
    except IntegrityError:
        session.rollback()
        log.info("message %s already received (concurrently): not answered again", inbound.sid)
        return Result(duplicate=True)
    log.info("message %s stored (%s, %s%s)", inbound.sid, inbound.channel, inbound.kind,
             f", {change}" if change else "")
    if change is not None or conv.opted_out:
        return Result()
    if (inbound.kind in (Kind.media, Kind.too_long)
            and conv.handoff_state in (HandoffState.waiting, HandoffState.taken)):
        # During a handoff a photo, a voice note or a long text (cut to the limit) goes
        # to the counsellor, not to a "text only" or "write shorter" reply.
        stored = repository.get_by_external_id(session, inbound.sid)
        assert stored is not None
        if inbound.kind is Kind.media:
            stored.media = handoffs.media_json([{"url": u, "content_type": t} for u, t in inbound.media])
        stored.status = MessageStatus.for_counsellor
        handoffs.event(session, "message", conv, counsellor_id=conv.counsellor_id)
        session.commit()
        return Result()
    key = "message_too_long" if inbound.kind is Kind.too_long else "only_text"
    notice = repository.add_message(session, conv, Direction.outbound, render(key, conv.language).text,
                                    channel=inbound.channel, status=MessageStatus.queued,
                                    language=conv.language)
    return _send(session, conv, [notice], None, handoff)


def _send(session: Session, conv: Conversation, rows: list[Message], apology: str | None,
          handoff: Handoff) -> Result:
    if handoff.take_for_twiml():
        out: list[Outgoing] = []
        for row in rows:
            for part in outbox.split_row(session, row):
                # Handed to Twilio in the webhook's answer: one attempt, and its
                # status callbacks (with the row's id) say the rest.
                part.status, part.attempts, part.next_attempt_at = MessageStatus.sent, 1, None
                out.append(Outgoing(part.text, part.id))
        if apology:
            out.append(Outgoing(apology))
        session.commit()
        return Result(out)
    for row in rows:
        outbox.hand_over(session, row)
    if apology:
        outbox.queue_message(session, conv, apology)
    session.commit()
    log.info("conversation %s: late answer queued in the outbox", conv.id)
    return Result()
