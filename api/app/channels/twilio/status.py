"""Twilio's delivery status callbacks: an outbound message's status moves forward
(sent, delivered), and an undelivered one is tried again a bounded number of times."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from app.channels.twilio import retry
from app.conversations import repository
from app.conversations.models import Conversation, Direction, Message, MessageStatus
from app.core.settings import Settings

log = logging.getLogger("app.channels.twilio")

DELIVERED = frozenset({"delivered", "read"})
NOT_DELIVERED = frozenset({"undelivered", "failed"})
CLAIMED = "sending"  # the outbox's marker (app.channels.outbox.SENDING)


def find_message(session: Session, sid: str, message_id: int | None) -> Message | None:
    msg = repository.get_by_external_id(session, sid)
    if msg is None and message_id is not None:
        # A message sent in a webhook's TwiML: its callback URL names our row, and its
        # first callback tells us its MessageSid.
        candidate = session.get(Message, message_id)
        if candidate is not None and candidate.external_id is None:
            candidate.external_id = sid
            msg = candidate
    if msg is None or msg.direction != Direction.outbound:
        return None
    return msg


def apply_status(session: Session, *, sid: str, status: str, error_code: int | None,
                 message_id: int | None, now: datetime, settings: Settings) -> str:
    """Record one callback; returns what was done (for the log)."""
    msg = find_message(session, sid, message_id)
    if msg is None:
        return "unknown message"
    status = status.lower()
    if msg.error == CLAIMED:
        return "ignored: being sent again"
    if status in DELIVERED:
        if msg.status == MessageStatus.delivered:
            return "already delivered"
        msg.status, msg.error, msg.next_attempt_at = MessageStatus.delivered, None, None
        return "delivered"
    if status == "sent":
        return "sent"  # already recorded when Twilio accepted it
    if status in NOT_DELIVERED or status == "canceled":
        if msg.status != MessageStatus.sent:
            return f"ignored: {status} after {msg.status}"  # a late or repeated callback
        reason = f"{status} (Twilio error {error_code})" if error_code else status
        if error_code in retry.OPTED_OUT_ERRORS:
            conv = session.get(Conversation, msg.conversation_id)
            if conv is not None:
                conv.opted_out = True
        if status == "canceled" or error_code in retry.PERMANENT_ERRORS:
            retry.mark_failed(msg, reason)
            return "failed"
        return "retry" if retry.schedule_retry(msg, reason, now, settings) else "failed"
    return f"ignored: {status}"  # queued, accepted, sending...: nothing to record
