"""Booking, moving and cancelling appointments; free slots; home-visit requests.

Nothing here commits: the request's session does, once, when the request succeeded.
Double booking is prevented by the database (a unique index on service, start and
seat among booked rows), not by checking first: two requests for the last seat both
try to insert, one wins, the other gets IntegrityError inside its SAVEPOINT and tries
the next seat or answers 409. That holds across processes and on both databases.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.appointments import repository
from app.appointments.contact import normalise_phone
from app.appointments.errors import Conflict, NotFound, QuotaReached, Refused, SlotTaken
from app.appointments.models import Appointment, AppointmentStatus, HomeVisitRequest
from app.appointments.parse import WhenFilter, match_slots, parse_when
from app.appointments.schedule import (
    NotBookable,
    Rules,
    Slot,
    bookable_window,
    check_start,
    closed_reason,
    day_slots,
    slots_between,
)
from app.conversations.models import Conversation
from app.core.crypto import phone_hash
from app.core.facts import Facts, get_facts
from app.core.settings import get_settings
from app.i18n.catalogue import FALLBACK

log = logging.getLogger("app.appointments")

# No 0/O, 1/I/L: a reference is read out on the phone and typed on a keypad.
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
REFERENCE_DIGITS = "23456789"
REFERENCE_LENGTH = 6
NEXT_FREE_COUNT = 5
TEL_PREFIX = "tel:"


@dataclass(frozen=True)
class FreeSlot:
    slot: Slot
    free_seats: int

    def local(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        return self.slot.start.astimezone(tz), self.slot.end.astimezone(tz)


def slot_dict(free: FreeSlot, tz: ZoneInfo) -> dict[str, Any]:
    """A free slot as the API shows it: Brussels times with their offset."""
    start, end = free.local(tz)
    return {"start": start.isoformat(), "end": end.isoformat(), "free_seats": free.free_seats}


@dataclass(frozen=True)
class BookingRequest:
    service: str
    start: datetime
    first_name: str
    contact_phone: str | None = None  # already E.164
    conversation_id: str | None = None
    language: str | None = None

    def fingerprint(self) -> str:
        """What a replay with the same Idempotency-Key must repeat exactly."""
        data = {"service": self.service, "start": self.start.astimezone(UTC).isoformat(),
                "first_name": self.first_name, "contact_phone": self.contact_phone,
                "conversation_id": self.conversation_id, "language": self.language}
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


_rules: tuple[Facts, int | None, int | None, Rules] | None = None


def current_rules() -> Rules:
    """The effective rules: config/service.yml, with SLOT_MINUTES and
    COUNSELLORS_PER_SLOT winning when set. Built once per facts and settings (the
    Rules object caches its slots)."""
    global _rules
    facts, settings = get_facts(), get_settings()
    key = (facts, settings.slot_minutes, settings.counsellors_per_slot)
    if _rules is None or _rules[0] is not facts or _rules[1:3] != key[1:]:
        _rules = (*key, Rules.from_facts(facts, slot_minutes=key[1], capacity=key[2]))
    return _rules[3]


def as_utc(moment: datetime, rules: Rules) -> datetime:
    """A time without an offset is Brussels wall-clock time, as users mean it."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=rules.timezone)
    return moment.astimezone(UTC)


def local_day_bounds(day: date, rules: Rules) -> tuple[datetime, datetime]:
    """[midnight, next midnight) of a Brussels day, in UTC (23 or 25 hours at DST)."""
    start = datetime.combine(day, time(0), tzinfo=rules.timezone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=rules.timezone)
    return start.astimezone(UTC), end.astimezone(UTC)


# --- free slots ---------------------------------------------------------------------

def free_slots(session: Session, service: str, now: datetime, start: datetime | None = None,
               end: datetime | None = None, rules: Rules | None = None) -> list[FreeSlot]:
    """Free slots in [start, end) within what can be booked now, in order."""
    rules = rules or current_rules()
    earliest, latest = bookable_window(rules, now)
    start = max(start or earliest, earliest)
    end = min(end or latest, latest)
    if end <= start:
        return []
    tz = rules.timezone
    closures = repository.closures_between(session, start.astimezone(tz).date(), end.astimezone(tz).date())
    try:
        slots = slots_between(rules, service, start, end, closures)
    except NotBookable as exc:
        raise Refused(str(exc)) from None
    taken = repository.booked_counts(session, service, start, end)
    out = []
    for slot in slots:
        free = rules.capacity - taken.get(slot.start, 0)
        if free > 0:
            out.append(FreeSlot(slot, free))
    return out


def nearest_free(session: Session, service: str, wanted: datetime, now: datetime,
                 count: int = NEXT_FREE_COUNT) -> list[FreeSlot]:
    """The free slots closest to the wanted time (before or after), in order."""
    week = timedelta(days=7)
    free = free_slots(session, service, now, wanted - week, wanted + week)
    if len(free) < count:  # a full fortnight: look over the whole horizon
        free = free_slots(session, service, now)
    closest = sorted(free, key=lambda f: abs(f.slot.start - wanted))[:count]
    return sorted(closest, key=lambda f: f.slot.start)


