"""Rasa's NLG endpoint: the bot names a response, the gateway writes it in the
conversation's language with the service's facts."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from app.conversations import repository
from app.core.db import get_session
from app.core.security import check_token
from app.core.settings import get_settings
from app.i18n.catalogue import LANGUAGES, has_text, render

router = APIRouter(include_in_schema=False)
log = logging.getLogger("app.nlg")


def language_of(tracker: dict[str, Any]) -> str | None:
    for event in reversed(tracker.get("events") or []):
        if event.get("event") == "user":
            lang = (event.get("metadata") or {}).get("language")
            if lang in LANGUAGES:
                return lang
    return None


@router.post("/internal/nlg")
def nlg(body: dict[str, Any], token: str | None = Query(default=None),
        session: Session = Depends(get_session)) -> dict[str, Any]:  # noqa: B008
    check_token(token, get_settings().nlg_token)
    tracker = body.get("tracker") or {}
    lang = language_of(tracker)
    if lang is None and tracker.get("sender_id"):
        conv = repository.get_by_id(session, tracker["sender_id"])
        lang = conv.language if conv else None
    name = body.get("response") or ""
    arguments = {k: v for k, v in (body.get("arguments") or {}).items()
                 if isinstance(v, (str, int, float)) and k not in ("template", "response")}
    if not has_text(name):
        log.error("no text for response %s", name)
        name = "utter_default"
    rendered = render(name, lang, **arguments)
    return {"text": rendered.text, "buttons": rendered.buttons}
