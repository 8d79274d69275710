"""Reading Twilio's inbound message webhook: who wrote, on which channel, and what.

Twilio posts form fields: From ("+32470123456" or "whatsapp:+32470123456"), To,
Body, MessageSid, NumMedia and MediaUrl0..., Latitude/Longitude for a WhatsApp
location, and more that the gateway does not need (ProfileName is never stored).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from app.conversations.models import Channel
from app.core.text import BadText, TooLong, clean_text, cut

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f-\x9f]")
WHATSAPP_PREFIX = "whatsapp:"

# Twilio's own opt-out handling on SMS: these words, alone in a message, block every
# later message to the number (error 21610) until an opt-in word; Twilio answers them
# itself. The gateway mirrors it so the outbox does not even try.
SMS_OPT_OUT = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
SMS_OPT_IN = frozenset({"START", "UNSTOP", "YES"})
# On WhatsApp nobody filters for us, so only words that cannot mean anything else opt
# out: "cancel" alone there goes to the assistant (a reminder says "write cancel
# <reference>"), and "yes" is an answer, not an opt-in.
WHATSAPP_OPT_OUT = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE"})
WHATSAPP_OPT_IN = frozenset({"START", "UNSTOP"})

MEDIA_TEXT = "[media]"
LOCATION_TEXT = "[location]"
EMPTY_TEXT = "[empty]"


class BadWebhook(ValueError):
    """A signed request without the fields every inbound message has."""


class Kind(StrEnum):
    text = "text"
    media = "media"
    location = "location"
    empty = "empty"
    too_long = "too_long"


class OptChange(StrEnum):
    opt_out = "opt_out"
    opt_in = "opt_in"


@dataclass(frozen=True)
class Inbound:
    sid: str
    channel: Channel
    number: str  # E.164, or what Twilio gave when it is not a phone number
    kind: Kind
    text: str    # the body, or a placeholder such as "[media]" (what is stored)
    # Photos and voice notes: (url, content type); kept only during a handoff, for the counsellor.
    media: tuple[tuple[str, str], ...] = ()

    @property
    def key(self) -> str:
        # One conversation per number, whichever channel it writes on.
        return f"tel:{self.number}"

    @property
    def is_phone_number(self) -> bool:
        return bool(E164.match(self.number))


def parse(form: Mapping[str, str], endpoint_channel: Channel) -> Inbound:
    sid = (form.get("MessageSid") or form.get("SmsSid") or "").strip()
    sender = (form.get("From") or "").strip()
    if not sid or not sender:
        raise BadWebhook("MessageSid and From are required")
    if len(sid) > 64:
        raise BadWebhook("MessageSid is too long")
    # The prefix says which channel the message came on, even if a Twilio number was
    # pointed at the other endpoint by mistake.
    if sender.startswith(WHATSAPP_PREFIX):
        channel, number = Channel.whatsapp, sender.removeprefix(WHATSAPP_PREFIX)
    else:
        channel, number = (Channel.sms if endpoint_channel is Channel.whatsapp else endpoint_channel), sender

    if _CONTROL_OR_SPACE.search(sid):
        raise BadWebhook("MessageSid is malformed")
    # The one text rule of every door (app.core.text). Twilio cannot be refused a
    # message, so a body that breaks it is answered like media: an empty one (zero-width
    # spaces only, controls only) is empty, an over-long one (WhatsApp carries 4,096
    # characters) is stored cut to the limit and gets a "write shorter" reply.
    body, too_long = form.get("Body") or "", False
    try:
        body = clean_text(body)
    except TooLong:
        body, too_long = cut(body), True
    except BadText:
        body = ""
    try:
        num_media = int(form.get("NumMedia") or 0)
    except ValueError:
        num_media = 0
    if form.get("Latitude") and form.get("Longitude"):
        # A shared place is not a question (its label is not either); its coordinates
        # are personal data and are not stored.
        kind, text = Kind.location, LOCATION_TEXT
    elif too_long:
        kind, text = Kind.too_long, body
    elif body:
        # A caption with a photo is read as the message; the photo itself is not.
        kind, text = Kind.text, body
    elif num_media > 0 or form.get("MediaUrl0"):
        kind, text = Kind.media, MEDIA_TEXT
    else:
        kind, text = Kind.empty, EMPTY_TEXT
    media = tuple(
        (form.get(f"MediaUrl{i}", "")[:500], form.get(f"MediaContentType{i}", "")[:100])
        for i in range(min(num_media, 10)) if form.get(f"MediaUrl{i}", "").startswith("https://"))
    return Inbound(sid=sid, channel=channel, number=number, kind=kind, text=text, media=media)


def opt_change(text: str, channel: Channel, opted_out: bool) -> OptChange | None:
    """An opt-out or opt-in keyword, alone in the message (any case, surrounding
    spaces ignored, nothing else: "stop please" or "annuler" are ordinary messages)."""
    words = text.upper().split()
    if len(words) != 1:
        return None
    word = words[0]
    opt_out, opt_in = ((WHATSAPP_OPT_OUT, WHATSAPP_OPT_IN) if channel is Channel.whatsapp
                       else (SMS_OPT_OUT, SMS_OPT_IN))
    if word in opt_out:
        return OptChange.opt_out
    if word in opt_in and (opted_out or word != "YES"):
        # "yes" is an answer to the assistant unless the number is opted out.
        return OptChange.opt_in
    return None
