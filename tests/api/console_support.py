"""Counsellor accounts for tests: create one in the database, sign in through the API."""

from __future__ import annotations

from typing import Any

PASSWORD = "correct horse battery"


def make_account(username: str = "sarah", *, name: str = "Sarah", role: str = "counsellor",
                 languages: tuple[str, ...] = ("fr", "en"), password: str = PASSWORD) -> int:
    from app.console.accounts import service as accounts
    from app.console.accounts.models import Role
    from app.core.db import get_sessionmaker

    with get_sessionmaker()() as session:
        account = accounts.create_account(session, username=username, display_name=name, password=password,
                                          role=Role(role), languages=list(languages))
        session.commit()
        return account.id


def sign_in(client: Any, username: str = "sarah", password: str = PASSWORD, **create: Any) -> dict[str, str]:
    """Create the account if needed, sign in; returns the CSRF header to send (the
    session cookie stays in the client)."""
    from app.console.accounts import service as accounts
    from app.core.db import get_sessionmaker

    with get_sessionmaker()() as session:
        exists = accounts.by_username(session, username) is not None
    if not exists:
        make_account(username, password=password, **create)
    r = client.post("/api/console/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"X-CSRF-Token": r.json()["csrf_token"]}
