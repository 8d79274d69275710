"""Queries on appointments, closure days and home-visit requests."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.appointments.models import (
    Appointment,
    AppointmentStatus,
    ClosureDay,
    HomeVisitRequest,
)
from app.conversations.models import Conversation


def conversation(session: Session, conversation_id: str) -> Conversation | None:
    return session.get(Conversation, conversation_id)


def reference_exists(session: Session, reference: str) -> bool:
    return session.scalar(select(Appointment.id).where(Appointment.reference == reference)) is not None


def by_reference(session: Session, reference: str, *, for_update: bool = False) -> Appointment | None:
    query = select(Appointment).where(Appointment.reference == reference)
    if for_update:
        # PostgreSQL: a move and a cancel of the same appointment run one after the
        # other. (SQLite ignores it; its transactions are serial anyway.)
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def by_idempotency_key(session: Session, key: str) -> Appointment | None:
    return session.scalars(select(Appointment).where(Appointment.idempotency_key == key)).one_or_none()


def booked_counts(session: Session, service: str, start: datetime, end: datetime) -> dict[datetime, int]:
    """Booked seats per slot start in [start, end)."""
    rows = session.execute(
        select(Appointment.starts_at, func.count())
        .where(Appointment.service == service, Appointment.status == AppointmentStatus.booked,
               Appointment.starts_at >= start, Appointment.starts_at < end)
        .group_by(Appointment.starts_at))
    return {starts_at: count for starts_at, count in rows}


def upcoming_for_conversation(session: Session, conversation_id: str, now: datetime) -> list[Appointment]:
    return list(session.scalars(
        select(Appointment)
        .where(Appointment.conversation_id == conversation_id, Appointment.status == AppointmentStatus.booked,
               Appointment.starts_at > now)
        .order_by(Appointment.starts_at)))


def between(session: Session, start: datetime, end: datetime) -> list[Appointment]:
    return list(session.scalars(
        select(Appointment).where(Appointment.starts_at >= start, Appointment.starts_at < end)
        .order_by(Appointment.starts_at, Appointment.service, Appointment.seat)))


# --- closure days ---------------------------------------------------------------------

def closures_between(session: Session, first: date, last: date) -> dict[date, str]:
    rows = session.execute(select(ClosureDay.date, ClosureDay.reason)
                           .where(ClosureDay.date >= first, ClosureDay.date <= last))
    return {day: reason for day, reason in rows}


def closures_from(session: Session, first: date) -> list[ClosureDay]:
    return list(session.scalars(select(ClosureDay).where(ClosureDay.date >= first).order_by(ClosureDay.date)))


def closure(session: Session, day: date) -> ClosureDay | None:
    return session.scalars(select(ClosureDay).where(ClosureDay.date == day)).one_or_none()


# --- home visits ----------------------------------------------------------------------

def home_visits(session: Session, status: str | None, limit: int = 200) -> list[HomeVisitRequest]:
    query = select(HomeVisitRequest).order_by(HomeVisitRequest.created_at.desc(), HomeVisitRequest.id.desc())
    if status:
        query = query.where(HomeVisitRequest.status == status)
    return list(session.scalars(query.limit(limit)))


def home_visit(session: Session, visit_id: int) -> HomeVisitRequest | None:
    return session.get(HomeVisitRequest, visit_id)
