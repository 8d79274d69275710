"""Request and response bodies of the appointments API.

Responses never carry the contact phone: a reference is all a caller needs, and a
guessed reference must not reveal a number. The console has its own schemas.
"""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, StrictStr, ValidationInfo, field_validator

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


def _phone(value: str | None, info: ValidationInfo) -> str | None:
    if value is None or not value.strip():
        return None
    # Fields are validated in order: the language (declared before) is known here.
    return normalise_phone(value, info.data.get("language"))


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


class DayNoteOut(BaseModel):
    date: dt.date = Field(description="The day the text named (\"tomorrow\", \"Saturday\": the next one)")
    status: Literal["closed", "full", "past", "time_not_free"] = Field(
        description="closed: no permanence that day (weekly hours, public holiday, closure); "
                    "full: every time taken or too soon to book; past: the day is over; "
                    "time_not_free: other times that day are free (they are the nearest)")
    nearest: list[SlotOut] = Field(description="The free times nearest to that day")


class ResolveResponse(BaseModel):
    slots: list[SlotOut] = Field(description="At most 5, nearest first; empty if nothing matched")
    understood: Understood = Field(description="What was read in the text (empty: nothing)")
    day: DayNoteOut | None = Field(default=None, description="Only when a day was named and nothing on it is free")


class AppointmentCreate(BaseModel):
    service: Service
    start: datetime = Field(description="A slot's start, e.g. 2026-11-27T13:00:00+01:00 "
                                        "(without an offset: Brussels time)")
    first_name: StrictStr = Field(description="A first name or initials, at most 40 characters")
    language: StrictStr | None = Field(default=None, description=LANGUAGE_HELP)
    contact_phone: StrictStr | None = Field(
        default=None, description="Phone number; taken from the conversation for SMS/WhatsApp users. Without "
                                  "a country code it is read as Belgian, then as a number of the country the "
                                  "language suggests (it: Italy...)")
    conversation_id: StrictStr | None = Field(default=None, max_length=36)

    _check_name = field_validator("first_name")(clean_first_name)
    _check_phone = field_validator("contact_phone")(_phone)
    _check_language = field_validator("language")(_language)


class PhoneCheck(BaseModel):
    text: StrictStr = Field(min_length=1, max_length=200, description="The number as the user wrote it")
    language: StrictStr | None = Field(default=None, description=LANGUAGE_HELP)

    _check_language = field_validator("language")(_language)


class PhoneOut(BaseModel):
    e164: str = Field(description="+393331234567: what a booking stores")
    international: str = Field(description="+39 333 123 4567: to read back to the user")


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
