"""One incoming message, from any channel: store it, settle its language, get the
assistant's answer, store the answer. Shared by the web chat and Twilio."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import ObjectDeletedError

from app.conversations import erasure, queue, rasa, repository
from app.conversations.models import (
    Channel,
    Conversation,
    Direction,
    HandoffState,
    Message,
    MessageKind,
    MessageStatus,
)
from app.core.db import utcnow
from app.handoff import service as handoff
from app.handoff import words as handoff_words
from app.i18n.catalogue import Rendered, render
from app.language.detect import get_detector, is_neutral, menu_choice, menu_text, requested_switch, words
from app.safety import respond as danger
from app.safety.screen import screen

log = logging.getLogger("app.conversations")

# A conversation that already has a language changes it only on an explicit request,
# on a change of script, or on a message long and clear enough to be sure.
SWITCH_MIN_WORDS = 4


@dataclass
class Reply:
    conversation: Conversation
    messages: list[dict[str, Any]] = field(default_factory=list)
    language: str | None = None
    unavailable: bool = False
    erased: bool = False  # the conversation is gone: its reply is not stored


def settle_language(conv: Conversation, text: str, chosen: str | None = None) -> tuple[str | None, str]:
    """Return (language, how). language None means: ask with the numbered menu.

    ``chosen``: the language the person picked in the client (the widget's language
    picker), an explicit choice like "English please"; words in the text still win.
    """
    asked = requested_switch(text)
    if asked:
        return asked, "switch"
    if chosen:
        return chosen, "chosen"
    if conv.awaiting_language:
        chosen = menu_choice(text)
        if chosen:
            return chosen, "menu"
    detection = get_detector().detect(text)
    if conv.language is None:
        if detection.language is None:
            return None, "menu"
        return detection.language, "detected"
    if detection.language is None or detection.language == conv.language:
        return conv.language, "kept"
    if detection.reason == "script":
        return detection.language, "detected"
    if len(words(text)) >= SWITCH_MIN_WORDS and detection.confidence >= 0.9:
        return detection.language, "detected"
    return conv.language, "kept"


def _store_out(session: Session, conv: Conversation, channel: Channel, items: list[Rendered | dict],
               language: str | None, status: MessageStatus,
               kind: MessageKind = MessageKind.bot) -> list[dict[str, Any]]:
    out = []
    for item in items:
        data = item.as_dict() if isinstance(item, Rendered) else item
        msg = repository.add_message(session, conv, Direction.outbound, data["text"], channel=channel,
                                     status=status, language=language, buttons=data.get("buttons") or None)
        msg.kind = kind
        out.append({"text": data["text"], "buttons": data.get("buttons") or [], "kind": str(kind)})
    return out


def _ask_rasa(conv: Conversation, text: str, language: str) -> list[dict[str, Any]]:
    cleaned = rasa.nlu_text(text)
    if not cleaned:
        return [render("utter_default", language).as_dict()]
    raw = rasa.send(conv.id, cleaned, language, conv.channel)
    messages = []
    for item in raw:
        if item.get("text"):
            buttons = [{"title": b.get("title", ""), "payload": b.get("payload", "")}
                       for b in item.get("buttons") or []]
            messages.append({"text": item["text"], "buttons": buttons})
    if not messages:
        # Every rule answers, so silence means a failed turn (an action or the NLG
        # callback broke): say so honestly rather than "I did not understand".
        raise rasa.RasaUnavailable("empty answer")
    return messages


def tapped_label(session: Session, conv: Conversation, payload: str, label: str | None) -> str | None:
    """The label of a quick reply the person tapped, if it is one the assistant offered
    last with this payload; anything else is not kept (a client cannot make the history
    show words other than the ones that were answered)."""
    if not label:
        return None
    last = repository.last_outbound(session, conv)
    offered = json.loads(last.buttons) if last is not None and last.buttons else []
    return label if any(b.get("title") == label and b.get("payload") == payload for b in offered) else None


def handle_incoming(session: Session, key: str, channel: Channel, text: str, *,
                    external_id: str | None = None, label: str | None = None,
                    language: str | None = None, defer_when_full: bool = False,
                    on_stored: Callable[[str], None] | None = None) -> Reply:
    """``label``: the title of the quick reply tapped (``text`` is its payload);
    ``language``: a language the person picked in the client's interface.

    Raises queue.Backlog, before storing anything, when too many messages of this
    conversation are waiting (the API and the widget answer 429), unless
    ``defer_when_full`` (Twilio): the message is then stored and answered later."""
    lines = queue.get_queue()
    conv = repository.get_or_create(session, key, channel)
    with lines.arrival(key, defer_when_full=defer_when_full) as arrival:
        inbound = repository.add_message(session, conv, Direction.inbound, text, channel=channel,
                                         status=MessageStatus.unanswered if arrival.deferred
                                         else MessageStatus.received, language=conv.language,
                                         external_id=external_id,
                                         label=tapped_label(session, conv, text, label))
        session.flush()
        if not arrival.deferred:
            lines.register(key, inbound.id)
    message_id = inbound.id
    try:
        conv.last_user_message_at = utcnow()
        # Stored before anything else can fail: the user's words are never lost.
        session.commit()
    except BaseException:
        lines.done(key, message_id)
        raise
    if on_stored is not None:
        on_stored(conv.id)  # the caller can say "saved" even if what follows fails
    if arrival.deferred:
        log.warning("a conversation's backlog is full: a message is stored and will be answered later")
        return Reply(conversation=conv, language=conv.language)
    if screen(text).danger:
        # Danger never waits in line: 112 and a person, at once.
        try:
            return answer(session, conv, inbound, chosen=language)
        finally:
            lines.done(key, message_id)
    with lines.turn(key, message_id) as ready:
        # The messages before this one were answered meanwhile (other sessions): read
        # the conversation as they left it.
        try:
            session.refresh(conv)
            session.refresh(inbound)
            # End the read at once: on SQLite every transaction holds the write lock
            # (core/db.py), which must not stay held while Rasa thinks.
            session.commit()
        except (ObjectDeletedError, InvalidRequestError):
            # Erased on request by a message before this one: this one went with it.
            session.rollback()
            return Reply(conversation=conv, language=None, erased=True)
        if not ready:
            return _unavailable(session, conv, inbound, conv.language)
        return answer(session, conv, inbound, chosen=language)


def _unavailable(session: Session, conv: Conversation, inbound: Message, language: str | None) -> Reply:
    inbound.status = MessageStatus.unanswered
    reply = Reply(conversation=conv, language=language, unavailable=True)
    reply.messages = [render("service_unavailable", language).as_dict()]
    session.commit()
    return reply


def _danger_reply(session: Session, conv: Conversation, inbound: Message, screening: Any,
                  chosen: str | None = None) -> Reply:
    """A danger message: answered at once by the gateway, in every state, without Rasa."""
    language, _how = settle_language(conv, inbound.text, chosen)
    language = danger.choose_language(conv, language, screening)
    conv.language, conv.awaiting_language = language, False
    inbound.language = language
    texts = danger.respond(session, conv, inbound, screening, language, utcnow())
    reply = Reply(conversation=conv, language=language)
    reply.messages = _store_out(session, conv, Channel(conv.channel), [{"text": t} for t in texts],
                                language, MessageStatus.queued, kind=MessageKind.system)
    session.commit()
    # A booking in progress is dropped: the person needs help, not a form (best effort;
    # the reply above never waits for Rasa).
    rasa.clear_form(conv.id)
    return reply


def _gateway_reply(session: Session, conv: Conversation, inbound: Message, key: str,
                   language: str | None) -> Reply:
    inbound.status = MessageStatus.answered
    reply = Reply(conversation=conv, language=language)
    reply.messages = _store_out(session, conv, Channel(conv.channel), [render(key, language)],
                                language, MessageStatus.queued, kind=MessageKind.system)
    session.commit()
    return reply


def _erase(session: Session, conv: Conversation) -> Reply:
    """The confirmed erasure: the reply is given, never stored (nothing of them is kept)."""
    language = conv.language
    cancelled = erasure.erase(session, conv, utcnow())  # the door: the conversation's channel
    session.commit()
    log.info("conversation erased on request (%d upcoming appointments cancelled)", cancelled)
    rasa.forget(conv.id)
    return Reply(conversation=conv, language=language, erased=True,
                 messages=[render("erasure_done", language).as_dict()])


def answer(session: Session, conv: Conversation, inbound: Message, chosen: str | None = None) -> Reply:
    text = inbound.text
    # Danger first, in every state: before the language menu, the handoff and Rasa.
    screening = screen(text)
    if screening.danger:
        return _danger_reply(session, conv, inbound, screening, chosen)

    if conv.erasure_asked_at is not None:
        # "Delete my data?" was asked: a yes erases, a no keeps; anything else lets the
        # question lapse and is answered as usual.
        conv.erasure_asked_at = None
        confirmed = handoff_words.yes_or_no(text)
        if confirmed:
            return _erase(session, conv)
        if confirmed is False:
            return _gateway_reply(session, conv, inbound, "erasure_kept", conv.language)
    if erasure.is_request(text):
        language, _how = settle_language(conv, text, chosen)
        conv.language = inbound.language = language or conv.language
        conv.erasure_asked_at = utcnow()
        key = "erasure_confirm_appointments" if erasure.upcoming(session, conv, utcnow()) else "erasure_confirm"
        return _gateway_reply(session, conv, inbound, key, conv.language)

    if conv.asked_safe_to_contact and conv.safe_to_contact is None:
        answer_yes = handoff_words.yes_or_no(text)
        if answer_yes is not None:
            conv.safe_to_contact = answer_yes
            handoff.event(session, "updated", conv)
            return _gateway_reply(session, conv, inbound, "safe_to_contact_yes" if answer_yes
                                  else "safe_to_contact_no", conv.language)

    if conv.handoff_state == HandoffState.taken:
        # A counsellor holds the conversation: the assistant is silent.
        language, _how = settle_language(conv, text, chosen)
        if language:
            conv.language = inbound.language = language
        inbound.status = MessageStatus.for_counsellor
        handoff.event(session, "message", conv, counsellor_id=conv.counsellor_id)
        session.commit()
        return Reply(conversation=conv, language=conv.language)

    if conv.handoff_state == HandoffState.waiting and handoff_words.is_withdrawal(text):
        handoff.close(session, conv, None, notify=False)
        return _gateway_reply(session, conv, inbound, "handoff_withdrawn", conv.language)

    language, how = settle_language(conv, text, chosen)
    channel = Channel(conv.channel)
    reply = Reply(conversation=conv)

    if language is None:
        conv.awaiting_language = True
        conv.pending_text = text if not is_neutral(text) else conv.pending_text
        inbound.status = MessageStatus.answered
        reply.messages = _store_out(session, conv, channel, [{"text": menu_text(), "buttons": []}],
                                    None, MessageStatus.queued)
        session.commit()
        return reply

    conv.language = language
    inbound.language = language
    reply.language = language
    pending, conv.pending_text = conv.pending_text, None
    conv.awaiting_language = False

    try:
        if how == "switch":
            rendered = [render("language_switched", language).as_dict()]
        elif how == "menu":
            rendered = (_ask_rasa(conv, pending, language) if pending
                        else [render("utter_greet", language).as_dict()])
        else:
            rendered = _ask_rasa(conv, text, language)
    except rasa.RasaUnavailable as exc:
        log.warning("rasa unavailable: %s (the message is kept, answered when Rasa is back)", exc)
        return _unavailable(session, conv, inbound, language)

    if how != "switch" and is_long(text) and conv.handoff_state == HandoffState.bot:
        # A long message (often a story, often distress) deserves more than one FAQ line:
        # acknowledge it and offer a person; the assistant's rules take the yes or no.
        rendered = [*rendered, render("long_message_ack", language).as_dict()]
        rasa.offer_counsellor(conv.id)
    inbound.status = MessageStatus.answered
    reply.messages = _store_out(session, conv, channel, rendered, language, MessageStatus.queued)
    session.commit()
    return reply


LONG_WORDS = 40


def is_long(text: str) -> bool:
    return len(words(text)) >= LONG_WORDS
