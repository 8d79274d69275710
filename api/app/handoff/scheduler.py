"""Nobody is left in silence: every HANDOFF_INTERVAL_SECONDS the gateway puts back in the
queue the conversations whose counsellor signed out or went idle, tells waiting users
when a permanence ends, and raises the alert again for urgent cases still waiting."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.console.accounts import service as accounts
from app.console.accounts.models import ConsoleEvent, ConsoleSession
from app.conversations.models import Conversation, HandoffState, MessageKind
from app.core import once
from app.core.db import get_sessionmaker, utcnow
from app.core.settings import get_settings
from app.handoff import alerts
from app.handoff import service as handoff
from app.handoff.availability import availability, ended_at, opening

log = logging.getLogger("app.handoff")
EVENT_RETENTION = timedelta(days=2)


def requeue_absent(session: Session, now: datetime) -> int:
    """Taken conversations whose counsellor is signed out or idle go back to the queue."""
    settings = get_settings()
    idle = timedelta(minutes=settings.handoff_counsellor_idle_minutes)
    session.execute(delete(ConsoleSession).where(
        ConsoleSession.last_seen_at < now - timedelta(minutes=settings.console_idle_minutes)))
    count = 0
    avail = None
    for conv in session.scalars(select(Conversation).where(Conversation.handoff_state == HandoffState.taken)):
        seen = accounts.last_seen(session, conv.counsellor_id) if conv.counsellor_id else None
        if seen is None or seen < now - idle:
            key = "handoff_counsellor_left" if seen is None else "handoff_counsellor_idle"
            avail = avail or availability(session, now)
            count += handoff.requeue(session, conv, key, counsellor_id=conv.counsellor_id, now=now, avail=avail)
    return count


def permanence_ended(session: Session, now: datetime, interval: timedelta) -> int:
    """At the end of a permanence, counsellors' conversations go back to the queue and
    every waiting user is told when the next permanence opens."""
    open_now, _ = opening(session, now)
    open_before, _ = opening(session, now - interval)
    if open_now or not open_before:
        return 0
    # Every gateway process's scheduler sees this end within one interval: one tells.
    if not once.claim(f"permanence-ended:{ended_at(session, now - interval)}"):
        return 0
    count = 0
    avail = availability(session, now)
    for conv in session.scalars(select(Conversation).where(Conversation.handoff_state == HandoffState.taken)):
        if not conv.urgent:
            count += handoff.requeue(session, conv, "handoff_permanence_ended", counsellor_id=conv.counsellor_id,
                                     now=now, avail=avail)
    notice = handoff.waiting_notice(avail)
    for conv in session.scalars(select(Conversation).where(Conversation.handoff_state == HandoffState.waiting)):
        handoff.send_to_user(session, conv, notice.render(conv.language), kind=MessageKind.system)
        count += 1
    return count


def tick(session: Session, now: datetime, interval: timedelta) -> None:
    requeue_absent(session, now)
    permanence_ended(session, now, interval)
    alerts.realert_waiting(session, now)
    session.execute(delete(ConsoleEvent).where(ConsoleEvent.created_at < now - EVENT_RETENTION))


async def loop() -> None:
    interval = timedelta(seconds=get_settings().handoff_interval_seconds)
    while True:
        await asyncio.sleep(interval.total_seconds())
        try:
            await asyncio.to_thread(_run_once, interval)
        except Exception:
            log.exception("handoff scheduler tick failed")


def _run_once(interval: timedelta) -> None:
    with get_sessionmaker()() as session:
        tick(session, utcnow(), interval)
        session.commit()
