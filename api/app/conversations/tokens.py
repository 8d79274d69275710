"""Signed conversation tokens for API clients (POST /api/chat).

    token = conversation id "." base64url(HMAC-SHA256(secret_key, PURPOSE "." conversation id))

The first message of a conversation returns one; later messages send it back, and
reading or erasing the conversation needs it. The conversation id is drawn by the
gateway (a random uuid), so a token can neither be guessed nor derived from the
sender name a client chose; an erased and re-created conversation gets a new id, and
the old token opens nothing. Stateless: the gateway stores no token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

PURPOSE = b"hirondelle-api-chat-token-v1"  # never valid as a widget token, nor the reverse
MAX_TOKEN_CHARS = 128
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class InvalidToken(Exception):
    """Missing, malformed or forged."""


def _signature(secret: str, conversation_id: str) -> str:
    mac = hmac.new(secret.encode("utf-8"), PURPOSE + b"." + conversation_id.encode("ascii"), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode("ascii")


def issue(secret: str, conversation_id: str) -> str:
    return f"{conversation_id}.{_signature(secret, conversation_id)}"


def verify(secret: str, token: str | None) -> str:
    """The conversation id the token was issued for; InvalidToken otherwise."""
    if not token:
        raise InvalidToken("missing token")
    if len(token) > MAX_TOKEN_CHARS or token.count(".") != 1:
        raise InvalidToken("malformed token")
    conversation_id, signature = token.split(".")
    if not _UUID.match(conversation_id):
        raise InvalidToken("malformed token")
    if not hmac.compare_digest(signature, _signature(secret, conversation_id)):
        raise InvalidToken("forged or tampered token")
    return conversation_id
