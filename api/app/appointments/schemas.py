"""Request and response bodies of the appointments API.

Responses never carry the contact phone: a reference is all a caller needs, and a
guessed reference must not reveal a number. The console has its own schemas.
"""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, StrictStr, field_validator

from app.appointments.contact import clean_first_name, normalise_phone
from app.appointments.models import AppointmentStatus, HomeVisitStatus, Service
from app.i18n.catalogue import LANGUAGES

LANGUAGE_HELP = "ISO 639-1 code: " + ", ".join(LANGUAGES)


def _language(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip().lower()
    if value not in LANGUAGES:
        raise ValueError(f"unknown language; use one of {', '.join(LANGUAGES)}")
    return value


def _phone(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    return normalise_phone(value)


class ErrorOut(BaseModel):
    detail: str = Field(description="One plain sentence saying what to change")
    code: str | None = Field(None, description="For callers that branch on it: proof_required, proof_wrong, "
                                               "no_phone, too_many_attempts")


class SlotOut(BaseModel):
    start: datetime = Field(description="Start, Europe/Brussels time with its offset")
    end: datetime
    free_seats: int = Field(ge=1, description="Counsellors still free at this time")


class SlotTakenOut(BaseModel):
    detail: str
    next_free_slots: list[SlotOut] = Field(description="The free times nearest to the one asked for")


class SlotList(BaseModel):
    service: Service
    timezone: str = "Europe/Brussels"
    slots: list[SlotOut]


class ResolveRequest(BaseModel):
    service: Service
    text: StrictStr = Field(min_length=1, max_length=2000,
                            description='The user\'s words: "vendredi après-midi", "morgen 10u", "27/11 13:30"')
    language: StrictStr | None = Field(default=None, description=LANGUAGE_HELP)

    _check_language = field_validator("language")(_language)


class Understood(BaseModel):
    date: dt.date | None = None
    weekday: int | None = Field(default=None, description="0 = Monday")
    time: dt.time | None = None
    part: Literal["morning", "afternoon"] | None = None


class ResolveResponse(BaseModel):
    slots: list[SlotOut] = Field(description="At most 5, nearest first; empty if nothing matched")
    understood: Understood = Field(description="What was read in the text (empty: nothing)")


class AppointmentCreate(BaseModel):
    service: Service
    start: datetime = Field(description="A slot's start, e.g. 2026-11-27T13:00:00+01:00 "
                                        "(without an offset: Brussels time)")
    first_name: StrictStr = Field(description="A first name or initials, at most 40 characters")
    contact_phone: StrictStr | None = Field(
        default=None, description="Phone number; taken from the conversation for SMS/WhatsApp users")
    conversation_id: StrictStr | None = Field(default=None, max_length=36)
    language: StrictStr | None = Field(default=None, description=LANGUAGE_HELP)

    _check_name = field_validator("first_name")(clean_first_name)
    _check_phone = field_validator("contact_phone")(_phone)
    _check_language = field_validator("language")(_language)


class AppointmentMove(BaseModel):
    start: datetime = Field(description="The new slot's start")


class AppointmentOut(BaseModel):
    reference: str = Field(description="6 characters, no 0/O/1/I/L")
    service: Service
    start: datetime
    end: datetime
    status: AppointmentStatus
    address: str


class AppointmentList(BaseModel):
    appointments: list[AppointmentOut]


class HomeVisitCreate(BaseModel):
    first_name: StrictStr
    language: StrictStr = Field(description=LANGUAGE_HELP)
    contact_phone: StrictStr | None = None
    conversation_id: StrictStr | None = Field(default=None, max_length=36)
    note: StrictStr | None = Field(default=None, max_length=300,
                                   description="What the counsellor should know, e.g. reduced mobility")

    _check_name = field_validator("first_name")(clean_first_name)
    _check_phone = field_validator("contact_phone")(_phone)
    _check_language = field_validator("language")(_language)


class HomeVisitOut(BaseModel):
    id: int
    status: HomeVisitStatus
    created_at: datetime
