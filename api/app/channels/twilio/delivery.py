"""Sending one claimed outbound message through Twilio and recording what happened.

The caller (the outbox) has claimed the row; this leaves it sent, queued again for a
later try, or failed with an error counsellors can read. Nothing here logs a number
or a text.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx

from app.channels.twilio import rest, retry
from app.conversations.models import Channel, Conversation, Message
from app.core.settings import Settings

log = logging.getLogger("app.channels.twilio")

TEL_PREFIX = "tel:"
WHATSAPP_PREFIX = "whatsapp:"
# WhatsApp accepts a free-form message only within 24 hours of the user's last
# message; later, only an approved template.
WHATSAPP_WINDOW = timedelta(hours=24)


class NotSendable(Exception):
    """The message cannot be sent as it is (configuration or channel rules)."""


@dataclass(frozen=True)
class TwilioRequest:
    to: str
    from_: str
    body: str | None = None
    content_sid: str | None = None
    content_variables: dict[str, str] | None = None


def whatsapp_address(number: str) -> str:
    return number if number.startswith(WHATSAPP_PREFIX) else WHATSAPP_PREFIX + number


def window_open(conv: Conversation, now: datetime) -> bool:
    last = conv.last_user_message_at
    return last is not None and now - last < WHATSAPP_WINDOW


def build_request(msg: Message, conv: Conversation, settings: Settings, now: datetime) -> TwilioRequest:
    # Decrypted here, where the message leaves for Twilio, and nowhere else.
    number = conv.phone
    if not number:
        raise NotSendable("not sent: the conversation's phone number cannot be decrypted (PHONE_ENCRYPTION_KEYS)")
    if Channel(msg.channel) is Channel.whatsapp:
        if not settings.twilio_whatsapp_number:
            raise NotSendable("not sent: TWILIO_WHATSAPP_NUMBER is not set")
        to, from_ = whatsapp_address(number), whatsapp_address(settings.twilio_whatsapp_number)
        if window_open(conv, now):
            return TwilioRequest(to, from_, body=msg.text)
        language = msg.language or conv.language
        content_sid = settings.whatsapp_template_sids.get(language or "")
        if not content_sid:
            raise NotSendable(
                "not sent: more than 24 hours since the user's last WhatsApp message, and no "
                f"approved template for language '{language or '?'}' in WHATSAPP_TEMPLATE_SIDS")
        return TwilioRequest(to, from_, content_sid=content_sid, content_variables={"1": msg.text})
    if not settings.twilio_sms_number:
        raise NotSendable("not sent: TWILIO_SMS_NUMBER is not set")
    return TwilioRequest(number, settings.twilio_sms_number, body=msg.text)


def deliver(msg: Message, conv: Conversation, settings: Settings, client: httpx.Client,
            now: datetime) -> None:
    if conv.opted_out:
        retry.mark_failed(msg, "not sent: the number opted out (STOP); it must send START first")
        return
    try:
        request = build_request(msg, conv, settings, now)
    except NotSendable as exc:
        retry.mark_failed(msg, str(exc))
        log.warning("message %s not sendable: %s", msg.id, exc)
        return

    result = rest.create_message(client, settings, to=request.to, from_=request.from_, body=request.body,
                                 content_sid=request.content_sid, content_variables=request.content_variables)
    if result.outcome is rest.Outcome.accepted:
        retry.mark_sent(msg, result.sid)
        log.info("message %s sent (%s, attempt %s)", msg.id, msg.channel, msg.attempts)
    elif result.outcome is rest.Outcome.retry:
        again = retry.schedule_retry(msg, result.reason, now, settings, result.retry_after)
        log.warning("message %s: %s (%s)", msg.id, result.reason, "will retry" if again else "gave up")
    elif result.outcome is rest.Outcome.ambiguous:
        # It may have gone out: never re-send blindly. Counsellors see it and decide.
        retry.mark_failed(msg, "ambiguous")
        log.error("message %s: %s; marked ambiguous, not re-sent", msg.id, result.reason)
    else:
        if result.error_code in retry.OPTED_OUT_ERRORS:
            conv.opted_out = True
        retry.mark_failed(msg, result.reason)
        log.warning("message %s: %s", msg.id, result.reason)
