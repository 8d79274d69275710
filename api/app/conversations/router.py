from __future__ import annotations

import hashlib
import json
import logging

from fastapi import APIRouter, Depends, Header, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.conversations import erasure, queue, rasa, repository, tokens
from app.conversations.models import Channel, Conversation, Direction, MessageStatus
from app.conversations.schemas import ChatHistory, ChatRequest, ChatResponse
from app.conversations.service import handle_incoming
from app.core.db import get_session, utcnow
from app.core.ratelimit import get_origins
from app.core.settings import get_settings

router = APIRouter(tags=["chat"])
log = logging.getLogger(__name__)

UNAUTHORIZED = {401: {"description": "A later message without the conversation's token, or a wrong token"}}
NEEDS_TOKEN = ("this conversation already exists: send the token returned with its first answer "
               "(a sender name alone never continues a conversation)")


def _secret() -> str:
    return get_settings().secret_key.get_secret_value()


def _owned(session: Session, sender: str, token: str | None) -> Conversation | None:
    """The conversation ``token`` opens, if it is this sender's; 401 for a wrong token.
    None: the token was valid but its conversation is gone (erased, or purged)."""
    try:
        conversation_id = tokens.verify(_secret(), token)
    except tokens.InvalidToken as exc:
        raise HTTPException(status_code=401, detail=f"{exc}: send the token returned with the "
                                                    "conversation's first answer") from None
    conv = repository.get_by_id(session, conversation_id)
    if conv is not None and conv.key != f"api:{sender}":
        raise HTTPException(status_code=401, detail="this token belongs to another conversation")
    return conv


def _bearer(authorization: str | None) -> str | None:
    if authorization and authorization[:7].lower() == "bearer ":
        return authorization[7:].strip()
    return None


@router.post("/api/chat", response_model=ChatResponse,
             responses={**UNAUTHORIZED, 422: {"description": "Empty, non-text or over-long message"},
                        429: {"description": "Too many messages of this conversation are waiting: not stored, "
                                             "send it again after Retry-After"},
                        503: {"description": "The assistant is down; the message is stored"}})
def chat(body: ChatRequest, request: Request, session: Session = Depends(get_session, scope="function")):  # noqa: B008
    # API senders live in their own namespace ("api:"), apart from phone numbers ("tel:")
    # and the widget's signed conversations ("web:w-"). Inside it, the sender name only
    # starts a conversation; every later message needs the token the first one returned.
    key = f"api:{body.sender}"
    external = _external_id(body.sender, body.client_message_id)
    if external is not None:
        replayed = _replay(session, key, external)
        if replayed is not None:
            return replayed
    if body.token is not None:
        if _owned(session, body.sender, body.token) is None:
            raise HTTPException(status_code=401, detail="this conversation no longer exists (erased or "
                                                        "expired): start a new one without a token")
    elif repository.get_by_key(session, key) is not None:
        raise HTTPException(status_code=401, detail=NEEDS_TOKEN)
    # Bookings the assistant makes for this conversation count against this client's limits.
    get_origins().remember(key, request.client.host if request.client else None)
    stored: list[str] = []
    try:
        reply = handle_incoming(session, key, Channel.web, body.text, on_stored=stored.append,
                                external_id=external)
    except IntegrityError:
        # The same client_message_id, sent twice at once: the other request stored it.
        session.rollback()
        replayed = _replay(session, key, external) if external is not None else None
        if replayed is None:
            raise
        return replayed
    except queue.Backlog as exc:
        return JSONResponse(status_code=429, headers={"Retry-After": str(exc.retry_after)}, content={
            "detail": f"{exc}: this message was not stored, send it again in a few seconds"})
    except Exception:
        if not stored:
            raise  # nothing stored: the client sends it again (the 503 says so)
        # Stored, then the database or something else failed: the message is kept and will
        # be answered; the client must not send it again, and needs the token to go on
        # (a first message whose answer was lost would otherwise lock its sender out).
        log.exception("answering a stored message failed")
        # The failed transaction must end here: left open, the request's session would fail
        # again when it commits at the end of the request, and the client get a bare 500
        # (seen with the database stopped mid-turn) instead of "saved".
        try:
            session.rollback()
        except Exception:  # the database is still away: closing the session is enough
            log.warning("rollback after a failed answer failed too")
        return JSONResponse(status_code=503, headers={"Retry-After": "5"}, content={
            "detail": "The assistant is temporarily unavailable. Your message has been saved.",
            "messages": [], "language": None, "token": tokens.issue(_secret(), stored[0])})
    token = None if reply.erased else tokens.issue(_secret(), reply.conversation.id)
    payload = {"messages": reply.messages, "language": reply.language, "token": token}
    if reply.unavailable:
        return JSONResponse(status_code=503, content={
            "detail": "The assistant is temporarily unavailable. Your message has been saved.",
            **payload})
    return payload


