"""Deletion on request, one service for every door: "delete my data" in conversation
(web, widget, SMS, WhatsApp, nine languages, confirmed by a yes), and DELETE
/api/chat/{sender}.

Erasing removes the conversation and every message in it (notes and safety flags go
with it), cancels the person's upcoming appointments and blanks the name and phone of
every appointment it booked. What it does not reach yet (home-visit requests, the
console's audit entries) is listed in the README.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.appointments.models import Appointment, AppointmentStatus
from app.appointments.parse import fold
from app.conversations import repository
from app.conversations.models import Conversation

ERASED_NAME = "(erased)"
# A request is a verb of deleting and an object that is the person's data, in a short
# message: "effacez mes données", "delete my data", "verwijder mijn gegevens",
# "borrar mis datos", "lösche meine Daten", "удалите мои данные", "verilerimi silin",
# "cancellate i miei dati", "احذفوا بياناتي". Folded: lower case, no accents.
_VERBS = ("effac", "supprim", "delete", "erase", "remove", "wipe", "verwijder", "wis", "borr",
          "elimin", "losch", "entfern", "удал", "стер", "стир", "sil", "cancell", "احذف", "امسح", "حذف", "مسح",
          "تحذف", "تمسح", "يحذف", "يمسح", "شيل")
_OBJECTS = ("donnee", "mes info", "mes messages", "ma conversation", "historique", "my data", "my info",
            "my messages", "my conversation", "my history", "my details", "personal data", "gegevens",
            "mijn berichten", "mijn gesprek", "mis datos", "mis mensajes", "mi conversacion", "daten",
            "meine nachrichten", "unterhaltung", "данн", "переписк", "мои сообщения", "veri", "bilgilerim",
            "mesajlarim", "konusma", "miei dati", "i dati", "messaggi", "conversazione", "بيانات",
            "معلومات", "رسائل", "المحادثه", "محادثه")
MAX_WORDS = 14


def is_request(text: str) -> bool:
    folded = " ".join(fold(text).split())  # the booking parser's folding: case, accents, ة/ه
    if not folded or len(folded.split()) > MAX_WORDS:
        return False
    words = re.findall(r"[^\W_]+", folded)
    verb = any(word.startswith(stem) for word in words for stem in _VERBS)
    return verb and any(obj in folded for obj in _OBJECTS)


def _theirs(session: Session, conv: Conversation):  # noqa: ANN202
    """The person's appointments: booked in this conversation, or with its phone number."""
    from app.appointments.service import phone_from_conversation

    phone = phone_from_conversation(conv)
    where = Appointment.conversation_id == conv.id
    if phone:
        where = or_(where, Appointment.contact_phone == phone)
    return select(Appointment).where(where)


def upcoming_appointments(session: Session, conv: Conversation, now: datetime) -> list[Appointment]:
    """The person's booked appointments still to come, soonest first: what erasing cancels."""
    return list(session.scalars(_theirs(session, conv).where(
        Appointment.status == AppointmentStatus.booked, Appointment.starts_at > now)
        .order_by(Appointment.starts_at)).all())


def upcoming(session: Session, conv: Conversation, now: datetime) -> int:
    return len(upcoming_appointments(session, conv, now))


def erase(session: Session, conv: Conversation, now: datetime) -> int:
    """Erase the conversation; returns how many upcoming appointments were cancelled."""
    cancelled = 0
    for appt in session.scalars(_theirs(session, conv)).all():
        if appt.status == AppointmentStatus.booked and appt.starts_at > now:
            appt.status, appt.cancelled_at = AppointmentStatus.cancelled, now
            cancelled += 1
        appt.first_name, appt.contact_phone = ERASED_NAME, None
    session.flush()
    repository.delete_conversation(session, conv)
    return cancelled
