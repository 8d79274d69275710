"""The counsellors' API for conversations: the queue, a transcript, take / release /
close, replies on the user's channel, internal notes, and a live stream of queue
changes. Conversations are addressed by opaque ids, never by phone numbers."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Request, status
from pydantic import BaseModel, Field
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.appointments.models import Appointment, HomeVisitRequest
from app.console.accounts import service as accounts
from app.console.accounts.models import ConsoleEvent, ConversationNote, Counsellor
from app.console.auth import Principal, require_admin, require_counsellor
from app.conversations import erasure, repository
from app.conversations.models import Conversation, Direction, HandoffState, Message
from app.conversations.schemas import MessageText
from app.channels.web import push
from app.core import bounds, bus, streams
from app.core.db import get_session, get_sessionmaker, utcnow
from app.core.settings import get_settings
from app.console.phrasebook import PHRASES, PhraseChoice, PhraseError, render_phrase
from app.handoff import service as handoff
from app.i18n.catalogue import LANGUAGES
from app.safety.models import FlagKind, SafetyFlag
from app.safety.screen import Category

router = APIRouter(prefix="/api/console", tags=["console: conversations"],
                   responses={401: {"description": "Not signed in"},
                              403: {"description": "Missing CSRF token, or not allowed"}})
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
Me = Annotated[Principal, Depends(require_counsellor)]
Admin = Annotated[Principal, Depends(require_admin)]
FIRST_WORDS = 80
HANDOFF_TRIGGER_WINDOW = timedelta(seconds=15)


class TextIn(BaseModel):
    text: MessageText = Field(description="1 to 2,000 characters")


class QueueItem(BaseModel):
    id: str
    state: HandoffState
    urgent: bool
    danger_category: str | None
    reason: str | None
    language: str | None
    channel: str
    waiting_since: datetime | None
    first_words: str
    counsellor: str | None
    needs_interpreter: bool
    safe_to_contact: bool | None
    discreet: bool


class TranscriptMessage(BaseModel):
    id: int
    direction: str
    kind: str | None
    text: str
    language: str | None
    understood: str | None
    counsellor: str | None
    media: list[dict[str, str]]
    created_at: datetime
    flagged: bool = False


class Note(BaseModel):
    id: int
    counsellor: str | None
    text: str
    created_at: datetime


class AppointmentOut(BaseModel):
    reference: str
    service: str
    start: datetime
    status: str


class HomeVisitOut(BaseModel):
    id: int
    status: str
    created_at: datetime


class Transcript(BaseModel):
    conversation: QueueItem
    messages: list[TranscriptMessage]
    notes: list[Note]
    appointments: list[AppointmentOut]
    home_visits: list[HomeVisitOut]


def _names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Counsellor.id, Counsellor.display_name)).all())


def _spoken(session: Session) -> set[str]:
    online = accounts.online_counsellors(session, get_settings(), utcnow())
    spoken: set[str] = set()
    for account in session.scalars(select(Counsellor).where(Counsellor.id.in_(online))):
        spoken.update(account.language_list)
    return spoken


def _first_words(session: Session, conv: Conversation) -> str:
    stmt = select(Message.text).where(Message.conversation_id == conv.id, Message.direction == Direction.inbound)
    if conv.waiting_since is not None:
        # The message that started the handoff was stored a moment before it started.
        stmt = stmt.where(Message.created_at >= conv.waiting_since - HANDOFF_TRIGGER_WINDOW)
    text = session.scalar(stmt.order_by(Message.id).limit(1)) or ""
    return text if len(text) <= FIRST_WORDS else text[:FIRST_WORDS - 1] + "…"


def _item(session: Session, conv: Conversation, names: dict[int, str], spoken: set[str]) -> dict[str, Any]:
    return {"id": conv.id, "state": conv.handoff_state, "urgent": conv.urgent, "danger_category": conv.danger_category,
            "reason": conv.handoff_reason, "language": conv.language, "channel": conv.channel,
            "waiting_since": conv.waiting_since, "first_words": _first_words(session, conv),
            "counsellor": names.get(conv.counsellor_id) if conv.counsellor_id else None,
            "counsellor_id": conv.counsellor_id,
            "needs_interpreter": bool(conv.language) and conv.language not in spoken,
            "safe_to_contact": conv.safe_to_contact, "discreet": conv.discreet}


def _conversation(session: Session, conversation_id: str) -> Conversation:
    conv = repository.get_by_id(session, conversation_id) if len(conversation_id) <= 36 else None
    if conv is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such conversation")
    return conv


@router.get("/queue", response_model=list[QueueItem],
            summary="Conversations waiting for or held by a counsellor: urgent first, then by waiting time")
def queue(me: Me, session: SessionDep, language: str | None = None) -> list[dict[str, Any]]:
    return queue_items(session, language)


def queue_items(session: Session, language: str | None = None) -> list[dict[str, Any]]:
    stmt = (select(Conversation)
            .where(Conversation.handoff_state.in_([HandoffState.waiting, HandoffState.taken]))
            .order_by(case((Conversation.urgent.is_(True), 0), else_=1), Conversation.waiting_since))
    if language:
        stmt = stmt.where(Conversation.language == language)
    names, spoken = _names(session), _spoken(session)
    return [_item(session, conv, names, spoken) for conv in session.scalars(stmt)]


def transcript_data(session: Session, conv: Conversation) -> dict[str, Any]:
    names, spoken = _names(session), _spoken(session)
    flagged = set(session.scalars(select(SafetyFlag.message_id).where(SafetyFlag.conversation_id == conv.id)))
    # A tapped quick reply shows as the person saw it, with the payload the assistant got.
    messages = [{"id": m.id, "direction": str(m.direction), "kind": m.kind,
                 "text": f"{m.label} ({m.text})" if m.label else m.text, "language": m.language,
                 "understood": m.intent, "counsellor": names.get(m.counsellor_id) if m.counsellor_id else None,
                 "media": json.loads(m.media) if m.media else [], "created_at": m.created_at,
                 "flagged": m.id in flagged}
                for m in repository.history(session, conv, limit=500)]
    notes = [{"id": n.id, "counsellor": names.get(n.counsellor_id) if n.counsellor_id else None, "text": n.text,
              "created_at": n.created_at}
             for n in session.scalars(select(ConversationNote).where(ConversationNote.conversation_id == conv.id)
                                      .order_by(ConversationNote.id))]
    appts = [{"reference": a.reference, "service": a.service, "start": a.starts_at, "status": a.status}
             for a in session.scalars(select(Appointment).where(Appointment.conversation_id == conv.id)
                                      .order_by(Appointment.starts_at))]
    visits = [{"id": v.id, "status": v.status, "created_at": v.created_at}
              for v in session.scalars(select(HomeVisitRequest).where(HomeVisitRequest.conversation_id == conv.id)
                                       .order_by(HomeVisitRequest.id))]
    return {"conversation": _item(session, conv, names, spoken), "messages": messages, "notes": notes,
            "appointments": appts, "home_visits": visits}


@router.get("/conversations/{conversation_id}", response_model=Transcript,
            responses={404: {"description": "No such conversation"}})
def transcript(conversation_id: str, me: Me, session: SessionDep) -> dict[str, Any]:
    conv = _conversation(session, conversation_id)
    accounts.audit(session, me.id, "open", conv.id)
    return transcript_data(session, conv)


@router.post("/conversations/{conversation_id}/take", response_model=QueueItem,
             responses={404: {"description": "No such conversation"},
                        409: {"description": "Another counsellor took it first"}})
def take(conversation_id: str, me: Me, session: SessionDep) -> dict[str, Any]:
    conv = _conversation(session, conversation_id)
    if not handoff.take(session, conv.id, me.account):
        session.refresh(conv)
        if conv.counsellor_id == me.id:
            return _item(session, conv, _names(session), _spoken(session))
        raise HTTPException(status.HTTP_409_CONFLICT, "another counsellor has taken this conversation")
    session.refresh(conv)
    # A booking in progress is dropped: a person answers now (best effort, after commit).
    session.commit()
    from app.conversations import rasa

    rasa.clear_form(conv.id)
    return _item(session, conv, _names(session), _spoken(session))


def _held(session: Session, conversation_id: str, me: Principal) -> Conversation:
    conv = _conversation(session, conversation_id)
    if conv.handoff_state != HandoffState.taken or conv.counsellor_id != me.id:
        raise HTTPException(status.HTTP_409_CONFLICT, "take this conversation first")
    return conv


@router.post("/conversations/{conversation_id}/release", response_model=QueueItem,
             summary="Put it back in the queue (the user is told)")
def release(conversation_id: str, me: Me, session: SessionDep) -> dict[str, Any]:
    conv = _held(session, conversation_id, me)
    handoff.requeue(session, conv, "handoff_released", counsellor_id=me.id)
    accounts.audit(session, me.id, "release", conv.id)
    return _item(session, conv, _names(session), _spoken(session))


@router.post("/conversations/{conversation_id}/close", response_model=QueueItem,
             summary="Hand the conversation back to the assistant (the user is told)")
def close(conversation_id: str, me: Me, session: SessionDep) -> dict[str, Any]:
    conv = _conversation(session, conversation_id)
    if conv.handoff_state == HandoffState.taken and conv.counsellor_id != me.id:
        raise HTTPException(status.HTTP_409_CONFLICT, "another counsellor holds this conversation")
    if not handoff.close(session, conv, me.id):
        raise HTTPException(status.HTTP_409_CONFLICT, "this conversation is not in the queue")
    accounts.audit(session, me.id, "close", conv.id)
    return _item(session, conv, _names(session), _spoken(session))


@router.post("/conversations/{conversation_id}/reply", status_code=201,
             responses={409: {"description": "Take the conversation first"},
                        422: {"description": "Empty or over-long text"}})
def reply(conversation_id: str, body: TextIn, me: Me, session: SessionDep) -> dict[str, Any]:
    conv = _held(session, conversation_id, me)
    msg = handoff.reply(session, conv, me.account, body.text)
    return {"id": msg.id, "status": msg.status, "channel": msg.channel}


@router.post("/conversations/{conversation_id}/notes", response_model=Note, status_code=201)
def add_note(conversation_id: str, body: TextIn, me: Me, session: SessionDep) -> dict[str, Any]:
    conv = _conversation(session, conversation_id)
    note = ConversationNote(conversation_id=conv.id, counsellor_id=me.id, text=body.text, created_at=utcnow())
    session.add(note)
    session.flush()
    accounts.audit(session, me.id, "note", conv.id)
    return {"id": note.id, "counsellor": me.account.display_name, "text": note.text, "created_at": note.created_at}


class EraseIn(BaseModel):
    confirm: bool = Field(description="true: the admin confirmed that everything about the person is erased")


class ErasureOut(BaseModel):
    id: str = Field(description="The erasure record's id (its audit line)")
    conversations: int
    messages: int
    notes: int
    safety_flags: int
    appointments_cancelled: int
    appointments_anonymised: int
    home_visits: int
    trackers_reset: int | None = Field(description="Rasa trackers emptied (fewer than conversations: Rasa was down)")


@router.post("/conversations/{conversation_id}/erase", response_model=ErasureOut,
             responses={404: {"description": "No such conversation"},
                        422: {"description": "Not confirmed"}},
             summary="Erase everything about the person behind this conversation (admins)")
def erase_conversation(conversation_id: str, body: EraseIn, admin: Admin, session: SessionDep) -> dict[str, Any]:
    """The same erasure as the person's own request (app/conversations/erasure.py), for a
    request made to the team (by mail, at the desk): the conversation, the person's
    other conversations linked by their phone number, appointments, home-visit requests,
    notes, flags and Rasa's trackers. The audit keeps who and when, never what."""
    if not body.confirm:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "confirm: must be true to erase")
    conv = _conversation(session, conversation_id)
    result = erasure.erase_person(session, conv, utcnow(), door="console", counsellor_id=admin.id)
    accounts.audit(session, admin.id, "erase")
    session.commit()  # Rasa's trackers are emptied after the commit (trackers_reset)
    return {"id": result.id, "conversations": len(result.conversation_ids), "messages": result.messages,
            "notes": result.notes, "safety_flags": result.safety_flags,
            "appointments_cancelled": result.appointments_cancelled,
            "appointments_anonymised": result.appointments_anonymised, "home_visits": result.home_visits,
            "trackers_reset": result.trackers_reset}


