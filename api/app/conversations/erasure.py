"""Deletion on request, one service for every door: "delete my data" in conversation
(web, widget, SMS, WhatsApp, nine languages, confirmed by a yes), DELETE
/api/chat/{sender}, the widget's DELETE /api/widget/conversation and an admin in the
console.

What one erasure reaches (the README's "Erasure" section says what it does not):

- the person's conversations: the one erased and, when it is a phone conversation
  ("tel:h:<hash>"), the web and API conversations that booked an appointment or asked
  for a home visit with that phone number (the person gave their number there); a
  web conversation never reaches a phone conversation (typing a number proves nothing);
- in each: every message (the outbox's queued rows are messages too), the counsellors'
  internal notes, the danger screen's flags, the console's live events; the handoff
  state lives on the conversation row and goes with it;
- appointments booked in those conversations or with that phone number: upcoming ones
  cancelled, all anonymised (first name, phone, idempotency key and request hash);
- home-visit requests, the same way: pending ones deleted, decided ones anonymised
  (first name, phone, note);
- Rasa's tracker of each conversation, emptied through Rasa's HTTP API after the
  commit, and with Rasa on PostgreSQL its rows deleted from Rasa's events table and its
  Redis lock key deleted (rasa_store.py: Rasa's SQL store itself never deletes); on
  SQLite the write-ahead log is then checkpointed and truncated, and the connections
  delete with PRAGMA secure_delete, so the erased bytes leave the files.

It writes one ErasureRecord: the door, the admin (console), when, a keyed hash of the
conversation's id and the counts; never a phone, a name or a text.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, delete, event, func, or_, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, SessionTransaction

from app.appointments.models import Appointment, AppointmentStatus, HomeVisitRequest, HomeVisitStatus
from app.appointments.parse import fold
from app.console.accounts.models import ConsoleEvent, ConversationNote
from app.conversations import rasa, rasa_store, repository
from app.conversations.models import Channel, Conversation, ErasureRecord, Message
from app.core.crypto import phone_hash
from app.core.db import checkpoint_wal
from app.core.settings import get_settings
from app.safety.models import SafetyFlag

log = logging.getLogger("app.conversations.erasure")

ERASED_NAME = "(erased)"
# A request is a verb of deleting and an object that is the person's data, in a short
# message: "effacez mes données", "delete my data", "verwijder mijn gegevens",
# "borrar mis datos", "lösche meine Daten", "удалите мои данные", "verilerimi silin",
# "cancellate i miei dati", "احذفوا بياناتي". Folded: lower case, no accents.
_VERBS = ("effac", "supprim", "delete", "erase", "remove", "wipe", "verwijder", "wis", "borr",
          "elimin", "losch", "entfern", "удал", "стер", "стир", "sil", "cancell", "احذف", "امسح", "حذف", "مسح",
          "تحذف", "تمسح", "يحذف", "يمسح", "شيل")
_OBJECTS = ("donnee", "mes info", "mes messages", "ma conversation", "historique", "my data", "my info",
            "my messages", "my conversation", "my history", "my details", "personal data", "gegevens",
            "mijn berichten", "mijn gesprek", "mis datos", "mis mensajes", "mi conversacion", "daten",
            "meine nachrichten", "unterhaltung", "данн", "переписк", "мои сообщения", "veri", "bilgilerim",
            "mesajlarim", "konusma", "miei dati", "i dati", "messaggi", "conversazione", "بيانات",
            "معلومات", "رسائل", "المحادثه", "محادثه")
MAX_WORDS = 14


def is_request(text: str) -> bool:
    folded = " ".join(fold(text).split())  # the booking parser's folding: case, accents, ة/ه
    if not folded or len(folded.split()) > MAX_WORDS:
        return False
    words = re.findall(r"[^\W_]+", folded)
    verb = any(word.startswith(stem) for word in words for stem in _VERBS)
    return verb and any(obj in folded for obj in _OBJECTS)


def _phone(conv: Conversation) -> str | None:
    """The number a phone conversation writes from: the one link to the person's other
    conversations that proves something (Twilio says who wrote)."""
    from app.appointments.service import phone_from_conversation

    return phone_from_conversation(conv)


def _theirs(session: Session, conv: Conversation):  # noqa: ANN202
    """The person's appointments: booked in this conversation, or with its phone number."""
    phone = _phone(conv)
    where = Appointment.conversation_id == conv.id
    if phone:
        where = or_(where, Appointment.contact_phone_hash == phone_hash(phone))
    return select(Appointment).where(where)


