"""Queries of the widget: a conversation's messages by its key, and what came after an id."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.conversations.models import Conversation, Direction, Message


def last_message_id(session: Session, key: str) -> int:
    stmt = select(func.max(Message.id)).join(Conversation).where(Conversation.key == key)
    return session.scalar(stmt) or 0


def outbound_after(session: Session, key: str, after_id: int, limit: int = 100) -> list[Message]:
    """The assistant's (or a counsellor's) messages to this conversation after ``after_id``."""
    stmt = (select(Message).join(Conversation)
            .where(Conversation.key == key, Message.direction == Direction.outbound, Message.id > after_id)
            .order_by(Message.id).limit(limit))
    return list(session.scalars(stmt))


def as_dict(msg: Message) -> dict[str, Any]:
    return {
        "id": msg.id,
        "direction": str(msg.direction),
        "text": msg.text,
        "buttons": json.loads(msg.buttons) if msg.buttons else [],
        "language": msg.language,
        "created_at": msg.created_at.isoformat() if msg.created_at else None,
    }