class PhraseIn(BaseModel):
    key: str = Field(max_length=64, description="A phrasebook key (GET /api/console/phrasebook)")
    day: date | None = Field(default=None, description="YYYY-MM-DD, for phrases with a day")
    time: dt_time | None = Field(default=None, description="HH:MM, Brussels time, for phrases with a time")


class PreviewIn(PhraseIn):
    language: str = Field(max_length=2, description="The language to render the phrase in")


def _choice(body: PhraseIn) -> PhraseChoice:
    return PhraseChoice(key=body.key, day=body.day, at=body.time)


def _phrase(body: PhraseIn, language: str | None) -> str:
    try:
        return render_phrase(_choice(body), language, utcnow())
    except PhraseError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(exc)) from None


@router.get("/phrasebook", summary="The phrasebook: keys and the values each phrase needs (day, time)")
def phrasebook(me: Me) -> list[dict[str, Any]]:
    return [{"key": key, "needs": list(needs)} for key, needs in PHRASES.items()]


@router.post("/phrasebook/preview", summary="A phrase rendered in a language, without sending it",
             responses={422: {"description": "Unknown phrase, missing or past day or time, closed then"}})
def preview_phrase(body: PreviewIn, me: Me) -> dict[str, str]:
    if body.language not in LANGUAGES:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "language: not one of the nine languages")
    return {"language": body.language, "text": _phrase(body, body.language)}


