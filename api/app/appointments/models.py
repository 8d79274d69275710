"""Appointments, home-visit requests and the days an admin closes the service.

Personal data is kept to what a counsellor needs: a first name (or initials) and,
when the user gives one, a phone number. Nothing else about the person is stored.
"""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.crypto import EncryptedPhone
from app.core.db import Base, UTCDateTime, utcnow


class Service(StrEnum):
    social = "social"
    legal = "legal"


class AppointmentStatus(StrEnum):
    booked = "booked"
    cancelled = "cancelled"


class HomeVisitStatus(StrEnum):
    requested = "requested"
    confirmed = "confirmed"
    declined = "declined"


_BOOKED = text("status = 'booked'")


class Appointment(Base):
    __tablename__ = "appointment"
    __table_args__ = (
        # The one guarantee against double booking: a seat of a slot holds at most one
        # booked appointment. Cancelled rows stay (history) and free their seat.
        Index("uq_appointment_service_starts_at_seat", "service", "starts_at", "seat", unique=True,
              sqlite_where=_BOOKED, postgresql_where=_BOOKED),
        CheckConstraint("seat >= 1", name="seat"),
        CheckConstraint("service IN ('social', 'legal')", name="service"),
        CheckConstraint("status IN ('booked', 'cancelled')", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reference: Mapped[str] = mapped_column(String(6), unique=True)
    service: Mapped[Service] = mapped_column(String(16))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    seat: Mapped[int] = mapped_column(Integer)
    status: Mapped[AppointmentStatus] = mapped_column(String(16), default=AppointmentStatus.booked)
    first_name: Mapped[str] = mapped_column(String(40))
    # E.164, encrypted (app/core/crypto.py), found by its keyed hash; read it as contact_phone.
    contact_phone_enc: Mapped[str | None] = mapped_column(Text)
    contact_phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    conversation_id: Mapped[str | None] = mapped_column(
        ForeignKey("conversation.id", ondelete="SET NULL"), index=True)
    language: Mapped[str] = mapped_column(String(2))
    channel: Mapped[str] = mapped_column(String(16))  # web | sms | whatsapp | api
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    # SHA-256 of the request that used idempotency_key: a replay must be the same request.
    idempotency_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminder_claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    contact_phone = EncryptedPhone("contact_phone_enc", "contact_phone_hash")


class HomeVisitRequest(Base):
    __tablename__ = "home_visit_request"
    __table_args__ = (
        CheckConstraint("status IN ('requested', 'confirmed', 'declined')", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str | None] = mapped_column(
        ForeignKey("conversation.id", ondelete="SET NULL"), index=True)
    first_name: Mapped[str] = mapped_column(String(40))
    contact_phone_enc: Mapped[str | None] = mapped_column(Text)
    contact_phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    language: Mapped[str] = mapped_column(String(2))
    note: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[HomeVisitStatus] = mapped_column(String(16), default=HomeVisitStatus.requested)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    contact_phone = EncryptedPhone("contact_phone_enc", "contact_phone_hash")


class ClosureDay(Base):
    __tablename__ = "closure_day"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    date: Mapped[dt.date] = mapped_column(Date, unique=True)
    reason: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ProofAttempt(Base):
    """A failed attempt to prove that an appointment is one's own (wrong phone digits, or
    a reference that does not exist). Counted per reference and per client to stop
    guessing; only hashes of the reference and client are kept, for a day."""

    __tablename__ = "proof_attempt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reference_hash: Mapped[str] = mapped_column(String(64), index=True)
    client_hash: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
