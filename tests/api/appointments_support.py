"""Shared fixtures and helpers of the appointment tests (imported by test_appointments_*).

"Now" is fixed at Monday 14 December 2026, 9:00 in Brussels, through the get_now
dependency, so the tests never depend on today's date. With 28 days of horizon that
window holds Christmas (a Friday: no legal permanence) and New Year's Day.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from conftest import clear_caches, migrate

BRUSSELS = ZoneInfo("Europe/Brussels")
NOW = datetime(2026, 12, 14, 9, 0, tzinfo=BRUSSELS).astimezone(UTC)
INTERNAL = {"Authorization": "Bearer internal-test-token"}
# Filled by the `api` fixture with the signed-in counsellor's CSRF header (the session
# cookie lives in the test client).
COUNSELLOR: dict[str, str] = {}


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BRUSSELS)


def iso(year: int, month: int, day: int, hour: int, minute: int = 0) -> str:
    return local(year, month, day, hour, minute).isoformat()


# Bookings made through the public API carry a phone by default, and the test client sends
# its last four digits: seeing, moving or cancelling by reference needs that proof
# (test_appointments_ownership.py tests the proof itself).
PHONE = "+32470000123"
OWNER = {"X-Phone-Last4": PHONE[-4:]}


def booking(start: str, **extra: object) -> dict[str, object]:
    if "conversation_id" not in extra:
        extra.setdefault("contact_phone", PHONE)
    return {"service": extra.pop("service", "social"), "start": start, "first_name": "Amina", **extra}


@pytest.fixture
def appointments_env(base_env: None, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated database (SQLite and PostgreSQL, by the database_url parameter)."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    clear_caches()
    migrate(database_url)
    yield database_url
    clear_caches()


@pytest.fixture
def api(appointments_env: str):
    from app.appointments.clock import get_now
    from app.main import create_app
    from fastapi.testclient import TestClient

    app = create_app()
    app.dependency_overrides[get_now] = lambda: NOW
    with TestClient(app, headers=OWNER) as client:
        from console_support import sign_in

        COUNSELLOR.clear()
        COUNSELLOR.update(sign_in(client))
        yield client


@pytest.fixture
def db(appointments_env: str):
    from app.core.db import get_sessionmaker

    session = get_sessionmaker()()
    yield session
    session.close()


def make_conversation(db, key: str = "tel:+32470123456", channel: str = "sms", language: str = "en"):
    from app.conversations.models import Conversation

    conv = Conversation(key=key, channel=channel, language=language)
    db.add(conv)
    db.commit()
    return conv