@router.post("/conversations/{conversation_id}/phrase", status_code=201,
             responses={409: {"description": "Take the conversation first"},
                        422: {"description": "Unknown phrase, missing or past day or time, closed then"}},
             summary="Send a phrasebook entry, rendered in the user's language")
def send_phrase(conversation_id: str, body: PhraseIn, me: Me, session: SessionDep) -> dict[str, Any]:
    conv = _held(session, conversation_id, me)
    text = _phrase(body, conv.language)
    msg = handoff.reply(session, conv, me.account, text)
    if body.key == "phrase_safe_to_call":
        # The yes/no that follows is recorded like the assistant's own question.
        conv.asked_safe_to_contact, conv.safe_to_contact = True, None
    return {"id": msg.id, "status": msg.status, "channel": msg.channel, "text": text}


class FlagIn(BaseModel):
    message_id: int = Field(ge=1, le=bounds.MAX_ID)
    category: Category | None = Field(default=None, description="For a missed danger message: what it was")


class FlagOut(BaseModel):
    id: int
    message_id: int
    conversation_id: str
    kind: FlagKind
    category: str | None
    language: str | None
    text: str
    counsellor: str | None
    created_at: datetime


@router.post("/conversations/{conversation_id}/safety-flags", response_model=FlagOut, status_code=201,
             responses={404: {"description": "No such message in this conversation"},
                        409: {"description": "This message is already flagged"},
                        422: {"description": "A missed message needs its category"}},
             summary="Flag a danger alert as wrong, or a user's message the danger screen missed")
