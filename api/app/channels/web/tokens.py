"""Signed conversation tokens for the website chat widget.

    token = base64url(conversation uuid (16 bytes) ‖ issued-at (8 bytes, big-endian seconds))
            "." base64url(HMAC-SHA256(secret_key, PURPOSE "." first part))

The gateway draws the uuid; the browser only ever holds the signed token, so it can
neither choose nor guess nor alter another conversation's id. Tokens are stateless:
issuing one writes nothing, so a page view that never sends a message costs nothing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
import uuid
from dataclasses import dataclass

# Domain separation: secret_key also signs other things; a signature made for another
# purpose can never pass for a widget token.
PURPOSE = b"hirondelle-widget-token-v1"
MAX_TOKEN_CHARS = 256
# Clock skew tolerated between gateway workers before a token counts as "from the future".
MAX_SKEW_SECONDS = 300


class InvalidToken(Exception):
    """The token is missing, malformed, forged, tampered with or expired (str(exc) says which)."""


@dataclass(frozen=True)
class WidgetIdentity:
    conversation: uuid.UUID
    issued_at: int

    @property
    def key(self) -> str:
        # "web:w-…": the widget's own namespace inside the web channel's keys.
        return f"web:w-{self.conversation}"


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: str, payload: str) -> str:
    mac = hmac.new(secret.encode("utf-8"), PURPOSE + b"." + payload.encode("ascii"), hashlib.sha256)
    return _b64encode(mac.digest())


def issue(secret: str, conversation: uuid.UUID | None = None, now: float | None = None) -> str:
    """A token for ``conversation`` (a new random one when None), issued ``now``."""
    conversation = conversation or uuid.uuid4()
    issued = int(time.time() if now is None else now)
    payload = _b64encode(conversation.bytes + issued.to_bytes(8, "big"))
    return f"{payload}.{_signature(secret, payload)}"


def verify(token: str | None, secret: str, max_age_seconds: float, now: float | None = None) -> WidgetIdentity:
    if not token:
        raise InvalidToken("missing conversation token")
    if len(token) > MAX_TOKEN_CHARS or token.count(".") != 1:
        raise InvalidToken("malformed conversation token")
    payload, given = token.split(".")
    try:
        expected = _signature(secret, payload)
    except UnicodeEncodeError:
        raise InvalidToken("malformed conversation token") from None
    # Constant time: how much of a signature matches must not leak through timing.
    if not hmac.compare_digest(expected.encode("ascii"), given.encode("utf-8")):
        raise InvalidToken("conversation token signature does not match")
    try:
        raw = _b64decode(payload)
    except (binascii.Error, ValueError):
        raise InvalidToken("malformed conversation token") from None
    if len(raw) != 24:
        raise InvalidToken("malformed conversation token")
    issued = int.from_bytes(raw[16:], "big")
    current = time.time() if now is None else now
    if issued > current + MAX_SKEW_SECONDS or current - issued > max_age_seconds:
        raise InvalidToken("conversation token expired")
    return WidgetIdentity(conversation=uuid.UUID(bytes=raw[:16]), issued_at=issued)
