"""When an outbound message is tried again, and when it is given up (status 'failed',
with an error counsellors can read)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from app.conversations.models import Message, MessageStatus
from app.core.settings import Settings

# Twilio error codes that another try cannot fix: the number opted out, does not
# exist, is a landline, is not on WhatsApp, is blocked or filtered, or WhatsApp's
# 24-hour window is closed. Any other undelivered message is tried again.
OPTED_OUT_ERRORS = frozenset({21610})
PERMANENT_ERRORS = OPTED_OUT_ERRORS | frozenset({
    21211, 21212, 21408, 21612, 21614, 21635,   # invalid, unroutable or non-mobile number
    30004, 30005, 30006, 30007, 30034,          # blocked, unknown, landline, filtered, unregistered
    63003, 63016, 63024, 63032,                 # WhatsApp: not a WhatsApp user, window closed, invalid
})

ERROR_MAX = 200  # the width of Message.error


def _clip(text: str) -> str:
    return text if len(text) <= ERROR_MAX else text[: ERROR_MAX - 1] + "…"


def backoff_seconds(attempts: int, settings: Settings) -> float:
    """30 s, 1 min, 2 min, 4 min ... (with the default base), capped."""
    delay = settings.twilio_retry_base_seconds * 2 ** max(0, attempts - 1)
    return min(settings.twilio_retry_max_seconds, delay)


def mark_failed(msg: Message, error: str) -> None:
    msg.status = MessageStatus.failed
    msg.error = _clip(error)
    msg.next_attempt_at = None


def mark_sent(msg: Message, sid: str | None) -> None:
    msg.status = MessageStatus.sent
    if sid:
        msg.external_id = sid
    msg.error = None
    msg.next_attempt_at = None


def schedule_retry(msg: Message, reason: str, now: datetime, settings: Settings,
                   retry_after: float | None = None) -> bool:
    """Queue the message again after a backoff, or give it up after the last attempt.
    Returns True when it will be tried again."""
    if msg.attempts >= settings.twilio_send_max_attempts:
        mark_failed(msg, f"{reason}; gave up after {msg.attempts} attempts")
        return False
    delay = backoff_seconds(msg.attempts, settings)
    if retry_after is not None:
        delay = max(delay, retry_after)
    # A little jitter keeps messages rate-limited together from coming back together.
    delay *= 1 + random.uniform(0, 0.1)  # not cryptographic
    msg.status = MessageStatus.queued
    msg.next_attempt_at = now + timedelta(seconds=delay)
    msg.error = _clip(f"{reason}; will try again")
    return True
