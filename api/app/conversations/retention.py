"""Retention limit: messages older than RETENTION_DAYS are erased, and so are
conversations left empty by that (a returning user simply starts afresh). With Rasa's
trackers in PostgreSQL (production), the trackers of conversations idle for that long are
deleted from Rasa's events table too (app.conversations.rasa_store.purge_idle): they hold
the same texts and the number typed while booking."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from app.conversations import rasa_store
from app.conversations.models import Conversation, Message
from app.core import periodic
from app.core.db import get_sessionmaker, utcnow
from app.core.settings import get_settings

log = logging.getLogger("app.retention")


def purge(session: Session, now: datetime, days: int) -> tuple[int, int]:
    cutoff = now - timedelta(days=days)
    messages = session.execute(delete(Message).where(Message.created_at < cutoff)).rowcount or 0
    empty = select(Conversation.id).where(
        Conversation.created_at < cutoff, ~exists().where(Message.conversation_id == Conversation.id))
    conversations = session.execute(delete(Conversation).where(Conversation.id.in_(empty))).rowcount or 0
    return messages, conversations


def run_once() -> None:
    now, days = utcnow(), get_settings().retention_days
    session = get_sessionmaker()()
    try:
        m, c = purge(session, now, days)
        session.commit()
        if m or c:
            log.info("retention: erased %d messages and %d conversations", m, c)
    finally:
        session.close()
    # Rasa's event timestamps are Unix times.
    rows = rasa_store.purge_idle((now - timedelta(days=days)).timestamp())
    if rows:
        log.info("retention: erased %d rows of idle conversations in Rasa's tracker database", rows)


async def loop(interval_seconds: float = 3600.0) -> None:
    await periodic.every(interval_seconds, run_once, log, "retention purge")
