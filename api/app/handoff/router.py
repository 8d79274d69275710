"""The assistant's side of the handoff (rasa-sdk actions, INTERNAL_API_TOKEN): the user
asked for a person, or accepted one after two misunderstandings."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel
from sqlalchemy.orm import Session

from app.appointments.router import require_internal
from app.conversations import repository
from app.conversations.models import HandoffState
from app.core.db import get_session, utcnow
from app.handoff import service as handoff
from app.handoff.availability import availability

router = APIRouter(prefix="/internal", include_in_schema=False, dependencies=[Depends(require_internal)])
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


class HandoffIn(BaseModel):
    conversation_id: str
    reason: handoff.Reason = handoff.Reason.asked


@router.post("/handoff")
def request_handoff(body: HandoffIn, session: SessionDep) -> dict[str, Any]:
    """Queue the conversation; answer with the response the assistant sends (a catalogue
    key and its arguments): who will answer and when."""
    conv = repository.get_by_id(session, body.conversation_id) if len(body.conversation_id) <= 36 else None
    if conv is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such conversation")
    now = utcnow()
    if conv.handoff_state == HandoffState.taken:
        return {"response": "handoff_already_taken", "arguments": {}, "state": conv.handoff_state}
    already = conv.handoff_state == HandoffState.waiting
    handoff.start(session, conv, body.reason, now=now)
    avail = availability(session, now)
    if avail.soon:
        return {"response": "handoff_already_waiting" if already else "handoff_waiting_soon", "arguments": {},
                "state": conv.handoff_state}
    if avail.next_opening is not None:
        return {"response": "handoff_waiting_later", "arguments": {"start": avail.next_opening.isoformat()},
                "state": conv.handoff_state}
    return {"response": "handoff_waiting_unknown", "arguments": {}, "state": conv.handoff_state}
