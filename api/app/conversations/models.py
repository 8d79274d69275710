from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.core.crypto import PHONE_KEY_PREFIX, EncryptedPhone, phone_key
from app.core.db import Base, UTCDateTime, utcnow
from app.core.sealed_text import SealedText


class Channel(StrEnum):
    web = "web"
    sms = "sms"
    whatsapp = "whatsapp"


class Direction(StrEnum):
    inbound = "in"
    outbound = "out"


class MessageStatus(StrEnum):
    received = "received"      # stored, not yet answered
    answered = "answered"      # the assistant replied
    unanswered = "unanswered"  # the assistant was down: a counsellor or a retry must pick it up
    queued = "queued"          # outbound, waiting to be sent
    sent = "sent"
    delivered = "delivered"
    failed = "failed"
    for_counsellor = "for_counsellor"  # inbound, during a handoff: a counsellor answers it


class HandoffState(StrEnum):
    """bot -> waiting -> taken -> (closed) bot. Any state can become waiting again."""

    bot = "bot"          # the assistant answers
    waiting = "waiting"  # in the counsellors' queue; the assistant still answers questions
    taken = "taken"      # a counsellor holds it; the assistant is silent (the danger screen is not)


class MessageKind(StrEnum):
    """Who wrote an outbound message, so the user always knows."""

    bot = "bot"
    counsellor = "counsellor"
    system = "system"    # the gateway: a person joined or left, the queue, a danger reply


class Conversation(Base):
    __tablename__ = "conversation"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    # "web:<client id>", "api:<sender>" or, for a phone number, "tel:h:<keyed hash>": web
    # ids never collide with phone numbers, and the number itself is only in phone_enc.
    key: Mapped[str] = mapped_column(String(160), unique=True)
    # SMS/WhatsApp: the number, encrypted (app/core/crypto.py); read it as `phone`.
    phone_enc: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[Channel] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(2))
    awaiting_language: Mapped[bool] = mapped_column(Boolean, default=False)
    pending_text: Mapped[str | None] = mapped_column(SealedText())
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_user_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # Handoff to a counsellor (api/app/handoff). Queue order: urgent first, then waiting_since.
    handoff_state: Mapped[HandoffState] = mapped_column(String(16), default=HandoffState.bot,
                                                        server_default=HandoffState.bot.value, index=True)
    handoff_reason: Mapped[str | None] = mapped_column(String(16))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    danger_category: Mapped[str | None] = mapped_column(String(24))
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    counsellor_id: Mapped[int | None] = mapped_column(ForeignKey("counsellor.id", ondelete="SET NULL"))
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_alert_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Violence and trafficking: texts stay neutral, and nobody calls or texts first
    # until the person said it is safe (safe_to_contact: None = not answered yet).
    discreet: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    asked_safe_to_contact: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    safe_to_contact: Mapped[bool | None] = mapped_column(Boolean)
    # "Delete my data" was asked and the yes/no is awaited (app/conversations/erasure.py).
    erasure_asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    messages: Mapped[list[Message]] = relationship(
        back_populates="conversation", cascade="all, delete-orphan", order_by="Message.id", lazy="raise"
    )

    phone = EncryptedPhone("phone_enc")

    @validates("key")
    def _hide_phone(self, _name: str, key: str) -> str:
        """A key given as "tel:<number>" (Twilio's sender, the on-call number) is stored as
        its keyed hash, the number encrypted beside it: no path stores it in clear."""
        if key.startswith("tel:") and not key.startswith(PHONE_KEY_PREFIX):
            number = key.removeprefix("tel:")
            self.phone = number
            return phone_key(number)
        return key


class Message(Base):
    __tablename__ = "message"
    # AUTOINCREMENT on SQLite: a deleted highest id is never given again (status callbacks
    # and live streams find rows by id). PostgreSQL's sequences never reuse one anyway.
    __table_args__ = (Index("ix_message_conversation_id_id", "conversation_id", "id"),
                      {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversation.id", ondelete="CASCADE"))
    direction: Mapped[Direction] = mapped_column(String(3))
    channel: Mapped[Channel] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(SealedText())  # phone numbers in it stored encrypted
    # Inbound, a quick reply tapped in the widget: text is the payload the assistant got,
    # label the button's title the person saw and tapped (what their history shows).
    label: Mapped[str | None] = mapped_column(String(200))
    buttons: Mapped[str | None] = mapped_column(Text)  # JSON list, outbound only
    language: Mapped[str | None] = mapped_column(String(2))
    status: Mapped[MessageStatus] = mapped_column(String(16))
    # Twilio's MessageSid: a retried webhook delivery is recognised and stored once.
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Outbound: who wrote it (the assistant, a counsellor, the gateway); the counsellor.
    kind: Mapped[MessageKind | None] = mapped_column(String(16))
    counsellor_id: Mapped[int | None] = mapped_column(ForeignKey("counsellor.id", ondelete="SET NULL"))
    # Inbound: what the assistant understood (intent), or "danger:<category>".
    intent: Mapped[str | None] = mapped_column(String(64))
    # Inbound photos and voice notes (JSON list of {url, content_type}), kept for counsellors.
    media: Mapped[str | None] = mapped_column(Text)

    conversation: Mapped[Conversation] = relationship(back_populates="messages", lazy="raise")


class ErasureRecord(Base):
    """One line per erasure (app/conversations/erasure.py), without what was erased: no
    phone, no name, no text, not even the conversation's id, only its keyed hash (so a
    second request for the same conversation can be recognised), the door, who (an
    admin's account, for the console), when and how much was reached."""

    __tablename__ = "erasure_record"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    # conversation (in conversation: "delete my data", then yes), api (DELETE /api/chat),
    # widget (the widget's menu), console (an admin), or the conversation's kind when the
    # caller did not say (api, widget, sms, whatsapp).
    door: Mapped[str] = mapped_column(String(16))
    counsellor_id: Mapped[int | None] = mapped_column(ForeignKey("counsellor.id", ondelete="SET NULL"))
    subject_hash: Mapped[str] = mapped_column(String(64), index=True)
    conversations: Mapped[int] = mapped_column(Integer, default=0)
    messages: Mapped[int] = mapped_column(Integer, default=0)
    notes: Mapped[int] = mapped_column(Integer, default=0)
    safety_flags: Mapped[int] = mapped_column(Integer, default=0)
    appointments_cancelled: Mapped[int] = mapped_column(Integer, default=0)
    appointments_anonymised: Mapped[int] = mapped_column(Integer, default=0)
    home_visits: Mapped[int] = mapped_column(Integer, default=0)
    # Rasa trackers emptied (after the commit; fewer than conversations: Rasa was down).
    trackers_reset: Mapped[int | None] = mapped_column(Integer)


# Messages and conversations point at counsellor accounts: their table must be known
# wherever these models are used (imported last: that module needs only the base).
from app.console.accounts import models as _accounts  # noqa: E402, F401
