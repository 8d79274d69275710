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
    notice = handoff.waiting_notice(availability(session, now))
    key = "handoff_already_waiting" if already and notice.key == "handoff_waiting_soon" else notice.key
    # The moment goes as a machine value: the NLG endpoint writes it in the user's language.
    arguments = {"start": notice.when.isoformat()} if notice.when else {}
    return {"response": key, "arguments": arguments, "state": conv.handoff_state}
