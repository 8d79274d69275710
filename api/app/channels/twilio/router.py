"""Twilio webhooks: inbound SMS and WhatsApp messages, and delivery status callbacks.

Verify (signature against PUBLIC_BASE_URL) → persist once (MessageSid is unique) →
process (the assistant, in a worker thread) → acknowledge (TwiML with the answer if
it came within TWILIO_REPLY_TIMEOUT_SECONDS, else empty TwiML and the outbox sends
the answer when it comes).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Future

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from twilio.twiml.messaging_response import MessagingResponse

from app.channels.twilio import inbound as inbound_mod
from app.channels.twilio import service, workers
from app.channels.twilio.rest import status_callback_url
from app.channels.twilio.signature import verified_form
from app.channels.twilio.status import apply_status
from app.conversations.models import Channel
from app.core import bounds
from app.core.db import get_session, utcnow
from app.core.settings import get_settings

log = logging.getLogger("app.channels.twilio")

PREFIX = "/webhooks/twilio"
SMS_PATH, WHATSAPP_PATH, STATUS_PATH = f"{PREFIX}/sms", f"{PREFIX}/whatsapp", f"{PREFIX}/status"
# After the reply timeout, how long the webhook still waits for the message to be
# stored before acknowledging (Twilio gives up on a webhook after 15 seconds).
STORE_GRACE_SECONDS = 8.0

router = APIRouter(prefix=PREFIX, tags=["twilio"])

SIGNED = {403: {"description": "Missing or invalid X-Twilio-Signature"}}
TWIML = {200: {"content": {"application/xml": {}}, "description": "TwiML: the answer, or empty"}}

# Characters XML 1.0 cannot carry at all (escaping does not help).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def signed_form(path: str) -> Callable[[Request], Awaitable[FormData]]:
    async def dependency(request: Request) -> FormData:
        return await verified_form(request, path)
    return dependency


def twiml(messages: list[service.Outgoing]) -> Response:
    response = MessagingResponse()
    for msg in messages:
        if msg.message_id is not None:
            # Status callbacks for this message name our row (signed like the rest).
            action = f"{status_callback_url(get_settings())}?message={msg.message_id}"
            response.message(_NOT_XML.sub("", msg.text), action=action, method="POST")
        else:
            response.message(_NOT_XML.sub("", msg.text))
    return Response(response.to_xml(), media_type="application/xml")


async def _until_stored(handoff: service.Handoff, future: Future[service.Result], deadline: float) -> None:
    while not handoff.stored.is_set() and not future.done() and time.monotonic() < deadline:
        await asyncio.sleep(0.02)


async def _receive(form: FormData, endpoint: Channel) -> Response:
    try:
        message = inbound_mod.parse(form, endpoint)
    except inbound_mod.BadWebhook as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    if not message.is_phone_number:
        # An operator's alphanumeric sender or a short code: nobody to answer.
        log.warning("message %s ignored: the sender is not a phone number", message.sid)
        return twiml([])

    handoff = service.Handoff()
    future = workers.submit(service.process, message, handoff)
    timeout = get_settings().twilio_reply_timeout_seconds
    # asyncio.wait never cancels the worker: a late answer still reaches the outbox.
    done, _ = await asyncio.wait({asyncio.wrap_future(future)}, timeout=timeout)
    if not done and handoff.give_to_outbox():
        await _until_stored(handoff, future, time.monotonic() + STORE_GRACE_SECONDS)
        if handoff.stored.is_set():
            log.info("message %s: answer not ready in %ss, acknowledged", message.sid, timeout)
            return twiml([])
        if not future.done():
            # Still not stored: say so, rather than acknowledge a message we may lose.
            log.error("message %s: not stored within the grace period", message.sid)
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "message not stored yet")
    try:
        result = await asyncio.wrap_future(future)
    except Exception:
        log.exception("message %s: processing failed", message.sid)
        if handoff.stored.is_set():
            return twiml([])
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "the message could not be stored") from None
    return twiml(result.messages)


@router.post("/sms", response_class=Response, responses={**TWIML, **SIGNED},
             summary="Inbound SMS (Twilio messaging webhook)")
async def sms_webhook(form: FormData = Depends(signed_form(SMS_PATH))) -> Response:  # noqa: B008
    return await _receive(form, Channel.sms)


@router.post("/whatsapp", response_class=Response, responses={**TWIML, **SIGNED},
             summary="Inbound WhatsApp message (Twilio messaging webhook)")
async def whatsapp_webhook(form: FormData = Depends(signed_form(WHATSAPP_PATH))) -> Response:  # noqa: B008
    return await _receive(form, Channel.whatsapp)


@router.post("/status", status_code=204, response_class=Response, responses=SIGNED,
             summary="Delivery status callback for outbound messages")
def status_webhook(request: Request, form: FormData = Depends(signed_form(STATUS_PATH)),  # noqa: B008
                   session: Session = Depends(get_session, scope="function")) -> Response:  # noqa: B008
    sid = (form.get("MessageSid") or form.get("SmsSid") or "").strip()
    state = (form.get("MessageStatus") or form.get("SmsStatus") or "").strip()
    if not sid or not state:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "MessageSid and MessageStatus are required")
    if len(sid) > 64 or len(state) > 32:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "MessageSid or MessageStatus is malformed")
    # Twilio's error codes are five digits, our row ids fit an INTEGER: a larger or
    # non-ASCII number is ignored, never int()'d whole (5,000 digits failed there).
    outcome = apply_status(session, sid=sid, status=state,
                           error_code=bounds.small_int(form.get("ErrorCode"), high=10**9),
                           message_id=bounds.small_int(request.query_params.get("message")), now=utcnow(),
                           settings=get_settings())
    log.info("status callback %s: %s -> %s", sid, state, outcome)
    return Response(status_code=204)
