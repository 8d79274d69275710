"""A request's writes are committed before its response leaves (issue 11, found on
PostgreSQL + Redis with two gateway processes).

FastAPI runs the code after a dependency's ``yield`` *after* the response is sent unless the
dependency is declared with ``scope="function"``. The request-scoped session commits there:
without it, a counsellor who signed in and asked for the queue straight away was told
"sign in first" 13 times in 30 (the session row was not yet committed), and a client could
get a 200 for a write that then failed to commit."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tools.stack import REDIS_URL, Stack, clear_redis, fresh_postgres  # noqa: E402


def _routes(routes):
    """Every APIRoute, included routers too (FastAPI keeps them behind their router)."""
    from fastapi.routing import APIRoute

    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from _routes(route.original_router.routes)


def _dependants(dependant):
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def test_every_route_commits_its_session_before_responding() -> None:
    from app.core.db import get_session
    from app.main import app

    checked = 0
    for route in _routes(app.routes):
        for d in _dependants(route.dependant):
            if d.call is get_session:
                checked += 1
                assert d.scope == "function", f"{route.path}: the session commits after the response"
    assert checked > 30, checked  # the routes that write do use it


@pytest.fixture(scope="module")
def stack():
    prefix = f"c{uuid.uuid4().hex[:8]}:"
    try:
        with fresh_postgres("commit") as url, Stack(database_url=url, with_bot=False, extra_env={
                "REDIS_URL": REDIS_URL, "REDIS_PREFIX": prefix}) as s:
            subprocess.run([str(ROOT / ".venv-api/bin/python"), "-m", "app.console.accounts.cli", "create-counsellor",
                            "--username", "lea", "--name", "Lea", "--languages", "fr"], cwd=ROOT / "api",
                           env={**s.env, "CONSOLE_PASSWORD": "a long console password"}, check=True,
                           capture_output=True)
            yield s
    finally:
        clear_redis(prefix)


def test_a_counsellor_who_signs_in_is_signed_in_at_once_on_postgresql(stack: Stack) -> None:
    refused = 0
    for _ in range(30):
        with httpx.Client(base_url=stack.url, timeout=30) as client:
            r = client.post("/api/console/login", json={"username": "lea", "password": "a long console password"})
            assert r.status_code == 200, r.text
            refused += client.get("/api/console/queue").status_code == 401
            client.post("/api/console/logout", headers={"X-CSRF-Token": r.json()["csrf_token"]})
    assert refused == 0, f"{refused} of 30 sign-ins were refused on the very next request"