def upcoming_appointments(session: Session, conv: Conversation, now: datetime) -> list[Appointment]:
    """The person's booked appointments still to come, soonest first: what erasing cancels."""
    return list(session.scalars(_theirs(session, conv).where(
        Appointment.status == AppointmentStatus.booked, Appointment.starts_at > now)
        .order_by(Appointment.starts_at)).all())


def upcoming(session: Session, conv: Conversation, now: datetime) -> int:
    return len(upcoming_appointments(session, conv, now))


@dataclass
class Erasure:
    """What one erasure reached (the ErasureRecord's counts) and the conversations whose
    Rasa trackers are emptied after the commit."""

    id: str
    door: str
    conversation_ids: list[str] = field(default_factory=list)
    messages: int = 0
    notes: int = 0
    safety_flags: int = 0
    appointments_cancelled: int = 0
    appointments_anonymised: int = 0
    home_visits: int = 0
    trackers_reset: int | None = None


def subject_hash(conversation_id: str) -> str:
    """A keyed hash of the conversation's id: the erasure record never names it."""
    key = get_settings().secret_key.get_secret_value().encode()
    return hmac.new(key, conversation_id.encode(), hashlib.sha256).hexdigest()


def default_door(conv: Conversation) -> str:
    if conv.key.startswith("api:"):
        return "api"
    if conv.key.startswith("web:"):
        return "widget"
    return str(conv.channel)


def reached_conversations(session: Session, conv: Conversation) -> list[Conversation]:
    """The conversation and, for a phone conversation, the web and API conversations
    that booked or asked for a home visit with its number. Never another phone
    conversation: a number belongs to its own phone conversation."""
    found = [conv]
    phone = _phone(conv)
    if not phone:
        return found
    ids: set[str] = set()
    for model in (Appointment, HomeVisitRequest):
        ids.update(session.scalars(select(model.conversation_id).where(
            model.contact_phone_hash == phone_hash(phone), model.conversation_id.is_not(None))))
    ids.discard(conv.id)
    for other_id in sorted(ids):
        other = session.get(Conversation, other_id)
        if other is not None and not other.key.startswith("tel:") and other.channel == Channel.web:
            found.append(other)
    return found


def _count(session: Session, model: type, where: ColumnElement[bool]) -> int:
    return session.scalar(select(func.count()).select_from(model).where(where)) or 0


def erase_person(session: Session, conv: Conversation, now: datetime, *, door: str | None = None,
                 counsellor_id: int | None = None) -> Erasure:
    """Erase everything the gateway holds about the person behind `conv` (see the
    module's docstring). The caller commits; after the commit, Rasa's trackers are
    emptied and SQLite's write-ahead log is truncated (a session hook: every door gets
    it, whichever commits)."""
    phone = _phone(conv)
    convs = reached_conversations(session, conv)
    ids = [c.id for c in convs]
    result = Erasure(id="", door=door or default_door(conv), conversation_ids=ids)

    # Appointments: booked in those conversations or with that number.
    appt_where = Appointment.conversation_id.in_(ids)
    if phone:
        appt_where = or_(appt_where, Appointment.contact_phone_hash == phone_hash(phone))
    for appt in session.scalars(select(Appointment).where(appt_where)).all():
        if appt.status == AppointmentStatus.booked and appt.starts_at > now:
            appt.status, appt.cancelled_at = AppointmentStatus.cancelled, now
            result.appointments_cancelled += 1
        appt.first_name, appt.contact_phone = ERASED_NAME, None
        # The key is the client's; the hash is of a request holding the name and phone.
        appt.idempotency_key = appt.idempotency_hash = None
        appt.conversation_id = None
        result.appointments_anonymised += 1

    # Home-visit requests: a pending one can no longer be arranged (nobody to call back):
    # deleted; a decided one stays in the team's history, anonymised.
    visit_where = HomeVisitRequest.conversation_id.in_(ids)
    if phone:
        visit_where = or_(visit_where, HomeVisitRequest.contact_phone_hash == phone_hash(phone))
    for visit in session.scalars(select(HomeVisitRequest).where(visit_where)).all():
        if visit.status == HomeVisitStatus.requested:
            session.delete(visit)
        else:
            visit.first_name, visit.contact_phone, visit.note = ERASED_NAME, None, None
            visit.conversation_id = None
        result.home_visits += 1

    # The conversations: flags (they point at messages), notes, live events, messages.
    in_ids = SafetyFlag.conversation_id.in_(ids)
    result.safety_flags = _count(session, SafetyFlag, in_ids)
    session.execute(delete(SafetyFlag).where(in_ids))
    result.notes = _count(session, ConversationNote, ConversationNote.conversation_id.in_(ids))
    session.execute(delete(ConversationNote).where(ConversationNote.conversation_id.in_(ids)))
    result.messages = _count(session, Message, Message.conversation_id.in_(ids))
    session.flush()
    for c in convs:
        repository.delete_conversation(session, c)
    session.flush()
    # An open console page of one of them leaves it (the event carries no content). Added
    # before the older events go: on SQLite a deleted highest id is reused, and an event
    # with an id the live streams have passed would never reach them.
    for conversation_id in ids:
        session.add(ConsoleEvent(kind="erased", conversation_id=conversation_id, urgent=False,
                                 counsellor_id=counsellor_id, created_at=now))
    session.flush()
    session.execute(delete(ConsoleEvent).where(ConsoleEvent.conversation_id.in_(ids), ConsoleEvent.kind != "erased"))

    record = ErasureRecord(at=now, door=result.door, counsellor_id=counsellor_id,
                           subject_hash=subject_hash(conv.id), conversations=len(ids),
                           messages=result.messages, notes=result.notes, safety_flags=result.safety_flags,
                           appointments_cancelled=result.appointments_cancelled,
                           appointments_anonymised=result.appointments_anonymised,
                           home_visits=result.home_visits)
    session.add(record)
    session.flush()
    result.id = record.id
    _after_commit(session, result)
    log.info("erasure %s (%s): %d conversations, %d messages, %d appointments cancelled", result.id,
             result.door, len(ids), result.messages, result.appointments_cancelled)
    return result