def _external_id(sender: str, client_message_id: str | None) -> str | None:
    """The stored key of a client's message id: unique per sender, 64 characters at most."""
    if not client_message_id:
        return None
    digest = hashlib.sha256(f"{sender}\n{client_message_id}".encode()).hexdigest()[:48]
    return f"api:{digest}"


def _replay(session: Session, key: str, external: str) -> JSONResponse | None:
    """A message sent again (its answer was lost): never stored twice. Its answers if it
    has been answered, else 503 'saved'; the token either way."""
    msg = repository.get_by_external_id(session, external)
    if msg is None:
        return None
    conv = repository.get_by_id(session, msg.conversation_id)
    if conv is None or conv.key != key:
        return None
    token = tokens.issue(_secret(), conv.id)
    later = [m for m in repository.history(session, conv) if m.id > msg.id]
    answers = []
    for m in later:
        if m.direction == Direction.inbound:
            break
        answers.append({"text": m.text, "buttons": json.loads(m.buttons) if m.buttons else [],
                        "kind": str(m.kind) if m.kind else "bot"})
    if msg.status == MessageStatus.answered or answers:
        return JSONResponse(status_code=200, content={"messages": answers, "language": conv.language,
                                                      "token": token})
    return JSONResponse(status_code=503, headers={"Retry-After": "5"}, content={
        "detail": "The assistant is temporarily unavailable. Your message has been saved.",
        "messages": [], "language": conv.language, "token": token})


@router.get("/api/chat/{sender}", response_model=ChatHistory,
            responses={**UNAUTHORIZED, 404: {"description": "The conversation no longer exists"}})
def conversation_history(sender: str, authorization: str | None = Header(default=None),  # noqa: B008
                         session: Session = Depends(get_session, scope="function")) -> dict:  # noqa: B008
    """The conversation's messages, oldest first: answers given later (after an outage,
    or by a counsellor) are found here. Needs 'Authorization: Bearer <token>'."""
    conv = _owned(session, sender, _bearer(authorization))
    if conv is None:
        raise HTTPException(status_code=404, detail="this conversation no longer exists")
    messages = [{"id": m.id, "direction": "in" if m.direction == Direction.inbound else "out",
                 "text": m.label or m.text,
                 "kind": str(m.kind) if m.kind else ("user" if m.direction == Direction.inbound else "bot"),
                 "created_at": m.created_at.isoformat() if m.created_at else None}
                for m in repository.history(session, conv)]
    return {"messages": messages, "language": conv.language}


@router.delete("/api/chat/{sender}", status_code=204,
               responses={**UNAUTHORIZED, 404: {"description": "No conversation for this sender"}})
def delete_conversation(sender: str, authorization: str | None = Header(default=None),  # noqa: B008
                        session: Session = Depends(get_session, scope="function")) -> Response:  # noqa: B008
    """Deletion on request: the conversation and every message in it are erased. Needs
    'Authorization: Bearer <token>' (the token of the conversation's first answer)."""
    conv = _owned(session, sender, _bearer(authorization))
    if conv is None:
        raise HTTPException(status_code=404, detail="no conversation for this sender")
    conversation_id = conv.id
    erasure.erase(session, conv, utcnow(), door="api")
    session.commit()
    rasa.forget(conversation_id)
    return Response(status_code=204)
