"""Creating a message with Twilio's REST API, and what the answer means for a retry.

httpx rather than the twilio Client: the base URL comes from TWILIO_API_BASE_URL (a
local fake server in tests), and the one thing that matters here, whether the request
may have reached Twilio, is visible in httpx's exception types.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from enum import StrEnum

import httpx

from app.core.settings import Settings

log = logging.getLogger("app.channels.twilio")

STATUS_PATH = "/webhooks/twilio/status"

# Raised before a single byte of the request could reach Twilio: safe to send again.
NOT_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout,
                   httpx.LocalProtocolError, httpx.UnsupportedProtocol, httpx.ProxyError)


class Outcome(StrEnum):
    accepted = "accepted"    # Twilio created the message (it has a MessageSid)
    retry = "retry"          # certainly not created (429, or no connection): try again later
    ambiguous = "ambiguous"  # may or may not have been created (5xx, connection lost mid-way)
    rejected = "rejected"    # Twilio refused it (4xx): sending it again would fail again


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    sid: str | None = None
    http_status: int | None = None
    error_code: int | None = None
    retry_after: float | None = None
    reason: str = ""


def messages_url(settings: Settings) -> str:
    return (f"{settings.twilio_api_base_url.rstrip('/')}/2010-04-01/Accounts/"
            f"{settings.twilio_account_sid}/Messages.json")


def status_callback_url(settings: Settings) -> str:
    return settings.public_base_url.rstrip("/") + STATUS_PATH


def make_client(settings: Settings) -> httpx.Client:
    return httpx.Client(
        auth=(settings.twilio_account_sid, settings.twilio_auth_token.get_secret_value()),
        timeout=httpx.Timeout(settings.twilio_http_timeout_seconds, connect=5.0),
        limits=httpx.Limits(max_connections=4, max_keepalive_connections=2),
    )


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # absent, or an HTTP date: the backoff decides


def _error_code(response: httpx.Response) -> int | None:
    try:
        code = response.json().get("code")
    except (ValueError, AttributeError):
        return None
    return code if isinstance(code, int) else None


def create_message(client: httpx.Client, settings: Settings, *, to: str, from_: str,
                   body: str | None = None, content_sid: str | None = None,
                   content_variables: dict[str, str] | None = None) -> SendResult:
    """POST one message. Never raises for a network or HTTP failure: the result says
    whether it is safe to try again."""
    form = {"To": to, "From": from_, "StatusCallback": status_callback_url(settings)}
    if content_sid:
        form["ContentSid"] = content_sid
        form["ContentVariables"] = json.dumps(content_variables or {}, ensure_ascii=False)
    else:
        form["Body"] = body or ""
    try:
        response = client.post(messages_url(settings), data=form)
    except NOT_SENT_ERRORS as exc:
        return SendResult(Outcome.retry, reason=f"network error before sending ({type(exc).__name__})")
    except httpx.HTTPError as exc:
        # Read timeout, connection reset after the request went out: Twilio may have
        # created the message. Sending it again could send it twice.
        return SendResult(Outcome.ambiguous, reason=f"no answer from Twilio ({type(exc).__name__})")

    status = response.status_code
    if status in (200, 201):
        try:
            sid = response.json().get("sid")
        except ValueError:
            sid = None
        if not sid:
            return SendResult(Outcome.ambiguous, http_status=status, reason="Twilio's answer had no sid")
        return SendResult(Outcome.accepted, sid=str(sid), http_status=status)
    if status == 429:
        return SendResult(Outcome.retry, http_status=status, error_code=_error_code(response),
                          retry_after=_retry_after(response), reason="rate limited by Twilio (429)")
    if status >= 500:
        return SendResult(Outcome.ambiguous, http_status=status, reason=f"Twilio answered HTTP {status}")
    code = _error_code(response)
    return SendResult(Outcome.rejected, http_status=status, error_code=code,
                      reason=f"rejected by Twilio (HTTP {status}" + (f", error {code})" if code else ")"))
