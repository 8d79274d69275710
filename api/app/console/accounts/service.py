"""Accounts: argon2 password hashes, server-side sessions, login throttling, TOTP."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.console.accounts.models import AuditEntry, ConsoleSession, Counsellor, LoginThrottle, Role
from app.core.db import utcnow
from app.core.settings import Settings

_hasher = PasswordHasher()
# Verified against when the username is unknown, so that a wrong name and a wrong
# password take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
MIN_PASSWORD_CHARS = 12
LANGUAGES = ("fr", "nl", "en", "es", "de", "ru", "tr", "it", "ar")
CONSOLE_LANGUAGES = ("fr", "nl", "en")


class AccountError(ValueError):
    """Bad account data (clear message for a 422)."""


def sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"the password needs at least {MIN_PASSWORD_CHARS} characters")
    return _hasher.hash(password)


def check_password(account: Counsellor | None, password: str) -> bool:
    try:
        ok = _hasher.verify(account.password_hash if account else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False
    return ok and account is not None


def clean_languages(codes: list[str]) -> str:
    wrong = [c for c in codes if c not in LANGUAGES]
    if wrong:
        raise AccountError(f"unknown language codes: {', '.join(wrong)} (use {', '.join(LANGUAGES)})")
    return ",".join(dict.fromkeys(codes))


def create_account(session: Session, *, username: str, display_name: str, password: str,
                   role: Role = Role.counsellor, languages: list[str] | None = None,
                   console_language: str = "fr") -> Counsellor:
    username = username.strip().lower()
    if not username or len(username) > 64:
        raise AccountError("the username must have 1 to 64 characters")
    if session.scalar(select(Counsellor.id).where(Counsellor.username == username)) is not None:
        raise AccountError("this username is taken")
    if console_language not in CONSOLE_LANGUAGES:
        raise AccountError("the console speaks fr, nl or en")
    display_name = display_name.strip()
    if not display_name or len(display_name) > 40:
        raise AccountError("the first name shown to users must have 1 to 40 characters")
    account = Counsellor(username=username, display_name=display_name, password_hash=hash_password(password),
                         role=role, languages=clean_languages(languages or []),
                         console_language=console_language, active=True)
    try:
        with session.begin_nested():  # the same name created at the same moment: one wins
            session.add(account)
            session.flush()
    except IntegrityError:
        raise AccountError("this username is taken") from None
    return account


def by_username(session: Session, username: str) -> Counsellor | None:
    return session.scalars(select(Counsellor).where(Counsellor.username == username.strip().lower())).one_or_none()


# --- throttling -----------------------------------------------------------------------

@dataclass
class Throttle:
    wait_seconds: float


def _delay(failures: int, free: int, cap: float) -> float:
    if failures < free:
        return 0.0
    return min(cap, float(2 ** (failures - free)))


def throttled(session: Session, username: str, ip: str, settings: Settings, now: datetime) -> Throttle:
    """How long this login attempt must still wait (0 = go ahead).

    Per account: a delay that doubles after a few failures, capped short (never a
    lockout a stranger can keep up). Per client address, on top: after
    ``login_ip_failures_per_window`` failures within the window, nothing until the window
    has passed since the last one (5 guesses per 15 minutes per address)."""
    wait = 0.0
    window = timedelta(minutes=settings.login_failure_window_minutes)
    for key, cap in ((f"user:{username.strip().lower()}", settings.login_max_delay_account_seconds),
                     (f"ip:{ip}", settings.login_max_delay_ip_seconds)):
        row = session.get(LoginThrottle, key)
        if row is None or row.last_failure_at <= now - window:
            continue
        until = row.last_failure_at + timedelta(seconds=_delay(row.failures, settings.login_free_failures, cap))
        if key.startswith("ip:") and row.failures >= settings.login_ip_failures_per_window:
            until = max(until, row.last_failure_at + window)
        wait = max(wait, (until - now).total_seconds())
    return Throttle(max(0.0, wait))


def _keys(username: str, ip: str) -> list[str]:
    return [f"user:{username.strip().lower()}"[:120], f"ip:{ip}"[:120]]


def hold_throttles(session: Session, username: str, ip: str, now: datetime) -> None:
    """Lock this attempt's two counters until the attempt's transaction ends, creating them
    if new. Parallel guesses at one account or from one address then check and count one
    after another (each sees the failures before it) in every gateway process; without
    it, a burst of guesses sent at once all passed the check before any was counted.
    On SQLite every transaction already holds the database's write lock."""
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    keys = _keys(username, ip)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    never = now - timedelta(days=3650)  # a new counter: no failure yet
    for key in keys:
        session.execute(insert(LoginThrottle).values(key=key, failures=0, last_failure_at=never)
                        .on_conflict_do_nothing(index_elements=[LoginThrottle.key]))
    list(session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys))
                         .order_by(LoginThrottle.key).with_for_update()))


