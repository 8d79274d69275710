"""Rasa's NLG endpoint: the bot names a response, the gateway writes it in the
conversation's language with the service's facts."""

from __future__ import annotations

import json
import logging
import re
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from starlette.concurrency import run_in_threadpool

from sqlalchemy import func, select, update

from app.appointments.clock import get_now
from app.appointments.parse import fold
from app.appointments.repository import closures_between
from app.conversations import repository
from app.conversations.models import Direction, Message
from app.core.db import get_sessionmaker
from app.core.security import check_token
from app.core.settings import get_settings
from app.appointments.contact import international
from app.i18n.catalogue import LANGUAGES, format_date, format_when, has_text, render
from app.nlg import hours

router = APIRouter(include_in_schema=False)
log = logging.getLogger("app.nlg")


def language_of(tracker: dict[str, Any]) -> str | None:
    for event in reversed(tracker.get("events") or []):
        if event.get("event") == "user":
            lang = (event.get("metadata") or {}).get("language")
            if lang in LANGUAGES:
                return lang
    return None


def localise_arguments(lang: str | None, arguments: dict[str, Any]) -> dict[str, Any]:
    """Actions pass machine values (ISO times, service codes); write them in the language."""
    lang = lang if lang in LANGUAGES else "en"
    out = dict(arguments)
    if isinstance(out.get("starts"), str):
        starts = [s for s in out.pop("starts").split(",") if s]
        out["options"] = "\n".join(f"{i}. {format_when(lang, datetime.fromisoformat(s))}"
                                   for i, s in enumerate(starts, start=1))
    if isinstance(out.get("start"), str):
        out["when"] = format_when(lang, datetime.fromisoformat(out.pop("start")))
    if isinstance(out.get("day"), str):
        try:
            out["day"] = format_date(lang, date.fromisoformat(out["day"]))
        except ValueError:
            out.pop("day")
    if isinstance(out.get("phone_number"), str):
        # Read back in international format (+32 470 12 34 56) for the user to confirm.
        out["phone_number"] = international(out["phone_number"])
    if out.get("service_code") in ("social", "legal"):
        out["service"] = render(f"service_{out.pop('service_code')}", lang).text
    return out


@router.post("/internal/nlg")
async def nlg(request: Request, now: Annotated[datetime, Depends(get_now)],
              token: str | None = Query(default=None)) -> dict[str, Any]:
    # Async and without a database session on the common path: Rasa calls this once per
    # reply, and the gateway passes the language in every message's metadata. The body
    # carries the tracker's state with only the last two user events (Rasa's side:
    # bot/channels/gateway_nlg.py); it is read as plain JSON, not validated field by field.
    check_token(token, get_settings().nlg_token)
    try:
        body = json.loads(await request.body())
    except ValueError:
        raise HTTPException(status_code=400, detail="the body is not JSON") from None
    tracker = body.get("tracker") or {}
    lang = language_of(tracker)
    if lang is None and tracker.get("sender_id"):
        lang = await run_in_threadpool(_stored_language, tracker["sender_id"])
    name = body.get("response") or ""
    arguments = {k: v for k, v in (body.get("arguments") or {}).items()
                 if isinstance(v, (str, int, float)) and k not in ("template", "response")}
    if not has_text(name):
        log.error("no text for response %s", name)
        name = "utter_default"
    if name == "utter_goodbye" and _greeting_first(tracker):
        name = "utter_greet"  # "ciao" / "salut" / "salam" as a first message is a hello
    if name in HOURS_RESPONSES:
        latest = str((tracker.get("latest_message") or {}).get("text") or "")[:500]
        text = await run_in_threadpool(_hours_answer, name, latest, lang, now)
        if text:
            await _record(tracker)
            return {"text": text, "buttons": []}
    rendered = render(name, lang, **localise_arguments(lang, arguments))
    await _record(tracker)
    return {"text": rendered.text, "buttons": rendered.buttons or time_buttons(lang, arguments.get("starts"))}


def time_buttons(lang: str | None, starts: Any) -> list[dict[str, str]]:
    """A list of free times, numbered in the text, is also a button per time (the widget
    shows them; SMS and WhatsApp keep the numbers). The payload is the number."""
    if not isinstance(starts, str):
        return []
    lang = lang if lang in LANGUAGES else "en"
    return [{"title": format_when(lang, datetime.fromisoformat(s)), "payload": str(i)}
            for i, s in enumerate([s for s in starts.split(",") if s], start=1)]


HOURS_RESPONSES = ("utter_social_hours", "utter_legal_hours")
# Words that are both hello and goodbye. At the start of a conversation they greet.
BOTH_WAYS = {"ciao", "salut", "hallo", "hello", "salam", "salaam", "selam", "slm", "hola", "hi", "hey",
             "servus", "moin", "tschuss", "coucou", "yo", "سلام", "السلام", "привет", "merhaba", "ola"}


def _greeting_first(tracker: dict[str, Any]) -> bool:
    """The user's first message, made only of a hello-or-goodbye word ("ciao!", "salut à vous")."""
    users = [e for e in tracker.get("events") or [] if e.get("event") == "user"]
    if len(users) > 1:
        return False
    text = str((tracker.get("latest_message") or {}).get("text") or "")
    words = re.findall(r"[^\W\d_]+", fold(text))
    return bool(words) and len(words) <= 3 and words[0] in BOTH_WAYS


def _hours_answer(name: str, text: str, lang: str | None, now: datetime) -> str | None:
    """Hours that fit the question (a day, the weekend) instead of one fixed text."""
    session = get_sessionmaker()()
    try:
        return hours.answer(name, text, lang, now,
                            lambda first, last: closures_between(session, first, last))
    except Exception:  # noqa: BLE001 - the fixed text is still right, only less precise
        log.exception("hours answer failed; the fixed hours text is sent")
        return None
    finally:
        session.close()


async def _record(tracker: dict[str, Any]) -> None:
    intent = ((tracker.get("latest_message") or {}).get("intent") or {}).get("name")
    if isinstance(intent, str) and intent and tracker.get("sender_id"):
        await run_in_threadpool(_record_intent, str(tracker["sender_id"]), intent[:64])


def _record_intent(conversation_id: str, intent: str) -> None:
    """What the assistant understood, on the user's latest message (for counsellors)."""
    session = get_sessionmaker()()
    try:
        latest = session.scalar(select(func.max(Message.id)).where(
            Message.conversation_id == conversation_id, Message.direction == Direction.inbound))
        if latest is not None:
            session.execute(update(Message).where(Message.id == latest, Message.intent.is_(None))
                            .values(intent=intent))
            session.commit()
    except Exception:  # noqa: BLE001 - a transcript detail must never break a reply
        session.rollback()
        log.warning("could not record the intent of conversation %s", conversation_id)
    finally:
        session.close()


def _stored_language(conversation_id: str) -> str | None:
    session = get_sessionmaker()()
    try:
        conv = repository.get_by_id(session, conversation_id)
        return conv.language if conv else None
    finally:
        session.close()
