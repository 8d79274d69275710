"""Counsellor console, appointment part (a signed-in counsellor's session; the
calendar feed for calendar apps uses a revocable per-user feed token instead)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Response, status
from sqlalchemy.orm import Session

from app.appointments import repository
from app.appointments.clock import get_now
from app.appointments.errors import ErrorRoute
from app.appointments.models import Appointment, HomeVisitRequest, HomeVisitStatus
from app.appointments.schedule import SERVICE_NAMES
from app.appointments.schemas import ErrorOut
from app.appointments.service import current_rules
from app.console.appointments import ics
from app.console.appointments import service as console
from app.console.appointments.schemas import (
    ClosureCreate,
    ClosureCreated,
    ClosureList,
    ConsoleHomeVisit,
    DayAppointments,
    HomeVisitDecision,
    HomeVisitList,
)
from app.console.accounts import service as accounts
from app.console.auth import require_counsellor
from app.core.bounds import RowId, ServiceDate
from app.core.db import get_session
from app.core.facts import get_facts

SessionDep = Annotated[Session, Depends(get_session, scope="function")]
Now = Annotated[dt.datetime, Depends(get_now)]
DayQuery = Annotated[ServiceDate | None, Query(alias="date", description="YYYY-MM-DD, Brussels; default today")]

router = APIRouter(prefix="/api/console", tags=["console"], route_class=ErrorRoute,
                   dependencies=[Depends(require_counsellor)],
                   responses={401: {"model": ErrorOut, "description": "Not signed in"},
                              403: {"model": ErrorOut, "description": "Missing CSRF token"}})
# Calendar apps cannot sign in: they get a per-user feed token in the URL (revocable).
feed = APIRouter(prefix="/api/console", tags=["console"], route_class=ErrorRoute)


def _today(now: dt.datetime) -> dt.date:
    return now.astimezone(current_rules().timezone).date()


def _appointment(appt: Appointment) -> dict[str, Any]:
    tz = current_rules().timezone
    return {"reference": appt.reference, "service": appt.service, "start": appt.starts_at.astimezone(tz),
            "end": appt.ends_at.astimezone(tz), "seat": appt.seat, "status": appt.status,
            "first_name": appt.first_name, "contact_phone": appt.contact_phone, "language": appt.language,
            "channel": appt.channel, "conversation_id": appt.conversation_id, "created_at": appt.created_at,
            "cancelled_at": appt.cancelled_at}


def _home_visit(visit: HomeVisitRequest) -> ConsoleHomeVisit:
    return ConsoleHomeVisit.model_validate(visit, from_attributes=True)


@router.get("/appointments", response_model=DayAppointments, summary="A day's appointments")
def day_appointments(session: SessionDep, now: Now, day: DayQuery = None) -> dict[str, Any]:
    day = day or _today(now)
    return {"date": day, "appointments": [_appointment(a) for a in console.appointments_on(session, day)]}


def _calendar(session: Session, now: dt.datetime, days: list[dt.date], name: str) -> Response:
    facts = get_facts()
    events = [
        ics.Event(uid=f"{a.reference}@appointments.hirondelle", start=a.starts_at, end=a.ends_at,
                  summary=f"{a.first_name}, {SERVICE_NAMES[a.service]} ({a.reference})",
                  description="\n".join(filter(None, [
                      f"Phone: {a.contact_phone}" if a.contact_phone else None,
                      f"Language: {a.language}", f"Booked via: {a.channel}", f"Seat: {a.seat}"])),
                  location=facts.address)
        for day in days for a in console.appointments_on(session, day) if a.status == "booked"
    ]
    body = ics.calendar(events, stamp=now, name=f"{facts.name} {name}")
    return Response(content=body, media_type="text/calendar; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="appointments-{name}.ics"'})


ICS = {200: {"content": {"text/calendar": {}}, "description": "An RFC 5545 calendar"}}


@router.get("/appointments.ics", response_class=Response, summary="A day's booked appointments as iCalendar",
            responses=ICS)
def day_calendar(session: SessionDep, now: Now, day: DayQuery = None) -> Response:
    day = day or _today(now)
    return _calendar(session, now, [day], day.isoformat())


@feed.get("/calendar.ics", response_class=Response, responses={**ICS, 401: {"model": ErrorOut}},
          summary="Calendar feed for calendar apps: booked appointments from today, for the booking horizon")
def calendar_feed(session: SessionDep, now: Now, token: Annotated[str, Query(max_length=200)] = "") -> Response:
    if accounts.by_feed_token(session, token) is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "unknown or revoked feed token")
    today = _today(now)
    days = [today + dt.timedelta(days=i) for i in range(get_facts().horizon_days + 1)]
    return _calendar(session, now, days, "feed")


@router.get("/closures", response_model=ClosureList, summary="Closure days from a date (default today)")
def list_closures(session: SessionDep, now: Now,
                  first: Annotated[ServiceDate | None, Query(alias="from")] = None) -> dict[str, Any]:
    today = _today(now)
    closures = repository.closures_from(session, first or today)
    return {"closures": [{"date": c.date, "reason": c.reason} for c in closures],
            "holidays": [{"date": d, "name": n} for d, n in console.holidays_ahead(today)]}


@router.post("/closures", response_model=ClosureCreated, status_code=status.HTTP_201_CREATED,
             responses={409: {"model": ErrorOut, "description": "The day is already closed"},
                        422: {"model": ErrorOut, "description": "A past day, or no reason"}},
             summary="Close the service on a day (no new bookings; existing ones are listed)")
def add_closure(body: ClosureCreate, session: SessionDep, now: Now) -> dict[str, Any]:
    closure, booked = console.add_closure(session, body.date, body.reason, _today(now))
    return {"date": closure.date, "reason": closure.reason, "affected_appointments": booked}


@router.delete("/closures/{day}", status_code=status.HTTP_204_NO_CONTENT,
               responses={404: {"model": ErrorOut, "description": "No closure on this day"}},
               summary="Open a closed day again")
def remove_closure(day: ServiceDate, session: SessionDep) -> Response:
    console.remove_closure(session, day)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/home-visits", response_model=HomeVisitList, summary="Home-visit requests, newest first")
def list_home_visits(session: SessionDep,
                     state: Annotated[HomeVisitStatus | None, Query(alias="status")] = None) -> dict[str, Any]:
    return {"home_visits": [_home_visit(v) for v in repository.home_visits(session, state)]}


@router.patch("/home-visits/{visit_id}", response_model=ConsoleHomeVisit,
              responses={404: {"model": ErrorOut, "description": "No such request"}},
              summary="Confirm or decline a home-visit request")
def decide_home_visit(visit_id: RowId, body: HomeVisitDecision, session: SessionDep, now: Now) -> ConsoleHomeVisit:
    return _home_visit(console.decide_home_visit(session, visit_id, body.status, now))
