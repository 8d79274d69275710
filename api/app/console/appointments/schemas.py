"""Console bodies: unlike the public API, these show the contact phone (counsellors
call people back)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field, StrictStr, field_validator

from app.appointments.models import AppointmentStatus, HomeVisitStatus, Service
from app.core.bounds import ServiceDate
from app.core.text import strip_controls


class ConsoleAppointment(BaseModel):
    reference: str
    service: Service
    start: dt.datetime
    end: dt.datetime
    seat: int
    status: AppointmentStatus
    first_name: str
    contact_phone: str | None
    language: str
    channel: str
    conversation_id: str | None
    created_at: dt.datetime
    cancelled_at: dt.datetime | None


class DayAppointments(BaseModel):
    date: dt.date
    appointments: list[ConsoleAppointment]


class ClosureCreate(BaseModel):
    date: ServiceDate
    reason: StrictStr = Field(min_length=1, max_length=200, description='e.g. "staff training"')

    @field_validator("reason")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        value = strip_controls(value).strip()  # stored: no NUL (PostgreSQL refuses it)
        if not value:
            raise ValueError("say why the service is closed")
        return value


class ClosureOut(BaseModel):
    date: dt.date
    reason: str


class ClosureCreated(ClosureOut):
    affected_appointments: list[str] = Field(
        description="References of appointments already booked that day: call these people")


class Holiday(BaseModel):
    date: dt.date
    name: str


class ClosureList(BaseModel):
    closures: list[ClosureOut]
    holidays: list[Holiday] = Field(description="Public holidays in the next 12 months (always closed)")


class ConsoleHomeVisit(BaseModel):
    id: int
    status: HomeVisitStatus
    first_name: str
    contact_phone: str | None
    language: str
    note: str | None
    conversation_id: str | None
    created_at: dt.datetime
    decided_at: dt.datetime | None


class HomeVisitList(BaseModel):
    home_visits: list[ConsoleHomeVisit]


class HomeVisitDecision(BaseModel):
    status: Literal["confirmed", "declined"]
