"""Messages left unanswered while Rasa was down are answered once it is back, up to a
maximum age (UNANSWERED_MAX_AGE_MINUTES): a person who wrote during an outage gets an
answer without writing again. Phone conversations get it through the outbox; the widget
through its event stream; API clients find it in the conversation's history.

Each message is claimed with one conditional UPDATE (unanswered -> received), so two
gateway processes never answer the same message, and answered in its conversation's
line (conversations.queue), oldest first. A run stops at the first message Rasa still
cannot answer: it is still down.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update

from app.conversations import queue
from app.conversations.models import Conversation, Direction, HandoffState, Message, MessageStatus
from app.core import periodic
from app.core.db import get_sessionmaker, utcnow
from app.core.settings import get_settings

log = logging.getLogger(__name__)
BATCH = 50


def run_once(now: datetime | None = None) -> int:
    """Answer what can be answered now; returns how many messages were answered."""
    from app.channels import outbox
    from app.conversations.service import answer

    now = now or utcnow()
    oldest = now - timedelta(minutes=get_settings().unanswered_max_age_minutes)
    lines = queue.get_queue()
    answered = 0
    session = get_sessionmaker()()
    try:
        _requeue_stale(session, now, lines)
        rows = session.execute(
            select(Message.id, Message.conversation_id)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(Message.direction == Direction.inbound, Message.status == MessageStatus.unanswered,
                   Message.created_at >= oldest, Conversation.handoff_state == HandoffState.bot)
            .order_by(Message.id).limit(BATCH)).all()
        session.commit()
        for message_id, conversation_id in rows:
            claimed = session.execute(update(Message).where(
                Message.id == message_id, Message.status == MessageStatus.unanswered)
                .values(status=MessageStatus.received))
            session.commit()
            if claimed.rowcount != 1:
                continue  # another process took it
            conv = session.get(Conversation, conversation_id)
            inbound = session.get(Message, message_id)
            if conv is None or inbound is None:
                continue
            key = conv.key
            lines.register(key, message_id)
            with lines.turn(key, message_id) as ready:
                session.refresh(conv)
                session.commit()
                if not ready:
                    inbound.status = MessageStatus.unanswered
                    session.commit()
                    break
                reply = answer(session, conv, inbound)
            if reply.unavailable:
                break  # Rasa is still down: the message is unanswered again, tried next run
            answered += 1
            if key.startswith("tel:"):
                # The webhook that would have returned it is long gone: the outbox sends it now.
                session.execute(update(Message).where(
                    Message.conversation_id == conv.id, Message.direction == Direction.outbound,
                    Message.id > message_id, Message.status == MessageStatus.queued,
                    Message.next_attempt_at.is_(None)).values(next_attempt_at=now))
                session.commit()
                outbox.wake()
        if answered:
            log.info("answered %d message(s) left unanswered during an outage", answered)
        return answered
    finally:
        session.close()


def _requeue_stale(session, now: datetime, lines: queue.MemoryQueue) -> None:  # noqa: ANN001
    """A message stored, then left 'received' (the database or the process failed while it
    was being answered) and in no line: it is unanswered."""
    cutoff = now - timedelta(seconds=get_settings().stale_received_seconds)
    rows = session.execute(
        select(Message.id, Conversation.key).join(Conversation, Conversation.id == Message.conversation_id)
        .where(Message.direction == Direction.inbound, Message.status == MessageStatus.received,
               Message.created_at < cutoff, Message.created_at >= now - timedelta(
                   minutes=get_settings().unanswered_max_age_minutes))
        .limit(BATCH)).all()
    for message_id, key in rows:
        if not lines.is_pending(key, message_id):
            session.execute(update(Message).where(Message.id == message_id,
                                                  Message.status == MessageStatus.received)
                            .values(status=MessageStatus.unanswered))
    session.commit()


async def loop(interval_seconds: float = 15.0) -> None:
    await periodic.every(interval_seconds, run_once, log, "answering messages left unanswered")
