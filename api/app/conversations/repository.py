from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.conversations.models import Channel, Conversation, Direction, Message, MessageStatus
from app.core.crypto import PHONE_KEY_PREFIX, phone_key


def stored_key(key: str) -> str:
    """The key a conversation is stored under: a phone number's ("tel:+32...", as Twilio
    gives it) is its keyed hash ("tel:h:..."); every other key is itself."""
    if key.startswith("tel:") and not key.startswith(PHONE_KEY_PREFIX):
        return phone_key(key.removeprefix("tel:"))
    return key


def get_by_key(session: Session, key: str) -> Conversation | None:
    return session.scalars(select(Conversation).where(Conversation.key == stored_key(key))).one_or_none()


def get_by_id(session: Session, conversation_id: str) -> Conversation | None:
    return session.get(Conversation, conversation_id)


def get_or_create(session: Session, key: str, channel: Channel) -> Conversation:
    conv = get_by_key(session, key)
    if conv is not None:
        return conv
    conv = Conversation(key=key, channel=channel)
    try:
        with session.begin_nested():
            session.add(conv)
    except IntegrityError:  # created by a concurrent request for the same sender
        conv = get_by_key(session, key)
        assert conv is not None
    return conv


def add_message(session: Session, conv: Conversation, direction: Direction, text: str, *,
                channel: Channel, status: MessageStatus, language: str | None = None,
                buttons: list[dict] | None = None, external_id: str | None = None,
                label: str | None = None) -> Message:
    msg = Message(conversation_id=conv.id, direction=direction, channel=channel, text=text,
                  status=status, language=language, external_id=external_id, label=label,
                  buttons=json.dumps(buttons, ensure_ascii=False) if buttons else None)
    session.add(msg)
    session.flush()
    return msg


def last_outbound(session: Session, conv: Conversation) -> Message | None:
    stmt = (select(Message).where(Message.conversation_id == conv.id, Message.direction == Direction.outbound)
            .order_by(Message.id.desc()).limit(1))
    return session.scalars(stmt).first()


def get_by_external_id(session: Session, external_id: str) -> Message | None:
    return session.scalars(select(Message).where(Message.external_id == external_id)).one_or_none()


def history(session: Session, conv: Conversation, limit: int = 200) -> list[Message]:
    rows = session.scalars(select(Message).where(Message.conversation_id == conv.id)
                           .order_by(Message.id.desc()).limit(limit)).all()
    return list(reversed(rows))


def delete_conversation(session: Session, conv: Conversation) -> None:
    session.execute(delete(Message).where(Message.conversation_id == conv.id))
    session.delete(conv)


def purge_messages_before(session: Session, cutoff: datetime) -> int:
    result = session.execute(delete(Message).where(Message.created_at < cutoff))
    return result.rowcount or 0