@dataclass
class DayNote:
    """Why a day the user named ("tomorrow", "Saturday") has no free time, and the free
    times nearest to it: closed (weekly hours, a public holiday, a closure), full, or past."""

    day: date
    status: str  # closed | full | past | time_not_free (other times that day are free)
    nearest: list[FreeSlot]


def day_asked(wanted: WhenFilter, today: date) -> date | None:
    if wanted.day is not None:
        return wanted.day
    if wanted.weekday is not None:
        return today + timedelta(days=(wanted.weekday - today.weekday()) % 7)
    return None


def resolve(session: Session, service: str, text: str, language: str | None, now: datetime,
            limit: int = NEXT_FREE_COUNT) -> tuple[WhenFilter, list[FreeSlot], DayNote | None]:
    """The free slots matching the user's words ("vendredi après-midi"), nearest first;
    when a day was named and nothing on it is free, why, with the nearest free times."""
    rules = current_rules()
    local_now = now.astimezone(rules.timezone)
    wanted = parse_when(text, local_now, language)
    free = free_slots(session, service, now, rules=rules)
    by_slot = {f.slot: f for f in free}
    matching = [by_slot[s] for s in match_slots(wanted, [f.slot for f in free], rules.timezone)[:limit]]
    day = day_asked(wanted, local_now.date())
    if matching or day is None:
        return wanted, matching, None
    that_day = [f for f in free if f.slot.start.astimezone(rules.timezone).date() == day]
    if that_day:
        # The day has free times, only not the one asked for ("18/12 13:30", taken).
        at = wanted.at or (time(15) if wanted.part == "afternoon" else time(9))
        target = datetime.combine(day, at, tzinfo=rules.timezone)
        nearest = sorted(sorted(that_day, key=lambda f: abs(f.slot.start - target))[:limit],
                         key=lambda f: f.slot.start)
        return wanted, matching, DayNote(day, "time_not_free", nearest)
    if day < local_now.date():
        status = "past"
    elif closed_reason(day, repository.closures_between(session, day, day)) or not day_slots(rules, service, day):
        status = "closed"
    else:
        status = "full"
    noon = datetime.combine(day, time(12), tzinfo=rules.timezone)
    return wanted, matching, DayNote(day, status, nearest_free(session, service, max(noon, now), now, limit))


# --- booking --------------------------------------------------------------------------

def _new_reference(session: Session) -> str:
    while True:
        ref = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))
        # At least one digit: the assistant tells a reference from a six-letter word
        # ("CANCEL") by its digit.
        if any(c in REFERENCE_DIGITS for c in ref) and not repository.reference_exists(session, ref):
            return ref


def _check(rules: Rules, service: str, start: datetime, now: datetime, session: Session) -> Slot:
    day = start.astimezone(rules.timezone).date()
    try:
        return check_start(rules, service, start, now, repository.closures_between(session, day, day))
    except NotBookable as exc:
        raise Refused(str(exc)) from None


def _taken(session: Session, service: str, start: datetime, now: datetime) -> SlotTaken:
    tz = current_rules().timezone
    nxt = nearest_free(session, service, start, now)
    return SlotTaken("this time is no longer free: choose one of the next free times",
                     [slot_dict(f, tz) for f in nxt])


def _reminder_due_already(start: datetime, now: datetime) -> datetime | None:
    """Booked or moved inside the reminder window: the confirmation just sent is the
    reminder (and a text saying "tomorrow" could be wrong), so none is queued."""
    window = timedelta(hours=get_facts().reminder_hours_before)
    return now if start - now <= window else None


def _replay(existing: Appointment, request: BookingRequest) -> tuple[Appointment, bool]:
    if existing.idempotency_hash != request.fingerprint():
        raise Refused("this Idempotency-Key was already used for a different request: "
                      "use a new key for a new booking")
    return existing, False


def phone_from_conversation(conv: Conversation | None) -> str | None:
    """Users on SMS or WhatsApp are not asked for the number they write from."""
    number = conv.phone if conv is not None and conv.key.startswith(TEL_PREFIX) else None
    if not number:
        return None
    try:
        return normalise_phone(number)
    except ValueError:
        return None


