from __future__ import annotations

import hmac

from fastapi import HTTPException, Request, status
from pydantic import SecretStr


def check_token(given: str | None, expected: SecretStr) -> None:
    secret = expected.get_secret_value()
    if not given or not secret or not hmac.compare_digest(given.encode(), secret.encode()):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing or wrong token")


def bearer(request: Request) -> str | None:
    auth = request.headers.get("Authorization", "")
    return auth[7:] if auth.startswith("Bearer ") else None
