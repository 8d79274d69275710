from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Response
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from app.conversations import erasure, rasa, repository
from app.conversations.models import Channel
from app.conversations.schemas import ChatRequest, ChatResponse
from app.conversations.service import handle_incoming
from app.core.db import get_session, utcnow

router = APIRouter(tags=["chat"])


@router.post("/api/chat", response_model=ChatResponse,
             responses={422: {"description": "Empty, non-text or over-long message"},
                        503: {"description": "The assistant is down; the message is stored"}})
def chat(body: ChatRequest, session: Session = Depends(get_session)):  # noqa: B008
    # API senders live in their own namespace ("api:"), apart from phone numbers ("tel:")
    # and the widget's signed conversations ("web:w-"): a client-chosen id can never
    # write into or read another channel's conversation.
    reply = handle_incoming(session, f"api:{body.sender}", Channel.web, body.text)
    payload = {"messages": reply.messages, "language": reply.language}
    if reply.unavailable:
        return JSONResponse(status_code=503, content={
            "detail": "The assistant is temporarily unavailable. Your message has been saved.",
            **payload})
    return payload


@router.delete("/api/chat/{sender}", status_code=204,
               responses={404: {"description": "No conversation for this sender"}})
def delete_conversation(sender: str, session: Session = Depends(get_session)) -> Response:  # noqa: B008
    """Deletion on request: the conversation and every message in it are erased."""
    conv = repository.get_by_key(session, f"api:{sender}")
    if conv is None:
        raise HTTPException(status_code=404, detail="no conversation for this sender")
    erasure.erase(session, conv, utcnow())
    rasa.forget(conv.id)
    return Response(status_code=204)
