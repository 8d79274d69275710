"""Appointments over HTTP: free slots, booking, moving, cancelling, home visits.

Called by the assistant's actions (rasa-sdk) and usable by any channel. Every error a
caller can act on is a 4xx with one sentence in ``detail``; a taken slot is a 409
that lists the nearest free slots.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Annotated, Any

import logging

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from app.appointments import contact, ownership, service
from app.appointments.clock import get_now
from app.appointments.errors import ErrorRoute, NotYours, Refused, TooManyBookings
from app.appointments.models import Appointment, Service
from app.appointments.schemas import (
    AppointmentCreate,
    AppointmentList,
    AppointmentMove,
    AppointmentOut,
    ErrorOut,
    HomeVisitCreate,
    HomeVisitOut,
    PhoneCheck,
    PhoneOut,
    ResolveRequest,
    ResolveResponse,
    SlotList,
    SlotTakenOut,
)
from app.core import bounds
from app.core.db import get_session
from app.core.facts import get_facts
from app.core.ratelimit import get_limiter, get_origins, pseudonym
from app.core.security import check_token
from app.core.settings import get_settings

# "function" scope: the session commits before the response leaves, so a 201 is
# only ever sent for a booking that is really stored.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
Now = Annotated[datetime, Depends(get_now)]
_bearer = HTTPBearer(auto_error=False, description="INTERNAL_API_TOKEN (the assistant's actions)")

router = APIRouter(tags=["appointments"], route_class=ErrorRoute)
log = logging.getLogger("app.appointments")

E422 = {422: {"model": ErrorOut, "description": "Input that cannot be booked as sent (the sentence says why)"}}
E404 = {404: {"model": ErrorOut, "description": "No appointment with this reference"}}
EOWN = {**E404,
        403: {"model": ErrorOut, "description": "Not proven to be yours: code proof_required (send X-Phone-Last4), "
                                                "proof_wrong, or no_phone (only its own conversation can change it)"},
        429: {"model": ErrorOut, "description": "Too many failed attempts for this reference or from this client "
                                                "(Retry-After)"}}
Who = Annotated[ownership.Proof, Depends(ownership.proof)]
E409 = {409: {"model": SlotTakenOut, "description": "The slot is taken; the nearest free slots are listed"}}


def require_internal(creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> None:
    check_token(creds.credentials if creds else None, get_settings().internal_api_token)


def appointment_out(appt: Appointment) -> dict[str, Any]:
    tz = service.current_rules().timezone
    return {"reference": appt.reference, "service": appt.service, "start": appt.starts_at.astimezone(tz),
            "end": appt.ends_at.astimezone(tz), "status": appt.status, "address": get_facts().address}


def _bound(value: str | None, name: str, *, end: bool) -> datetime | None:
    """An ISO date (a whole Brussels day) or date-time (Brussels if no offset)."""
    if value is None or not value.strip():
        return None
    rules = service.current_rules()
    try:
        # Years 2000-2100 and offsets within ±24 h (app.core.bounds): year 1 or 9999
        # overflowed in the arithmetic below (a 500).
        moment = bounds.date_or_datetime(value, name)
    except ValueError as exc:
        raise Refused(str(exc)) from None
    if isinstance(moment, datetime):
        return service.as_utc(moment, rules)
    return service.as_utc(datetime.combine(moment + timedelta(days=1 if end else 0), time(0)), rules)


@router.get("/api/slots", response_model=SlotList, responses=E422,
            summary="Free slots of a permanence")
def list_slots(session: SessionDep, now: Now, service_name: Annotated[Service, Query(alias="service")],
               from_: Annotated[str | None, Query(alias="from", description="ISO date or date-time; default now")] = None,
               to: Annotated[str | None, Query(description="ISO date (inclusive) or date-time; default the horizon")] = None,
               ) -> dict[str, Any]:
    start, end = _bound(from_, "from", end=False), _bound(to, "to", end=True)
    if start and end and end <= start:
        raise Refused("to: must be after from")
    tz = service.current_rules().timezone
    free = service.free_slots(session, service_name, now, start, end)
    return {"service": service_name, "timezone": str(tz), "slots": [service.slot_dict(f, tz) for f in free]}


@router.post("/api/slots/resolve", response_model=ResolveResponse, responses=E422,
             summary="Free slots matching the user's words, in any of the nine languages")
def resolve_slots(body: ResolveRequest, session: SessionDep, now: Now) -> dict[str, Any]:
    wanted, free, note = service.resolve(session, body.service, body.text, body.language, now)
    tz = service.current_rules().timezone
    out: dict[str, Any] = {
        "slots": [service.slot_dict(f, tz) for f in free],
        "understood": {"date": wanted.day, "weekday": wanted.weekday, "time": wanted.at, "part": wanted.part}}
    if note is not None:
        out["day"] = {"date": note.day, "status": note.status,
                      "nearest": [service.slot_dict(f, tz) for f in note.nearest]}
    return out


@router.post("/api/phone", response_model=PhoneOut, responses=E422,
             summary="Check a phone number the way a booking will (the assistant asks before booking)")
def check_phone(body: PhoneCheck) -> dict[str, str]:
    try:
        e164 = contact.normalise_phone(body.text, body.language)
    except ValueError as exc:
        raise Refused(f"text: {exc}") from None
    return {"e164": e164, "international": contact.international(e164)}


@router.post("/api/appointments", response_model=AppointmentOut, status_code=status.HTTP_201_CREATED,
             responses={200: {"model": AppointmentOut, "description": "Replay of an Idempotency-Key"},
                        403: {"model": ErrorOut, "description": "conversation_id without the internal token"},
                        429: {"model": ErrorOut, "description": "Too many bookings from this client or "
                                                                "conversation in the last hour (Retry-After)"},
                        **E409, **E422},
             summary="Book a slot (a person holds at most a few upcoming appointments: 409 code quota)")
def create_appointment(
    body: AppointmentCreate, session: SessionDep, now: Now, response: Response, request: Request,
    idempotency_key: Annotated[str | None, Header(
        alias="Idempotency-Key", min_length=1, max_length=200,
        description="Same key and body again: the same appointment (200), never a second one")] = None,
) -> dict[str, Any]:
    internal = ownership.is_internal(request)
    if body.conversation_id and not internal:
        # Attaching a booking to a conversation fills in its phone number and sends it the
        # reminder: only the assistant, speaking for that conversation, may do it.
        raise NotYours("conversation_id is accepted only from the assistant (internal token)", "internal_only")
    keys = _booking_limit_keys(session, body.conversation_id if internal else None,
                               None if internal else (request.client.host if request.client else "unknown"))
    settings = get_settings()
    limits = {"client": settings.bookings_per_client_per_hour, "conv": settings.bookings_per_conversation_per_hour}
    counted: list[str] = []
    replay = bool(idempotency_key) and service.repository.by_idempotency_key(session, idempotency_key) is not None
    for kind, key in keys if not replay else []:
        wait = get_limiter().hit(key, limits[kind], 3600)
        if wait is not None:
            for done in counted:
                get_limiter().refund(done)
            log.warning("booking refused: too many bookings from one %s in the last hour",
                        "client" if kind == "client" else "conversation")
            raise TooManyBookings("too many bookings in the last hour: please try again later or call the service",
                                  wait)
        counted.append(key)
    try:
        appt, created = _book(session, body, now, idempotency_key)
    except Exception:
        for done in counted:  # nothing was booked: the attempt does not count
            get_limiter().refund(done)
        raise
    if not created:
        response.status_code = status.HTTP_200_OK
    return appointment_out(appt)


def _booking_limit_keys(session: Session, conversation_id: str | None, address: str | None) -> list[tuple[str, str]]:
    """The hourly counters a booking counts against: the client address behind it (the
    caller's own, or, for the assistant, the address of the conversation's latest message;
    none for SMS and WhatsApp, where the phone number is the person) and the conversation."""
    keys: list[tuple[str, str]] = []
    if conversation_id:
        keys.append(("conv", f"book:conv:{conversation_id}"))
        conv = service.repository.conversation(session, conversation_id)
        origin = get_origins().of(conv.key) if conv is not None else None
        if origin:
            keys.append(("client", f"book:client:{origin}"))
    elif address:
        keys.append(("client", f"book:client:{pseudonym(address)}"))
    return keys


def _book(session: Session, body: AppointmentCreate, now: datetime,
          idempotency_key: str | None) -> tuple[Appointment, bool]:
    request = service.BookingRequest(service=body.service, start=body.start, first_name=body.first_name,
                                     contact_phone=body.contact_phone, conversation_id=body.conversation_id,
                                     language=body.language)
    appt, created = service.book(session, request, now, idempotency_key)
    # Commit here, in the endpoint's own worker thread: the seat's row lock must not wait
    # for the response to be serialised, which needs another worker thread. With every
    # worker busy on a request waiting for this very lock, that was a deadlock broken
    # only by the pool's 30-second timeout (seen with 100 clients on one slot).
    session.commit()
    return appt, created


@router.get("/api/appointments/{reference}", response_model=AppointmentOut, responses=EOWN,
            summary="An appointment by its reference (with proof that it is yours)")
def read_appointment(reference: str, session: SessionDep, now: Now, who: Who) -> dict[str, Any]:
    return appointment_out(ownership.authorise(session, reference, who, now))


@router.patch("/api/appointments/{reference}", response_model=AppointmentOut,
              responses={**EOWN, **E409, **E422}, summary="Move an appointment to another slot (with proof)")
def move_appointment(reference: str, body: AppointmentMove, session: SessionDep, now: Now, who: Who) -> dict[str, Any]:
    ownership.authorise(session, reference, who, now, for_update=True)
    appt = service.move(session, reference, body.start, now)
    session.commit()  # release the row lock in this thread (see create_appointment)
    return appointment_out(appt)


@router.delete("/api/appointments/{reference}", response_model=AppointmentOut,
               responses={**EOWN, **E422}, summary="Cancel an appointment, with proof (again: same answer)")
def cancel_appointment(reference: str, session: SessionDep, now: Now, who: Who) -> dict[str, Any]:
    ownership.authorise(session, reference, who, now, for_update=True)
    appt = service.cancel(session, reference, now)
    session.commit()  # release the row lock in this thread (see create_appointment)
    return appointment_out(appt)


@router.get("/api/conversations/{conversation_id}/appointments", response_model=AppointmentList,
            dependencies=[Depends(require_internal)],
            responses={401: {"model": ErrorOut, "description": "Missing or wrong internal token"}},
            summary="A conversation's upcoming appointments (for the assistant)")
def conversation_appointments(conversation_id: str, session: SessionDep, now: Now) -> dict[str, Any]:
    appts = service.upcoming_for_conversation(session, conversation_id, now)
    return {"appointments": [appointment_out(a) for a in appts]}


@router.post("/api/home-visits", response_model=HomeVisitOut, status_code=status.HTTP_201_CREATED,
             responses={**E422, 403: {"model": ErrorOut, "description": "conversation_id without the internal token"}},
             summary="Ask for a home visit (a counsellor confirms it)")
def create_home_visit(body: HomeVisitCreate, session: SessionDep, request: Request) -> HomeVisitOut:
    if body.conversation_id and not ownership.is_internal(request):
        raise NotYours("conversation_id is accepted only from the assistant (internal token)", "internal_only")
    visit = service.request_home_visit(session, first_name=body.first_name, language=body.language,
                                       contact_phone=body.contact_phone, conversation_id=body.conversation_id,
                                       note=body.note)
    return HomeVisitOut(id=visit.id, status=visit.status, created_at=visit.created_at)
