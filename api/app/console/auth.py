"""Console access: a server-side session in an HttpOnly, SameSite cookie, a CSRF token
on every state-changing request, roles (counsellor, admin)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from fastapi import Depends, HTTPException, Request, status

from app.console.accounts import service as accounts
from app.console.accounts.models import ConsoleSession, Counsellor, Role
from app.core.db import get_sessionmaker, utcnow
from app.core.settings import get_settings

COOKIE = "hirondelle_console"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@dataclass
class Principal:
    account: Counsellor
    session: ConsoleSession

    @property
    def id(self) -> int:
        return self.account.id


def authenticate(request: Request) -> Principal:
    """The signed-in account, from a short transaction of its own: it commits at once,
    so the route's own session is the only writer for the rest of the request."""
    settings = get_settings()
    now = utcnow()
    with get_sessionmaker()() as session:
        row = accounts.find_session(session, request.cookies.get(COOKIE), settings, now)
        account = session.get(Counsellor, row.counsellor_id) if row else None
        if row is None or account is None or not account.active:
            session.commit()  # an expired session is removed
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "sign in first (POST /api/console/login)")
        if request.method not in SAFE_METHODS:
            given = request.headers.get(CSRF_HEADER, "")
            if not given or not hmac.compare_digest(given.encode(), row.csrf_token.encode()):
                raise HTTPException(status.HTTP_403_FORBIDDEN,
                                    f"missing or wrong {CSRF_HEADER} header (GET /api/console/me gives it)")
        accounts.touch(session, row, now)
        session.commit()
        return Principal(account, row)


def require_counsellor(request: Request) -> Principal:
    return authenticate(request)


def require_admin(principal: Principal = Depends(require_counsellor)) -> Principal:  # noqa: B008
    if principal.account.role != Role.admin:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "admins only")
    return principal


def set_cookie(response, token: str) -> None:  # noqa: ANN001
    settings = get_settings()
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=not settings.development,
                        path="/", max_age=None)


def clear_cookie(response) -> None:  # noqa: ANN001
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict",
                           secure=not get_settings().development)
