"""Every operation of the gateway's OpenAPI schema fuzzed by schemathesis (issue 10), on the
real stack (gateway, Rasa and the action server up), on SQLite and on PostgreSQL: never a 500.
503 (a dependency busy or down) and 429 (a limit) are answers the issue prescribes.

The schema is served by the stack itself (ENVIRONMENT=development serves /openapi.json).
Requests go out both anonymously and with a signed-in admin's session (cookie and CSRF
token), so the console's operations are reached past their login. A few examples per
operation keep the run to a couple of minutes; `FUZZ_EXAMPLES=200` digs deeper.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.api.conftest import POSTGRES_ADMIN_URL  # noqa: E402
from tools.stack import MODEL, Stack  # noqa: E402

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
PASSWORD = "fuzz-admin-password-" + uuid.uuid4().hex[:8]
# Ends the admin's session for every later case; the login itself is fuzzed.
SKIP = {("POST", "/api/console/logout")}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fuzz_stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    assert MODEL.exists(), "train the model first: make train"
    import sqlalchemy as sa

    admin = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'gateway.db'}"
    else:
        name = f"fuzz_{uuid.uuid4().hex[:12]}"
        admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    s = Stack(database_url=url, extra_env={
        "ENVIRONMENT": "development",
        # Event streams end after a second (the fuzzer reads every answer to its end).
        "WIDGET_STREAM_SECONDS": "1", "WIDGET_HEARTBEAT_SECONDS": "0.5", "WIDGET_POLL_SECONDS": "0.2",
        "TWILIO_AUTH_TOKEN": "fuzz-twilio-auth-token", "TWILIO_SMS_NUMBER": "+3228880000",
        "TWILIO_WHATSAPP_NUMBER": "+3228880001", "TWILIO_API_BASE_URL": "http://127.0.0.1:9",
        "SCHEDULER_ENABLED": "false"})
    s.log_dir = tmp_path_factory.mktemp("fuzz-logs")
    try:
        with s:
            subprocess.run([str(ROOT / ".venv-api/bin/python"), "-m", "app.console.accounts.cli", "create-admin",
                            "--username", "fuzz", "--name", "Fuzz", "--languages", "fr,en"],
                           cwd=ROOT / "api", env={**s.env, "CONSOLE_PASSWORD": PASSWORD}, check=True,
                           capture_output=True)
            yield s
            failed = [line for line in s.log_tail("gateway", 400).splitlines() if "Exception in ASGI" in line]
            assert not failed, s.log_tail("gateway", 200)
    finally:
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


@pytest.fixture(scope="module")
def admin_session(fuzz_stack: Stack) -> requests.Session:
    session = requests.Session()
    r = session.post(f"{fuzz_stack.url}/api/console/login", json={"username": "fuzz", "password": PASSWORD})
    assert r.status_code == 200, r.text
    session.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return session


def _schema() -> dict:
    # The schema the stack serves at /openapi.json in development, read from the same code
    # at collection time (schemathesis's lazy fixture loader does not run on pytest 9).
    sys.path.insert(0, str(ROOT / "api"))
    from app.main import create_app

    return create_app().openapi()


schema = schemathesis.openapi.from_dict(_schema())


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, print_blob=True,
          suppress_health_check=list(HealthCheck))
def test_no_operation_answers_a_500(case, fuzz_stack: Stack, admin_session: requests.Session) -> None:
    if (case.method.upper(), case.path) in SKIP:
        pytest.skip("ends the fuzzing session")
    for session in (None, admin_session):
        response = case.call(base_url=fuzz_stack.url, session=session, timeout=30)
        assert response.status_code < 500 or response.status_code == 503, (
            f"{case.method} {case.formatted_path} -> {response.status_code}\n{case.as_curl_command()}\n"
            f"{response.text[:500]}\n{fuzz_stack.log_tail('gateway', 40)}")