def record_failure(session: Session, username: str, ip: str, now: datetime,
                   window: timedelta = timedelta(minutes=15)) -> None:
    for key in _keys(username, ip):
        row = session.get(LoginThrottle, key)
        if row is None:
            session.add(LoginThrottle(key=key, failures=1, last_failure_at=now))
        else:
            # Failures older than the window are forgotten: the count is per window.
            row.failures = 1 if row.last_failure_at <= now - window else row.failures + 1
            row.last_failure_at = now
    session.flush()


def clear_failures(session: Session, username: str, ip: str | None = None) -> None:
    keys = [f"user:{username.strip().lower()}"] + ([f"ip:{ip}"] if ip else [])
    session.execute(delete(LoginThrottle).where(LoginThrottle.key.in_(keys)))


# --- sessions -------------------------------------------------------------------------

def open_session(session: Session, account: Counsellor) -> tuple[str, ConsoleSession]:
    token = secrets.token_urlsafe(32)
    row = ConsoleSession(id=sha256(token), counsellor_id=account.id, csrf_token=secrets.token_urlsafe(32))
    session.add(row)
    session.flush()
    return token, row


def find_session(session: Session, token: str | None, settings: Settings, now: datetime) -> ConsoleSession | None:
    if not token or len(token) > 200:
        return None
    row = session.get(ConsoleSession, sha256(token))
    if row is None:
        return None
    if now - row.last_seen_at > timedelta(minutes=settings.console_idle_minutes):
        session.delete(row)
        session.flush()
        return None
    return row


def touch(session: Session, row: ConsoleSession, now: datetime) -> None:
    # One write a minute at most: the event stream and polling must not write per request.
    if now - row.last_seen_at > timedelta(seconds=60):
        row.last_seen_at = now


def online_counsellors(session: Session, settings: Settings, now: datetime) -> list[int]:
    """Accounts with a live session (signed in and not idle)."""
    since = now - timedelta(minutes=settings.console_idle_minutes)
    rows = session.scalars(select(ConsoleSession.counsellor_id).join(Counsellor)
                           .where(ConsoleSession.last_seen_at >= since, Counsellor.active.is_(True))
                           .distinct())
    return list(rows)


def last_seen(session: Session, counsellor_id: int) -> datetime | None:
    return session.scalar(select(func.max(ConsoleSession.last_seen_at))
                          .where(ConsoleSession.counsellor_id == counsellor_id))


def close_sessions(session: Session, counsellor_id: int) -> None:
    session.execute(delete(ConsoleSession).where(ConsoleSession.counsellor_id == counsellor_id))


def expired_sessions(session: Session, settings: Settings, now: datetime) -> list[ConsoleSession]:
    cutoff = now - timedelta(minutes=settings.console_idle_minutes)
    return list(session.scalars(select(ConsoleSession).where(ConsoleSession.last_seen_at < cutoff)))


# --- second factor --------------------------------------------------------------------

def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(account: Counsellor, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account.username, issuer_name="Hirondelle console")


def check_totp(secret: str | None, code: str | None) -> bool:
    if not secret or not code:
        return False
    code = code.strip().replace(" ", "")
    return code.isdigit() and len(code) == 6 and pyotp.TOTP(secret).verify(code, valid_window=1)


# --- audit ----------------------------------------------------------------------------

def audit(session: Session, counsellor_id: int | None, action: str, conversation_id: str | None = None) -> None:
    session.add(AuditEntry(counsellor_id=counsellor_id, action=action, conversation_id=conversation_id,
                           at=utcnow()))


def set_feed_token(session: Session, account: Counsellor) -> str:
    token = secrets.token_urlsafe(32)
    account.feed_token_hash = sha256(token)
    return token


def by_feed_token(session: Session, token: str | None) -> Counsellor | None:
    if not token or len(token) > 200:
        return None
    return session.scalars(select(Counsellor).where(Counsellor.feed_token_hash == sha256(token),
                                                    Counsellor.active.is_(True))).one_or_none()


def deactivate(session: Session, account: Counsellor) -> None:
    account.active = False
    account.feed_token_hash = None
    close_sessions(session, account.id)
