"""Sign in and out, the signed-in account, its second factor and calendar feed token;
admins create, disable and unlock counsellors and set their languages."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.console.accounts import service as accounts
from app.console.accounts.models import Counsellor, Role
from app.console.auth import Principal, clear_cookie, require_admin, require_counsellor, set_cookie
from app.core.bounds import RowId
from app.core.db import get_session, utcnow
from app.core.settings import get_settings

router = APIRouter(prefix="/api/console", tags=["console: accounts"])
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
Me = Annotated[Principal, Depends(require_counsellor)]
Admin = Annotated[Principal, Depends(require_admin)]
AUTH = {401: {"description": "Not signed in"}, 403: {"description": "Missing CSRF token, or not allowed"}}


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    totp: str | None = Field(default=None, max_length=10, description="Six-digit code, when a second factor is set")


class AccountOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: Role
    languages: list[str]
    console_language: str
    active: bool
    totp_enabled: bool


class MeOut(AccountOut):
    csrf_token: str


class AccountIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    display_name: str = Field(min_length=1, max_length=40, description="First name shown to users")
    password: str = Field(min_length=accounts.MIN_PASSWORD_CHARS, max_length=256)
    role: Role = Role.counsellor
    languages: list[str] = Field(default_factory=list)
    console_language: str = "fr"


class AccountPatch(BaseModel):
    active: bool | None = None
    languages: list[str] | None = None
    display_name: str | None = Field(default=None, min_length=1, max_length=40)
    console_language: str | None = None


class TotpStart(BaseModel):
    secret: str
    uri: str


class CodeIn(BaseModel):
    code: str = Field(min_length=6, max_length=10)


def _out(account: Counsellor) -> dict[str, Any]:
    return {"id": account.id, "username": account.username, "display_name": account.display_name,
            "role": account.role, "languages": account.language_list, "console_language": account.console_language,
            "active": account.active, "totp_enabled": account.totp_enabled}


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/login", response_model=MeOut,
             responses={401: {"description": "Wrong username, password or code"},
                        429: {"description": "Too many failed attempts: wait (Retry-After)"}})
def login(body: LoginIn, request: Request, response: Response, session: SessionDep) -> dict[str, Any]:
    settings = get_settings()
    now = utcnow()
    ip = client_ip(request)
    accounts.hold_throttles(session, body.username, ip, now)
    wait = accounts.throttled(session, body.username, ip, settings, now).wait_seconds
    if wait > 0:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, f"too many failed attempts: wait {wait:.0f} s",
                            headers={"Retry-After": str(int(wait) + 1)})
    account = accounts.by_username(session, body.username)
    ok = accounts.check_password(account, body.password) and account is not None and account.active
    if ok and account is not None:
        needs_code = account.totp_enabled or (account.role == Role.admin and settings.admin_totp_required)
        if needs_code and not (account.totp_enabled and accounts.check_totp(account.totp_secret, body.totp)):
            ok = False
    if not ok or account is None:
        accounts.record_failure(session, body.username, ip, now,
                                timedelta(minutes=settings.login_failure_window_minutes))
        session.commit()
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong username, password or code")
    # The account's counter only: a valid account of one's own must not reset the
    # address's budget of guesses at someone else's password.
    accounts.clear_failures(session, body.username)
    token, row = accounts.open_session(session, account)
    accounts.audit(session, account.id, "login")
    set_cookie(response, token)
    return {**_out(account), "csrf_token": row.csrf_token}


@router.post("/logout", status_code=204, responses=AUTH)
def logout(me: Me, response: Response, session: SessionDep) -> Response:
    from app.console.accounts.models import ConsoleSession

    row = session.get(ConsoleSession, me.session.id)
    if row is not None:
        session.delete(row)
    accounts.audit(session, me.id, "logout")
    session.flush()
    # Conversations held by a counsellor who signs out go back to the queue at once.
    from app.handoff.scheduler import requeue_absent

    if not accounts.last_seen(session, me.id):
        requeue_absent(session, utcnow())
    out = Response(status_code=204)
    clear_cookie(out)
    return out


@router.get("/me", response_model=MeOut, responses=AUTH)
def me(me: Me) -> dict[str, Any]:
    return {**_out(me.account), "csrf_token": me.session.csrf_token}


@router.post("/me/totp", response_model=TotpStart, responses=AUTH,
             summary="Start setting a second factor: scan the URI, then confirm a code")
def totp_start(me: Me, session: SessionDep) -> dict[str, str]:
    account = session.get(Counsellor, me.id)
    assert account is not None
    if account.totp_enabled:
        raise HTTPException(status.HTTP_409_CONFLICT, "a second factor is already set")
    secret = accounts.new_totp_secret()
    account.totp_secret = secret
    return {"secret": secret, "uri": accounts.totp_uri(account, secret)}


@router.post("/me/totp/confirm", status_code=204, responses=AUTH)
def totp_confirm(body: CodeIn, me: Me, session: SessionDep) -> Response:
    account = session.get(Counsellor, me.id)
    assert account is not None
    if not accounts.check_totp(account.totp_secret, body.code):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "wrong code: check the time on your phone")
    account.totp_enabled = True
    accounts.audit(session, me.id, "totp_enabled")
    return Response(status_code=204)


@router.post("/me/feed-token", responses=AUTH,
             summary="A new calendar feed URL for calendar apps (the previous one stops working)")
def new_feed_token(me: Me, session: SessionDep, request: Request) -> dict[str, str]:
    account = session.get(Counsellor, me.id)
    assert account is not None
    token = accounts.set_feed_token(session, account)
    base = get_settings().public_base_url.rstrip("/")
    return {"url": f"{base}/api/console/calendar.ics?token={token}"}


@router.delete("/me/feed-token", status_code=204, responses=AUTH, summary="Revoke the calendar feed URL")
def revoke_feed_token(me: Me, session: SessionDep) -> Response:
    account = session.get(Counsellor, me.id)
    assert account is not None
    account.feed_token_hash = None
    return Response(status_code=204)


@router.get("/counsellors", response_model=list[AccountOut], responses=AUTH)
def list_counsellors(_: Admin, session: SessionDep) -> list[dict[str, Any]]:
    return [_out(a) for a in session.scalars(select(Counsellor).order_by(Counsellor.username))]


@router.post("/counsellors", response_model=AccountOut, status_code=201,
             responses={**AUTH, 422: {"description": "Username taken, weak password, unknown language"}})
def create_counsellor(body: AccountIn, admin: Admin, session: SessionDep) -> dict[str, Any]:
    try:
        account = accounts.create_account(session, username=body.username, display_name=body.display_name,
                                          password=body.password, role=body.role, languages=body.languages,
                                          console_language=body.console_language)
    except accounts.AccountError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(exc)) from None
    accounts.audit(session, admin.id, "create_account")
    return _out(account)


@router.patch("/counsellors/{account_id}", response_model=AccountOut, responses=AUTH)
def update_counsellor(account_id: RowId, body: AccountPatch, admin: Admin, session: SessionDep) -> dict[str, Any]:
    account = session.get(Counsellor, account_id)
    if account is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such account")
    try:
        if body.languages is not None:
            account.languages = accounts.clean_languages(body.languages)
        if body.display_name is not None:
            account.display_name = body.display_name.strip()
        if body.console_language is not None:
            if body.console_language not in accounts.CONSOLE_LANGUAGES:
                raise accounts.AccountError("the console speaks fr, nl or en")
            account.console_language = body.console_language
    except accounts.AccountError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(exc)) from None
    if body.active is False and account.active:
        if account.id == admin.id:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "you cannot disable your own account")
        accounts.deactivate(session, account)
        accounts.audit(session, admin.id, "disable_account")
    elif body.active is True and not account.active:
        account.active = True
        accounts.audit(session, admin.id, "enable_account")
    return _out(account)


@router.post("/counsellors/{account_id}/unlock", status_code=204, responses=AUTH,
             summary="Clear the login delay of an account")
def unlock_counsellor(account_id: RowId, admin: Admin, session: SessionDep) -> Response:
    account = session.get(Counsellor, account_id)
    if account is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such account")
    accounts.clear_failures(session, account.username)
    accounts.audit(session, admin.id, "unlock_account")
    return Response(status_code=204)
