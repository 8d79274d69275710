"""Dates and numbers a client sends are bounded: a clear 422 (or, from Twilio, an
ignored field), never a 500 — on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from app.core import bounds
from conftest import clear_caches, migrate
from fastapi.testclient import TestClient

from tests.fakes.fake_twilio import TwilioWebhooks

AUTH_TOKEN = "twilio-test-auth-token"
ACCOUNT_SID = "AC" + "1" * 32
PUBLIC = "https://assistant.example.be"


@pytest.fixture
def app_client(base_env: None, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setenv("PUBLIC_BASE_URL", PUBLIC)
    monkeypatch.setenv("WIDGET_STREAM_SECONDS", "0.3")
    monkeypatch.setenv("WIDGET_POLL_SECONDS", "0.1")
    clear_caches()
    migrate(database_url)
    from app.main import create_app

    with TestClient(create_app(), raise_server_exceptions=False) as c:
        yield c
    clear_caches()


@pytest.mark.parametrize(("params", "detail"), [
    ({"from": "0001-01-01"}, "from: a date between 2000-01-01 and 2100-12-31"),
    ({"to": "9999-12-31"}, "to: a date between 2000-01-01 and 2100-12-31"),
    ({"from": "9999-12-31T23:59:59"}, "from: a date between"),
    ({"from": "0001-01-01T00:00:00+14:00"}, "from: a date between"),
    ({"from": "2026-12-01T10:00:00+99:99"}, "from: use a date"),
    ({"to": "2026-12-01T10:00:00+24:00"}, "to: "),
    ({"to": "2" * 5000}, "to: use a date"),
    ({"from": "2026-13-01"}, "from: use a date"),
])
def test_slot_bounds_out_of_range_are_a_clear_422(app_client, params, detail) -> None:
    r = app_client.get("/api/slots", params={"service": "legal", **params})
    assert r.status_code == 422, r.text
    assert detail in r.json()["detail"]


def test_slot_bounds_within_range_still_work(app_client) -> None:
    r = app_client.get("/api/slots", params={"service": "legal", "from": "2000-01-01", "to": "2100-12-31"})
    assert r.status_code == 200, r.text
    r = app_client.get("/api/slots", params={"service": "legal", "from": "2026-12-01T00:00:00-23:59"})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("text", ["2026-12-05 10:00+99:99", "9999-12-31", "31/12/9999", "2026-12-05 10:00+9999",
                                  "9999-12-31 23:00-05:00", "le " + "9" * 30, "samedi " + "9" * 5000])
def test_resolve_with_extreme_dates_and_numbers_is_never_a_500(app_client, text) -> None:
    r = app_client.post("/api/slots/resolve", json={"service": "legal", "text": text[:2000], "language": "fr"})
    assert r.status_code in (200, 422), r.text


def _token(client) -> str:
    return client.post("/api/widget/session").json()["token"]


@pytest.mark.parametrize("last_event_id", ["abc", "-1", "1e9", "9" * 20, "12 34", "1" * 5000])
def test_a_bad_last_event_id_is_a_422(app_client, last_event_id) -> None:
    r = app_client.get("/api/widget/events", params={"token": _token(app_client)},
                       headers={"Last-Event-ID": last_event_id})
    assert r.status_code == 422, r.text


def test_a_non_ascii_digit_last_event_id_is_a_422(app_client) -> None:
    # "²" is a digit to str.isdigit() and an error to int(): sent as raw UTF-8 bytes.
    r = app_client.get("/api/widget/events", params={"token": _token(app_client)},
                       headers={"Last-Event-ID": "²".encode()})
    assert r.status_code == 422, r.text


def test_a_good_last_event_id_and_a_huge_after_on_the_widget_stream(app_client) -> None:
    token = _token(app_client)
    r = app_client.get("/api/widget/events", params={"token": token}, headers={"Last-Event-ID": str(bounds.MAX_ID)})
    assert r.status_code == 200
    assert app_client.get("/api/widget/events", params={"token": token, "after": "9" * 30}).status_code == 422
    assert app_client.get("/api/widget/events", params={"token": token, "after": str(2**40)}).status_code == 422
    assert app_client.get("/api/widget/events", params={"token": token, "after": str(2**31 - 1)}).status_code == 200


def test_a_signed_status_callback_with_huge_numbers_is_accepted_and_ignored(app_client) -> None:
    tw = TwilioWebhooks(AUTH_TOKEN, PUBLIC, ACCOUNT_SID, "+3228800000", "+3228800001")
    for code, row in [("9" * 5000, "9" * 5000), ("³", "²"), ("30003", str(2**63)), ("1" * 19, str(2**40))]:
        r = tw.post(app_client, "/webhooks/twilio/status", tw.status("SM" + "a" * 32, "failed", code),
                    query={"message": row})
        assert r.status_code == 204, r.text


def test_console_dates_are_bounded(app_client) -> None:
    from console_support import sign_in

    csrf = sign_in(app_client, "boss", role="admin")
    for day in ("0001-01-01", "9999-12-31"):
        for path in ("/api/console/appointments", "/api/console/appointments.ics"):
            r = app_client.get(path, params={"date": day})
            assert r.status_code == 422 and "a date between 2000-01-01 and 2100-12-31" in r.json()["detail"]
        assert app_client.get("/api/console/closures", params={"from": day}).status_code == 422
        assert app_client.post("/api/console/closures", headers=csrf,
                               json={"date": day, "reason": "x"}).status_code == 422
        assert app_client.delete(f"/api/console/closures/{day}", headers=csrf).status_code == 422
    r = app_client.post("/api/console/closures", headers=csrf, json={"date": "2099-01-02", "reason": "in\x00ventory"})
    assert r.status_code == 201 and r.json()["reason"] == "inventory"