def flag_message(conversation_id: str, body: FlagIn, me: Me, session: SessionDep) -> dict[str, Any]:
    conv = _conversation(session, conversation_id)
    msg = session.get(Message, body.message_id)
    if msg is None or msg.conversation_id != conv.id or msg.direction != Direction.inbound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no message from the user with this id here")
    alerted = bool(msg.intent and msg.intent.startswith("danger:"))
    if not alerted and body.category is None:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "category: say which danger the screen missed")
    if session.scalar(select(SafetyFlag.id).where(SafetyFlag.message_id == msg.id)) is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, "this message is already flagged")
    flag = SafetyFlag(message_id=msg.id, conversation_id=conv.id,
                      kind=FlagKind.false_alarm if alerted else FlagKind.missed,
                      category=(msg.intent or "").removeprefix("danger:") if alerted else str(body.category),
                      counsellor_id=me.id, created_at=utcnow())
    session.add(flag)
    session.flush()
    accounts.audit(session, me.id, "safety_flag", conv.id)
    return _flag_out(flag, msg, {me.id: me.account.display_name})


def _flag_out(flag: SafetyFlag, msg: Message, names: dict[int, str]) -> dict[str, Any]:
    return {"id": flag.id, "message_id": msg.id, "conversation_id": flag.conversation_id, "kind": flag.kind,
            "category": flag.category, "language": msg.language, "text": msg.text,
            "counsellor": names.get(flag.counsellor_id) if flag.counsellor_id else None,
            "created_at": flag.created_at}


