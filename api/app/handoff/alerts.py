"""Alerts for urgent cases: the console (live stream) always; the on-call person by SMS
(through the outbox) when no counsellor can answer soon: outside the permanences, or
nobody signed in. The SMS is neutral: no name, no number, no words of the user's."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.channels import outbox
from app.conversations import repository
from app.conversations.models import Channel, Conversation, HandoffState
from app.core.settings import get_settings
from app.handoff.availability import Availability
from app.handoff.service import event
from app.i18n.catalogue import render

log = logging.getLogger("app.handoff")
ON_CALL_LANGUAGE = "fr"


def _sms_on_call(session: Session, conv: Conversation, key: str) -> bool:
    number = get_settings().on_call_number.strip()
    if not number:
        return False
    staff = repository.get_or_create(session, f"tel:{number}", Channel.sms)
    staff.language = staff.language or ON_CALL_LANGUAGE
    waiting = conv.waiting_since.isoformat(timespec="minutes") if conv.waiting_since else ""
    text = render(key, staff.language, reference=conv.id[:8], since=waiting).text
    outbox.queue_message(session, staff, text, channel=Channel.sms)
    return True


def alert_urgent(session: Session, conv: Conversation, now: datetime, avail: Availability) -> bool:
    """First alert of an urgent case. True when the on-call person was texted."""
    event(session, "alert", conv, urgent=True)
    conv.last_alert_at = now
    if avail.soon:
        return False
    sent = _sms_on_call(session, conv, "on_call_alert")
    if sent:
        log.warning("conversation %s: urgent, on-call person alerted", conv.id)
    return sent


def realert_waiting(session: Session, now: datetime) -> int:
    """Urgent cases still waiting after the re-alert delay raise the alert again."""
    delay = timedelta(minutes=get_settings().urgent_realert_minutes)
    rows = session.scalars(select(Conversation).where(
        Conversation.urgent.is_(True), Conversation.handoff_state == HandoffState.waiting,
        Conversation.last_alert_at.is_not(None), Conversation.last_alert_at <= now - delay)).all()
    count = 0
    for conv in rows:
        # Claimed with one conditional UPDATE: with several gateway processes, each
        # scheduler sees the same overdue case, and only one raises the alert again.
        claimed = session.execute(
            update(Conversation).where(Conversation.id == conv.id, Conversation.urgent.is_(True),
                                       Conversation.handoff_state == HandoffState.waiting,
                                       Conversation.last_alert_at == conv.last_alert_at)
            .values(last_alert_at=now).execution_options(synchronize_session=False))
        if claimed.rowcount != 1:
            continue
        conv.last_alert_at = now
        event(session, "alert", conv, urgent=True)
        _sms_on_call(session, conv, "on_call_realert")
        count += 1
    if count:
        log.warning("%d urgent conversation(s) still waiting: alert raised again", count)
    return count
