"""Queries of the widget: a conversation's messages by its key, and what came after an id."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.console.accounts.models import Counsellor
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


def author_names(session: Session, messages: list[Message]) -> dict[int, str]:
    ids = {m.counsellor_id for m in messages if m.counsellor_id}
    if not ids:
        return {}
    return dict(session.execute(select(Counsellor.id, Counsellor.display_name).where(Counsellor.id.in_(ids))).all())


def as_dict(msg: Message, names: dict[int, str] | None = None) -> dict[str, Any]:
    # "kind" tells the widget who wrote it: the assistant, the service (system notices),
    # or a person (a counsellor, with their first name as "author"). A tapped quick reply
    # shows as the person saw it: its label, not the payload the assistant got.
    return {
        "id": msg.id,
        "direction": str(msg.direction),
        "text": msg.label or msg.text,
        "buttons": json.loads(msg.buttons) if msg.buttons else [],
        "language": msg.language,
        "kind": str(msg.kind) if msg.kind else ("bot" if msg.direction == Direction.outbound else "user"),
        "author": (names or {}).get(msg.counsellor_id) if msg.counsellor_id else None,
        "created_at": msg.created_at.isoformat() if msg.created_at else None,
    }


def as_dicts(session: Session, messages: list[Message]) -> list[dict[str, Any]]:
    names = author_names(session, messages)
    return [as_dict(m, names) for m in messages]
