"""What the gateway does with a danger message: answer at once in the user's language
(112 first for a life at stake, the help line that fits, an honest word on when a
counsellor will see it), put the conversation in the queue marked urgent, alert the
counsellor who holds it or the person on call. Rasa is never involved: this works
when the assistant is down."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from app.conversations.models import Conversation, HandoffState, Message, MessageStatus
from app.handoff import alerts
from app.handoff import service as handoff
from app.handoff.availability import Availability, availability
from app.i18n.catalogue import render
from app.safety.screen import Category, Screening

log = logging.getLogger("app.safety")

# Violence and trafficking: the person may not be alone with their phone.
DISCREET = {Category.violence, Category.trafficking}


def reply_texts(screening: Screening, language: str, conv: Conversation, avail: Availability, *,
                on_call_alerted: bool, ask_safe_to_contact: bool) -> list[str]:
    category = screening.category
    assert category is not None
    # A possible danger (the model's guess, no list matched): 112 and a person all the same,
    # in words that fit a doubt, never a diagnosis.
    first = render("danger_possible" if screening.possible else f"danger_{category.value}", language).text
    if conv.handoff_state == HandoffState.taken:
        when = render("danger_when_taken", language).text
    else:
        when = handoff.waiting_notice(avail, prefix="danger_when").render(language)
    if on_call_alerted:
        when += " " + render("danger_on_call", language).text
    texts = [first, when]
    if ask_safe_to_contact:
        texts.append(render("ask_safe_to_contact", language).text)
    return texts


def respond(session: Session, conv: Conversation, inbound: Message, screening: Screening,
            language: str, now: datetime) -> list[str]:
    """Mark the conversation urgent, alert whoever must know, return the texts to send."""
    category = screening.category
    assert category is not None
    inbound.intent = f"danger:{category.value}"
    was_taken = conv.handoff_state == HandoffState.taken
    inbound.status = MessageStatus.for_counsellor if was_taken else MessageStatus.answered
    handoff.start(session, conv, handoff.Reason.danger, urgent=True, category=category.value, now=now)
    if any(c in DISCREET for c in screening.categories):
        conv.discreet = True
    # Asked once per conversation, and only ever recorded as asked when it was.
    ask = conv.discreet and not conv.asked_safe_to_contact
    conv.asked_safe_to_contact = conv.asked_safe_to_contact or ask
    avail = availability(session, now)  # once: the alert and the reply both depend on it
    if was_taken:
        handoff.event(session, "danger", conv, urgent=True, counsellor_id=conv.counsellor_id)
        on_call = False
    else:
        on_call = alerts.alert_urgent(session, conv, now, avail)
    texts = reply_texts(screening, language, conv, avail, on_call_alerted=on_call, ask_safe_to_contact=ask)
    log.warning("conversation %s: danger screen %s (%s%s)", conv.id, screening.level, category,
                ", possible: the model's guess" if screening.possible else "")
    return texts


def choose_language(conv: Conversation, detected: str | None, screening: Screening) -> str:
    """The user's language for the danger reply, never a menu. A language whose phrase
    list matched wins: the detected one or the conversation's if the list of either
    matched (short or transliterated text fools the detector: "ne hochu bolshe zhit"
    looks French to it), else the conversation's own, else the list that matched."""
    matched = screening.languages
    for lang in (detected, conv.language):
        if lang and lang in matched:
            return lang
    if conv.language:
        return conv.language
    if matched:
        return matched[0]
    return detected or "en"
