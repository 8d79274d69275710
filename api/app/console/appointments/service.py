"""What counsellors change: closure days and home-visit decisions. No commits here."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.appointments import repository
from app.appointments.errors import Conflict, NotFound, Refused
from app.appointments.models import (
    Appointment,
    AppointmentStatus,
    ClosureDay,
    HomeVisitRequest,
)
from app.appointments.schedule import belgian_holidays
from app.appointments.service import current_rules, local_day_bounds


def appointments_on(session: Session, day: date) -> list[Appointment]:
    start, end = local_day_bounds(day, current_rules())
    return repository.between(session, start, end)


def holidays_ahead(today: date, days: int = 365) -> list[tuple[date, str]]:
    last = today + timedelta(days=days)
    found = {**belgian_holidays(today.year), **belgian_holidays(last.year)}
    return sorted((d, name) for d, name in found.items() if today <= d <= last)


def add_closure(session: Session, day: date, reason: str, today: date) -> tuple[ClosureDay, list[str]]:
    """The closure, and the references already booked that day. Those appointments
    are kept: someone has to tell the people, and the console shows whom."""
    if day < today:
        raise Refused("date: this day is in the past")
    closure = ClosureDay(date=day, reason=reason)
    try:
        with session.begin_nested():
            session.add(closure)
    except IntegrityError:
        raise Conflict("this day is already closed") from None
    booked = [a.reference for a in appointments_on(session, day) if a.status == AppointmentStatus.booked]
    return closure, booked


def remove_closure(session: Session, day: date) -> None:
    closure = repository.closure(session, day)
    if closure is None:
        raise NotFound("no closure on this day")
    session.delete(closure)
    session.flush()


def decide_home_visit(session: Session, visit_id: int, status: str, now: datetime) -> HomeVisitRequest:
    visit = repository.home_visit(session, visit_id)
    if visit is None:
        raise NotFound("no home-visit request with this id")
    visit.status = status
    visit.decided_at = now
    session.flush()
    return visit
