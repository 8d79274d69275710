"""Who may see, move or cancel an appointment by its reference.

A six-character reference alone is not enough: it is written on screens and in SMS and
can be read over a shoulder. Without proof, a stranger who typed "cancel NZA39E" would
see someone's date and cancel it.

- Inside the conversation that booked it (the assistant's actions, which hold the
  internal token, say which conversation they speak for), or from an SMS/WhatsApp
  conversation of the appointment's own phone number: nothing more is asked.
- Anywhere else (another conversation, the public API): the last four digits of the
  phone number given when booking (header ``X-Phone-Last4``).
- An appointment booked without a phone can be changed only from its conversation (or
  by a counsellor in the console).

Failed attempts (wrong digits, unknown references) are counted per reference and per
client; past the limits the answer is 429 with Retry-After, even for the right digits.
Only keyed hashes of the reference and the client are stored, and for a day.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Header, Request
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.appointments import repository
from app.appointments.errors import NotFound, NotYours, TooManyAttempts
from app.appointments.models import Appointment, ProofAttempt
from app.core.db import get_sessionmaker
from app.core.security import bearer
from app.core.settings import get_settings

REFERENCE_LIMIT, REFERENCE_WINDOW = 5, timedelta(hours=24)
CLIENT_LIMIT, CLIENT_WINDOW = 10, timedelta(hours=1)
KEEP = timedelta(hours=24)


@dataclass(frozen=True)
class Proof:
    client: str                      # "conv:<id>" for the actions, "ip:<address>" otherwise
    conversation_id: str | None      # only when the caller holds the internal token
    phone_last4: str | None


def proof(request: Request,
          x_conversation_id: Annotated[str | None, Header(
              max_length=64, description="The assistant's actions: the conversation they speak for "
                                         "(honoured only with the internal token)")] = None,
          x_phone_last4: Annotated[str | None, Header(
              max_length=12, description="The last four digits of the phone number given when booking")] = None,
          ) -> Proof:
    internal = is_internal(request)
    conversation = x_conversation_id if internal and x_conversation_id else None
    digits = "".join(ch for ch in (x_phone_last4 or "") if ch.isdigit()) or None
    host = request.client.host if request.client else "unknown"
    return Proof(client=f"conv:{conversation}" if conversation else f"ip:{host}",
                 conversation_id=conversation, phone_last4=digits)


def is_internal(request: Request) -> bool:
    """The caller holds INTERNAL_API_TOKEN (the assistant's actions)."""
    token = get_settings().internal_api_token.get_secret_value()
    given = bearer(request)
    return bool(given and token and hmac.compare_digest(given.encode(), token.encode()))


def _hash(value: str) -> str:
    key = get_settings().secret_key.get_secret_value().encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def _recent(session: Session, column, value: str, window: timedelta, now: datetime) -> tuple[int, datetime | None]:  # noqa: ANN001
    row = session.execute(select(func.count(), func.min(ProofAttempt.created_at))
                          .where(column == value, ProofAttempt.created_at > now - window)).one()
    return row[0], row[1]


def _check_limits(session: Session, reference: str, client: str, now: datetime) -> None:
    for column, value, limit, window in ((ProofAttempt.reference_hash, _hash(reference), REFERENCE_LIMIT,
                                              REFERENCE_WINDOW),
                                         (ProofAttempt.client_hash, _hash(client), CLIENT_LIMIT, CLIENT_WINDOW)):
        count, oldest = _recent(session, column, value, window, now)
        if count >= limit:
            retry = int(((oldest or now) + window - now).total_seconds()) + 1
            raise TooManyAttempts("too many failed attempts for this appointment or from this client: "
                                  "try again later, or ask a counsellor", retry)


def _record_failure(request_session: Session, reference: str, client: str, now: datetime) -> None:
    """Committed in a session of its own, so that the refused request's rollback keeps it.
    The request has written nothing yet (proof comes first): its transaction ends here,
    which on SQLite releases the write lock the record needs."""
    request_session.rollback()
    with get_sessionmaker()() as session:
        session.add(ProofAttempt(reference_hash=_hash(reference), client_hash=_hash(client), created_at=now))
        session.execute(delete(ProofAttempt).where(ProofAttempt.created_at < now - KEEP))
        session.commit()


def _own_conversation(session: Session, appt: Appointment, conversation_id: str | None) -> bool:
    if not conversation_id:
        return False
    if appt.conversation_id == conversation_id:
        return True
    # The same person writing by SMS/WhatsApp from the number given when booking.
    from app.appointments.service import phone_from_conversation

    conv = repository.conversation(session, conversation_id)
    return bool(appt.contact_phone and conv is not None and phone_from_conversation(conv) == appt.contact_phone)


def is_own(session: Session, appt: Appointment, who: Proof) -> bool:
    return _own_conversation(session, appt, who.conversation_id)


def authorise(session: Session, reference: str, who: Proof, now: datetime, *, for_update: bool = False) -> Appointment:
    """The appointment, if ``who`` may see and change it; else 404 / 403 / 429."""
    reference = reference.strip().upper()
    appt = repository.by_reference(session, reference, for_update=for_update)
    if appt is not None and _own_conversation(session, appt, who.conversation_id):
        return appt  # a stranger's guesses never lock the owner's own conversation out
    _check_limits(session, reference, who.client, now)
    if appt is None:
        _record_failure(session, reference, who.client, now)
        raise NotFound("no appointment with this reference")
    if not appt.contact_phone:
        raise NotYours("this appointment was booked without a phone number: it can be seen or changed only in "
                       "the conversation that booked it, or by a counsellor", "no_phone")
    if not who.phone_last4:
        raise NotYours("to see or change this appointment, give the last four digits of the phone number "
                       "used when booking (header X-Phone-Last4)", "proof_required")
    expected = "".join(ch for ch in appt.contact_phone if ch.isdigit())[-4:]
    if len(who.phone_last4) != 4 or not hmac.compare_digest(who.phone_last4, expected):
        _record_failure(session, reference, who.client, now)
        raise NotYours("these digits do not match the phone number of this appointment", "proof_wrong")
    return appt
