"""Counsellor console access: a shared bearer token (COUNSELLOR_TOKEN)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.core.security import check_token
from app.core.settings import get_settings

_bearer = HTTPBearer(auto_error=False, description="COUNSELLOR_TOKEN")


def require_counsellor(creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> None:
    check_token(creds.credentials if creds else None, get_settings().counsellor_token)
