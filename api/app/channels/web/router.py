"""The website chat widget: signed sessions, messages, history, pushed messages, and
the files a page embeds (/widget.js) plus a demo page (/)."""

from __future__ import annotations

import html
import logging
import re
import string
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response, status
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
)
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.channels.web import push, repository, tokens
from app.channels.web.schemas import (
    WidgetAppointments,
    WidgetHistory,
    WidgetMessageRequest,
    WidgetPrivacy,
    WidgetReply,
    WidgetSession,
)
from app.conversations import erasure, queue, rasa
from app.conversations import repository as conversations
from app.conversations.models import Channel
from app.conversations.service import handle_incoming
from app.core import bounds, streams
from app.core.db import get_session, utcnow
from app.core.facts import get_facts
from app.core.headers import page_csp
from app.core.ratelimit import get_origins
from app.core.settings import get_settings
from app.i18n.catalogue import fact_values
from app.language.detect import NATIVE_NAMES

log = logging.getLogger("app.channels.web")

STATIC = Path(__file__).resolve().parents[2] / "static"

router = APIRouter(prefix="/api/widget", tags=["widget"])
pages = APIRouter(include_in_schema=False)

UNAUTHORIZED = {401: {"description": "Missing, forged, tampered or expired token"}}


def identify(token: str | None) -> tokens.WidgetIdentity:
    settings = get_settings()
    max_age = timedelta(days=settings.widget_token_max_age_days).total_seconds()
    try:
        return tokens.verify(token, settings.secret_key.get_secret_value(), max_age)
    except tokens.InvalidToken as exc:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED,
                            f"{exc}: start a new conversation with POST /api/widget/session") from None


def _refreshed(identity: tokens.WidgetIdentity) -> str:
    return tokens.issue(get_settings().secret_key.get_secret_value(), identity.conversation)


@router.post("/session", status_code=201, response_model=WidgetSession)
def new_session() -> dict[str, str]:
    # Nothing is stored until the first message: the conversation exists from then on.
    return {"token": tokens.issue(get_settings().secret_key.get_secret_value())}


@router.post("/messages", response_model=WidgetReply,
             responses={**UNAUTHORIZED, 422: {"description": "Empty, non-text or over-long message"},
                        503: {"description": "The assistant is down; the message is stored"}})
def post_message(body: WidgetMessageRequest, request: Request,
                 session: Session = Depends(get_session, scope="function")):  # noqa: B008
    identity = identify(body.token)
    before = repository.last_message_id(session, identity.key)
    # Bookings the assistant makes for this conversation count against this client's
    # limits: fresh widget tokens do not reset them.
    get_origins().remember(identity.key, request.client.host if request.client else None)
    try:
        reply = handle_incoming(session, identity.key, Channel.web, body.text, label=body.label,
                                language=body.language)
    except queue.Backlog as exc:
        # Not stored: the widget keeps the text in the box and the person sends it again.
        return JSONResponse(status_code=429, headers={"Retry-After": str(exc.retry_after)}, content={
            "detail": f"{exc}: this message was not stored, send it again in a few seconds"})
    token = _refreshed(identity)
    if reply.erased:
        # Erased on request: the goodbye is not stored, and the widget gets a new
        # conversation token so nothing leads back to the erased one.
        done = [{"id": None, "direction": "out", "language": reply.language, **m} for m in reply.messages]
        return {"messages": done, "language": reply.language,
                "token": tokens.issue(get_settings().secret_key.get_secret_value())}
    if reply.unavailable:
        # The apology is not stored (it is not part of the conversation), hence no id.
        notices = [{"id": None, "direction": "out", "language": reply.language, **m} for m in reply.messages]
        return JSONResponse(status_code=503, content={
            "detail": "The assistant is temporarily unavailable. Your message has been saved.",
            "messages": notices, "language": reply.language, "token": token})
    # The stored rows, with their ids: the event stream sends the same messages, and
    # the widget shows each id once whichever arrives first.
    stored = repository.as_dicts(session, repository.outbound_after(session, identity.key, before))
    return {"messages": stored, "language": reply.language, "token": token}


