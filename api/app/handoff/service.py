"""The handoff state machine: bot -> waiting -> taken -> closed (back to bot).

Every change is one conditional UPDATE, so two counsellors (or a counsellor and the
scheduler) can never both win: the database decides. The user is told, in their
language, whenever a person joins or leaves, and where they stand in the queue.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from app.channels import outbox
from app.console.accounts import service as accounts
from app.console.accounts.models import ConsoleEvent, Counsellor
from app.conversations import repository
from app.conversations.models import (
    Channel,
    Conversation,
    Direction,
    HandoffState,
    Message,
    MessageKind,
    MessageStatus,
)
from app.core.db import utcnow
from app.handoff.availability import Availability, availability
from app.i18n.catalogue import format_when, render

log = logging.getLogger("app.handoff")


class Reason(StrEnum):
    asked = "asked"                    # the user asked for a person
    not_understood = "not_understood"  # the assistant failed twice, the user accepted
    danger = "danger"                  # the danger screen (always urgent)
    counsellor = "counsellor"          # a counsellor took it on their own initiative


@dataclass
class Notice:
    """A text for the user: a catalogue key, and the moment it names (rendered per language)."""

    key: str
    when: datetime | None = None

    def render(self, language: str | None) -> str:
        args = {"when": format_when(language or "en", self.when)} if self.when else {}
        return render(self.key, language, **args).text


def event(session: Session, kind: str, conv: Conversation | None, *, urgent: bool = False,
          counsellor_id: int | None = None) -> None:
    session.add(ConsoleEvent(kind=kind, conversation_id=conv.id if conv else None,
                             urgent=urgent or bool(conv and conv.urgent), counsellor_id=counsellor_id))


def waiting_notice(avail: Availability, prefix: str = "handoff_waiting") -> Notice:
    """Who will answer and when: "soon" only when a permanence is open and a counsellor
    is signed in; otherwise the day and time the next permanence opens. The handoff
    texts (handoff_waiting_*) and the danger replies (danger_when_*) share the rule."""
    if avail.soon:
        return Notice(f"{prefix}_soon")
    if avail.next_opening is not None:
        return Notice(f"{prefix}_later", avail.next_opening)
    return Notice(f"{prefix}_unknown")


def send_to_user(session: Session, conv: Conversation, text: str, *, kind: MessageKind,
                 counsellor: Counsellor | None = None) -> Message:
    """Store an outbound message outside a bot turn and deliver it on the user's channel:
    SMS/WhatsApp through the outbox (WhatsApp's 24-hour rule included), the widget
    through its event stream. The caller commits."""
    channel = Channel(conv.channel)
    if channel is Channel.web:
        msg = repository.add_message(session, conv, Direction.outbound, text, channel=channel,
                                     status=MessageStatus.queued, language=conv.language)
    else:
        if conv.opted_out:
            log.info("conversation %s opted out: message kept, not sent", conv.id)
        msg = outbox.queue_message(session, conv, text)
    msg.kind = kind
    msg.counsellor_id = counsellor.id if counsellor else None
    if channel is not Channel.web:
        # Rows split for SMS carry the same author.
        session.flush()
        for row in session.scalars(select(Message).where(Message.conversation_id == conv.id,
                                                         Message.id > msg.id, Message.kind.is_(None),
                                                         Message.direction == Direction.outbound)):
            row.kind, row.counsellor_id = msg.kind, msg.counsellor_id
    return msg


def start(session: Session, conv: Conversation, reason: Reason, *, urgent: bool = False,
          category: str | None = None, now: datetime | None = None) -> bool:
    """Put the conversation in the queue (or mark it urgent where it is). True when it
    was not already waiting or taken."""
    now = now or utcnow()
    new = conv.handoff_state == HandoffState.bot
    if urgent:
        conv.urgent = True
        conv.danger_category = category or conv.danger_category
    if new:
        conv.handoff_state = HandoffState.waiting
        conv.handoff_reason = reason
        conv.waiting_since = now
        conv.counsellor_id = None
    event(session, "urgent" if urgent else ("waiting" if new else "updated"), conv, urgent=urgent)
    log.info("conversation %s: handoff %s (%s%s)", conv.id, "started" if new else "updated", reason,
             ", urgent" if urgent else "")
    return new


def take(session: Session, conversation_id: str, counsellor: Counsellor, now: datetime | None = None) -> bool:
    """Exclusive: one conditional UPDATE; of 20 counsellors taking at once, one wins."""
    now = now or utcnow()
    result = session.execute(
        update(Conversation)
        .where(Conversation.id == conversation_id, Conversation.counsellor_id.is_(None),
               Conversation.handoff_state.in_([HandoffState.waiting, HandoffState.bot]))
        .values(handoff_state=HandoffState.taken, counsellor_id=counsellor.id, taken_at=now)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return False
    conv = session.get(Conversation, conversation_id)
    session.refresh(conv)
    if conv.handoff_reason is None:
        conv.handoff_reason = Reason.counsellor
        conv.waiting_since = now
    send_to_user(session, conv, render("handoff_joined", conv.language, name=counsellor.display_name).text,
                 kind=MessageKind.system)
    accounts.audit(session, counsellor.id, "take", conv.id)
    event(session, "taken", conv, counsellor_id=counsellor.id)
    return True


def requeue(session: Session, conv: Conversation, notice_key: str, *, counsellor_id: int | None,
            now: datetime | None = None, avail: Availability | None = None) -> bool:
    """Back to the queue (the counsellor released it, signed out, went idle, or the
    permanence ended); the user is told where they stand. A caller requeueing several
    conversations passes the availability it computed once."""
    now = now or utcnow()
    conditions = [Conversation.id == conv.id, Conversation.handoff_state == HandoffState.taken]
    if counsellor_id is not None:
        conditions.append(Conversation.counsellor_id == counsellor_id)
    result = session.execute(
        update(Conversation).where(*conditions)
        .values(handoff_state=HandoffState.waiting, counsellor_id=None, taken_at=None)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return False
    session.refresh(conv)
    wait = waiting_notice(avail or availability(session, now))
    text = render(notice_key, conv.language).text + " " + wait.render(conv.language)
    send_to_user(session, conv, text, kind=MessageKind.system)
    event(session, "released", conv, counsellor_id=counsellor_id)
    return True


def close(session: Session, conv: Conversation, counsellor_id: int | None, *, notice_key: str = "handoff_closed",
          notify: bool = True, now: datetime | None = None) -> bool:
    """Back to the assistant; the user is told in their language."""
    conditions = [Conversation.id == conv.id,
                  Conversation.handoff_state.in_([HandoffState.waiting, HandoffState.taken])]
    if counsellor_id is not None:
        conditions.append(or_(Conversation.counsellor_id == counsellor_id, Conversation.counsellor_id.is_(None)))
    result = session.execute(
        update(Conversation).where(*conditions)
        .values(handoff_state=HandoffState.bot, counsellor_id=None, taken_at=None, waiting_since=None,
                urgent=False, handoff_reason=None, last_alert_at=None)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return False
    session.refresh(conv)
    if notify:
        send_to_user(session, conv, render(notice_key, conv.language).text, kind=MessageKind.system)
    event(session, "closed", conv, counsellor_id=counsellor_id)
    return True


def reply(session: Session, conv: Conversation, counsellor: Counsellor, text: str) -> Message:
    """A counsellor's message, marked as a person's: the widget shows the name; on
    SMS/WhatsApp a short prefix with the counsellor's first name."""
    body = text
    if Channel(conv.channel) is not Channel.web:
        body = render("counsellor_prefix", conv.language, name=counsellor.display_name).text + text
    msg = send_to_user(session, conv, body, kind=MessageKind.counsellor, counsellor=counsellor)
    accounts.audit(session, counsellor.id, "reply", conv.id)
    event(session, "replied", conv, counsellor_id=counsellor.id)
    return msg


def media_json(items: list[dict[str, str]]) -> str:
    return json.dumps(items, ensure_ascii=False)