def safety_flags(session: Session) -> list[dict[str, Any]]:
    names = _names(session)
    rows = session.execute(select(SafetyFlag, Message).join(Message, Message.id == SafetyFlag.message_id)
                           .order_by(SafetyFlag.id.desc()).limit(500)).all()
    return [_flag_out(flag, msg, names) for flag, msg in rows]


@router.get("/safety-flags", response_model=list[FlagOut],
            summary="Flagged danger alerts and missed danger messages, newest first (admins)")
def list_flags(me: Me, session: SessionDep) -> list[dict[str, Any]]:
    if me.account.role != "admin":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "admins only")
    return safety_flags(session)


def _events_after(after: int) -> list[dict[str, Any]]:
    with get_sessionmaker()() as session:
        rows = session.scalars(select(ConsoleEvent).where(ConsoleEvent.id > after).order_by(ConsoleEvent.id).limit(100))
        return [{"id": e.id, "kind": e.kind, "conversation_id": e.conversation_id, "urgent": e.urgent,
                 "counsellor_id": e.counsellor_id, "at": e.created_at.isoformat()} for e in rows]


def _last_event_id() -> int:
    with get_sessionmaker()() as session:
        return session.scalar(select(func.max(ConsoleEvent.id))) or 0


async def _stream(start: int) -> AsyncIterator[dict[str, Any]]:
    # The response ends the stream when the client leaves or the server stops, and pings.
    settings = get_settings()
    last, started = start, time.monotonic()
    # Woken by the bus when a console event is committed (in any gateway process, with
    # Redis), with a slow fallback read (channels.web.push.fallback_seconds).
    signal = bus.Signal(bus.get_bus(), bus.CONSOLE)
    try:
        yield {"retry": 2000}
        while (left := settings.widget_stream_seconds - (time.monotonic() - started)) > 0:
            for item in await run_in_threadpool(_events_after, last):
                last = item["id"]
                yield {"id": str(last), "event": item["kind"], "data": json.dumps(item)}
            await signal.wait(min(left, push.fallback_seconds(settings)))
    finally:
        signal.close()


@router.get("/events", responses={200: {"content": {"text/event-stream": {}},
                                        "description": "Server-sent events: waiting, urgent, alert, danger, taken, "
                                                       "released, closed, message, replied, updated, erased"}})
async def events(request: Request, me: Me, last_event_id: Annotated[str | None, Header(max_length=20)] = None,
                 ) -> streams.LeasedEventSourceResponse:
    # An id out of range (ids are INTEGERs) starts from now, as a non-number always did.
    start = bounds.small_int(last_event_id)
    if start is None:
        start = await run_in_threadpool(_last_event_id)
    # A few streams per console session, a few dozen per address (429 beyond).
    lease = streams.open_stream("console", str(me.session.id), request.client.host if request.client else None)
    return streams.LeasedEventSourceResponse(_stream(start), lease=lease)