@router.get("/history", response_model=WidgetHistory, responses=UNAUTHORIZED)
def history(token: str = Query(default=""), session: Session = Depends(get_session, scope="function")):  # noqa: B008
    identity = identify(token)
    conv = conversations.get_by_key(session, identity.key)
    if conv is None:  # a session that has not sent anything yet
        return {"messages": [], "language": None}
    return {"messages": repository.as_dicts(session, conversations.history(session, conv)),
            "language": conv.language}


@router.get("/privacy", response_model=WidgetPrivacy)
def privacy() -> dict[str, int]:
    """What the widget's privacy notice needs from the gateway: how long messages are kept."""
    return {"retention_days": get_settings().retention_days}


@router.get("/appointments", response_model=WidgetAppointments, responses=UNAUTHORIZED)
def upcoming_appointments(token: str = Query(default=""), session: Session = Depends(get_session, scope="function")):  # noqa: B008
    """The conversation's upcoming appointments (reference, service, start): shown before
    the widget forgets the conversation on a shared phone, so the person can note them."""
    identity = identify(token)
    conv = conversations.get_by_key(session, identity.key)
    if conv is None:
        return {"appointments": []}
    return {"appointments": [{"reference": a.reference, "service": str(a.service), "starts_at": a.starts_at}
                             for a in erasure.upcoming_appointments(session, conv, utcnow())]}


@router.delete("/conversation", status_code=204, responses=UNAUTHORIZED)
def delete_conversation(token: str = Query(default=""), session: Session = Depends(get_session, scope="function")) -> Response:  # noqa: B008
    """"Delete my data" from the widget's menu: the same erasure as in conversation (the
    conversation and its messages, upcoming appointments cancelled, name and phone
    blanked). Idempotent: a conversation that was never stored, or already erased, is a 204."""
    identity = identify(token)
    conv = conversations.get_by_key(session, identity.key)
    if conv is not None:
        conversation_id = conv.id
        cancelled = erasure.erase(session, conv, utcnow(), door="widget")
        session.commit()
        log.info("widget conversation erased on request (%d upcoming appointments cancelled)", cancelled)
        rasa.forget(conversation_id)
    return Response(status_code=204)


@router.get("/events", responses={**UNAUTHORIZED, 200: {"content": {"text/event-stream": {}},
                                                         "description": "Server-sent events"}})
async def events(request: Request, token: str = Query(default=""),
                 after: int | None = Query(default=None, ge=0, le=bounds.MAX_ID,
                                           description="Send messages after this id (default: only new ones)"),
                 last_event_id: str | None = Header(default=None, max_length=40)) -> streams.LeasedEventSourceResponse:
    identity = identify(token)
    # On a reconnection the browser says where it stopped; that wins over the URL's
    # `after`. The browser only echoes ids this stream sent: anything else is refused.
    try:
        resumed = bounds.id_number(last_event_id, "Last-Event-ID")
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    if resumed is not None:
        start = resumed
    elif after is not None:
        start = after
    else:
        start = await run_in_threadpool(push.last_id, identity.key)
    # A few streams per conversation, a few dozen per address (429 beyond).
    lease = streams.open_stream("widget", identity.key, request.client.host if request.client else None)
    return streams.LeasedEventSourceResponse(push.stream(identity.key, start, get_settings()), lease=lease)


@pages.get("/widget.js")
def widget_js() -> FileResponse:
    # Short cache: pages that embed the widget pick up a new version within minutes.
    return FileResponse(STATIC / "widget.js", media_type="text/javascript; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=300"})


@lru_cache
def _demo_template() -> string.Template:
    return string.Template((STATIC / "index.html").read_text(encoding="utf-8"))


@lru_cache
def _demo_csp() -> str:
    # The demo page's one inline <style> is allowed by its hash, nothing else inline;
    # the widget it loads is the gateway's own script, calling the gateway.
    styles = re.findall(r"<style>(.*?)</style>", _demo_template().template, re.S)
    return page_csp(inline_styles=tuple(styles))


@pages.get("/", response_class=HTMLResponse)
def demo_page() -> HTMLResponse:
    # The facts come from config/service.yml, like every other text of the service.
    values = {k: html.escape(v) for k, v in fact_values("en").items()}
    values["phone_uri"] = html.escape("".join(ch for ch in get_facts().phone if ch == "+" or ch.isdigit()))
    values["native_languages"] = html.escape(" · ".join(NATIVE_NAMES.values()))
    return HTMLResponse(_demo_template().substitute(values), headers={"Content-Security-Policy": _demo_csp()})