def book(session: Session, request: BookingRequest, now: datetime,
         idempotency_key: str | None = None) -> tuple[Appointment, bool]:
    """(appointment, created). A replay of an Idempotency-Key returns the first result."""
    if idempotency_key:
        existing = repository.by_idempotency_key(session, idempotency_key)
        if existing is not None:
            return _replay(existing, request)
    rules = current_rules()
    start = as_utc(request.start, rules)
    slot = _check(rules, request.service, start, now, session)
    conv = repository.conversation(session, request.conversation_id) if request.conversation_id else None
    if request.conversation_id and conv is None:
        # The conversation may have been erased (retention); the booking stands alone.
        log.warning("booking for an unknown conversation; stored without the link")
    _check_quota(session, request.contact_phone or phone_from_conversation(conv), conv.id if conv else None, now)
    for seat in range(1, rules.capacity + 1):
        appt = Appointment(
            reference=_new_reference(session), service=request.service, starts_at=slot.start,
            ends_at=slot.end, seat=seat, status=AppointmentStatus.booked, first_name=request.first_name,
            contact_phone=request.contact_phone or phone_from_conversation(conv),
            conversation_id=conv.id if conv else None,
            language=request.language or (conv.language if conv else None) or FALLBACK,
            channel=str(conv.channel) if conv else "api", idempotency_key=idempotency_key,
            idempotency_hash=request.fingerprint() if idempotency_key else None,
            reminder_claimed_at=_reminder_due_already(slot.start, now))
        try:
            with session.begin_nested():
                session.add(appt)
        except IntegrityError:
            if idempotency_key:
                # The same request, sent twice at once: the other one booked it.
                existing = repository.by_idempotency_key(session, idempotency_key)
                if existing is not None:
                    return _replay(existing, request)
            continue
        return appt, True
    raise _taken(session, request.service, slot.start, now)


def _check_quota(session: Session, phone: str | None, conversation_id: str | None, now: datetime) -> None:
    """A person (their phone number, or the conversation that books) holds at most
    ``max_upcoming_appointments`` upcoming appointments: one client cannot empty the
    schedule with one number or one conversation."""
    who = []
    if phone:
        who.append(Appointment.contact_phone_hash == phone_hash(phone))
    if conversation_id:
        who.append(Appointment.conversation_id == conversation_id)
    if not who:
        return
    limit = get_settings().max_upcoming_appointments
    held = session.scalar(select(func.count()).select_from(Appointment).where(
        or_(*who), Appointment.status == AppointmentStatus.booked, Appointment.starts_at > now))
    if held >= limit:
        log.warning("booking refused: the person already holds %d upcoming appointments", held)
        raise QuotaReached(f"you already have {held} upcoming appointments (at most {limit}): "
                           "cancel or move one of them instead")


def get(session: Session, reference: str, *, for_update: bool = False) -> Appointment:
    appt = repository.by_reference(session, reference.strip().upper(), for_update=for_update)
    if appt is None:
        raise NotFound("no appointment with this reference")
    return appt


def move(session: Session, reference: str, start: datetime, now: datetime) -> Appointment:
    appt = get(session, reference, for_update=True)
    if appt.status != AppointmentStatus.booked:
        raise Conflict("this appointment is cancelled: book a new one")
    if appt.starts_at <= now:
        raise Refused("this appointment has already taken place")
    rules = current_rules()
    start = as_utc(start, rules)
    if start == appt.starts_at:
        return appt
    slot = _check(rules, appt.service, start, now, session)
    for seat in range(1, rules.capacity + 1):
        try:
            with session.begin_nested():
                appt.starts_at, appt.ends_at, appt.seat = slot.start, slot.end, seat
                # A new time deserves its own reminder.
                appt.reminder_claimed_at = _reminder_due_already(slot.start, now)
                appt.reminder_sent_at = None
        except IntegrityError:
            continue  # the savepoint's rollback restored the old time and seat
        return appt
    raise _taken(session, appt.service, slot.start, now)


def cancel(session: Session, reference: str, now: datetime) -> Appointment:
    """Cancel; cancelling again answers the same (a retried request is harmless)."""
    appt = get(session, reference, for_update=True)
    if appt.status == AppointmentStatus.cancelled:
        return appt
    if appt.starts_at <= now:
        raise Refused("this appointment has already taken place and cannot be cancelled")
    appt.status = AppointmentStatus.cancelled
    appt.cancelled_at = now
    session.flush()
    return appt


def upcoming_for_conversation(session: Session, conversation_id: str, now: datetime) -> list[Appointment]:
    return repository.upcoming_for_conversation(session, conversation_id, now)


# --- home visits ----------------------------------------------------------------------

def request_home_visit(session: Session, *, first_name: str, language: str, contact_phone: str | None,
                       conversation_id: str | None, note: str | None) -> HomeVisitRequest:
    conv = repository.conversation(session, conversation_id) if conversation_id else None
    phone = contact_phone or phone_from_conversation(conv)
    if phone is None and conv is None:
        raise Refused("a phone number is needed so that a counsellor can arrange the visit")
    visit = HomeVisitRequest(first_name=first_name, language=language, contact_phone=phone,
                             conversation_id=conv.id if conv else None, note=note or None)
    session.add(visit)
    session.flush()
    return visit