def erase(session: Session, conv: Conversation, now: datetime, *, door: str | None = None,
          counsellor_id: int | None = None) -> int:
    """Erase the person behind the conversation; returns how many upcoming appointments
    were cancelled (what the person is told)."""
    return erase_person(session, conv, now, door=door, counsellor_id=counsellor_id).appointments_cancelled


def _engine_of(session: Session) -> Engine:
    bind = session.get_bind()
    return bind.engine if isinstance(bind, Connection) else bind


_PENDING = "erasures_after_commit"


def _after_commit(session: Session, result: Erasure) -> None:
    """Once the rows are gone for good: Rasa forgets, the record says how many trackers
    it emptied, and SQLite's write-ahead log (which still holds the page versions from
    before) is checkpointed into the zeroed pages and truncated. Held in the session
    until its transaction ends: run after a commit, dropped after a rollback."""
    pending = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = []
        event.listen(session, "after_commit", _run_pending)
        event.listen(session, "after_transaction_end", _drop_pending)
    pending.append((_engine_of(session), result))


def _run_pending(session: Session) -> None:
    pending, session.info[_PENDING] = list(session.info.get(_PENDING) or []), []
    for engine, result in pending:
        try:
            finish_outside(engine, result)
        except Exception:  # the erasure is committed; a failure here must not undo the reply
            log.exception("erasure %s: the steps after the commit failed", result.id)


def _drop_pending(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended (after a commit: already run)
        session.info[_PENDING] = []


def finish_outside(engine: Engine, result: Erasure) -> None:
    """Rasa's trackers, the record's count of them, the WAL checkpoint (after the commit)."""
    forgotten = [rasa.forget(conversation_id) for conversation_id in result.conversation_ids]
    # Rasa's SQL tracker store never deletes: its rows go here, Rasa up or down (and any a
    # turn in progress wrote: forget() waited for it under Rasa's lock). None: in memory.
    deleted = rasa_store.erase(result.conversation_ids)
    result.trackers_reset = sum(1 for ok in forgotten if ok or deleted)
    if result.trackers_reset < len(result.conversation_ids):
        log.warning("erasure %s: Rasa emptied %d of %d trackers (down?)", result.id, result.trackers_reset,
                    len(result.conversation_ids))
    with Session(engine) as own:
        record = own.get(ErasureRecord, result.id)
        if record is not None:
            record.trackers_reset = result.trackers_reset
        own.commit()
    if not checkpoint_wal(engine):
        log.warning("erasure %s: the write-ahead log could not be truncated yet (readers)", result.id)
