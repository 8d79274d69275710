"""The counsellor console's appointment part: the day, its iCalendar file, closures,
home visits. "Now" is Monday 14 December 2026, 9:00 Brussels."""

# The fixtures are imported from appointments_support; pytest passes them by name.
# ruff: noqa: F811

from __future__ import annotations

import re

import pytest
from app.console.appointments import ics
from appointments_support import (  # noqa: F401  (fixtures)
    COUNSELLOR,
    api,
    appointments_env,
    booking,
    db,
    iso,
)

TUESDAY = "2026-12-15"


@pytest.mark.parametrize(("method", "url"), [
    ("get", "/api/console/appointments"), ("get", "/api/console/appointments.ics"),
    ("get", "/api/console/closures"), ("post", "/api/console/closures"), ("delete", "/api/console/closures/2026-12-16"),
    ("get", "/api/console/home-visits"), ("patch", "/api/console/home-visits/1"),
])
def test_console_needs_a_signed_in_counsellor(api, method: str, url: str) -> None:
    if method != "get":
        # Signed in, but without the CSRF header: refused before anything changes.
        assert getattr(api, method)(url).status_code == 403
    api.cookies.clear()
    assert getattr(api, method)(url, headers=COUNSELLOR).status_code == 401
    assert getattr(api, method)(url, headers={"Authorization": "Bearer internal-test-token"}).status_code == 401


def test_day_list_shows_first_name_and_contact(api) -> None:
    api.post("/api/appointments", json=booking(iso(2026, 12, 15, 11), first_name="Bilal", contact_phone="0470 11 22 33"))
    api.post("/api/appointments", json=booking(iso(2026, 12, 15, 9, 30), contact_phone=None))
    api.post("/api/appointments", json=booking(iso(2026, 12, 16, 9, 30)))
    r = api.get("/api/console/appointments", params={"date": TUESDAY}, headers=COUNSELLOR)
    assert r.status_code == 200
    rows = r.json()["appointments"]
    assert [(a["start"], a["first_name"], a["contact_phone"]) for a in rows] == [
        (iso(2026, 12, 15, 9, 30), "Amina", None), (iso(2026, 12, 15, 11), "Bilal", "+32470112233")]
    assert api.get("/api/console/appointments", params={"date": "15/12"}, headers=COUNSELLOR).status_code == 422
    today = api.get("/api/console/appointments", headers=COUNSELLOR).json()
    assert today == {"date": "2026-12-14", "appointments": []}


def unfold(body: str) -> list[str]:
    return body.replace("\r\n ", "").split("\r\n")


def test_ics_is_valid_icalendar(api) -> None:
    ref = api.post("/api/appointments", json=booking(iso(2026, 12, 15, 10), first_name="Marie-Claire",
                                                     contact_phone="+32470123456", language="fr")).json()["reference"]
    cancelled = api.post("/api/appointments", json=booking(iso(2026, 12, 15, 11))).json()["reference"]
    api.delete(f"/api/appointments/{cancelled}")
    r = api.get("/api/console/appointments.ics", params={"date": TUESDAY}, headers=COUNSELLOR)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/calendar")
    body = r.content.decode("utf-8")
    assert body.endswith("\r\n") and "\n" not in body.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    lines = unfold(body)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR" and lines[-1] == ""
    assert "VERSION:2.0" in lines and any(line.startswith("PRODID:") for line in lines)
    assert lines.count("BEGIN:VEVENT") == 1 and lines.count("END:VEVENT") == 1  # cancelled ones are left out
    props = dict(line.split(":", 1) for line in lines if ":" in line and not line.startswith(("BEGIN", "END")))
    assert props["UID"] == f"{ref}@appointments.hirondelle"
    assert props["DTSTART"] == "20261215T090000Z" and props["DTEND"] == "20261215T093000Z"
    assert re.fullmatch(r"\d{8}T\d{6}Z", props["DTSTAMP"])
    assert props["SUMMARY"] == f"Marie-Claire\\, social permanence ({ref})"
    assert props["LOCATION"] == "Rue de la Station 28\\, 1360 Perwez"
    assert props["DESCRIPTION"].startswith("Phone: +32470123456\\nLanguage: fr")


def test_ics_escaping_and_folding() -> None:
    assert ics.escape("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    long = "SUMMARY:" + "é" * 80
    folded = ics.fold(long)
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == long


def test_closures_add_list_block_and_remove(api) -> None:
    ref = api.post("/api/appointments", json=booking(iso(2026, 12, 16, 10))).json()["reference"]
    r = api.post("/api/console/closures", json={"date": "2026-12-16", "reason": "staff training"}, headers=COUNSELLOR)
    assert r.status_code == 201
    assert r.json() == {"date": "2026-12-16", "reason": "staff training", "affected_appointments": [ref]}
    assert api.post("/api/console/closures", json={"date": "2026-12-16", "reason": "again"},
                    headers=COUNSELLOR).status_code == 409
    r = api.post("/api/console/closures", json={"date": "2026-12-01", "reason": "x"}, headers=COUNSELLOR)
    assert r.status_code == 422 and "past" in r.json()["detail"]
    assert api.post("/api/console/closures", json={"date": "2026-12-17", "reason": " "},
                    headers=COUNSELLOR).status_code == 422

    listed = api.get("/api/console/closures", headers=COUNSELLOR).json()
    assert listed["closures"] == [{"date": "2026-12-16", "reason": "staff training"}]
    assert {"date": "2026-12-25", "name": "Christmas Day"} in listed["holidays"]
    assert {"date": "2027-03-29", "name": "Easter Monday"} in listed["holidays"]

    slots = api.get("/api/slots", params={"service": "social", "from": "2026-12-16", "to": "2026-12-16"}).json()
    assert slots["slots"] == []
    r = api.post("/api/appointments", json=booking(iso(2026, 12, 16, 11)))
    assert r.status_code == 422 and "staff training" in r.json()["detail"]

    assert api.delete("/api/console/closures/2026-12-16", headers=COUNSELLOR).status_code == 204
    assert api.delete("/api/console/closures/2026-12-16", headers=COUNSELLOR).status_code == 404
    assert api.post("/api/appointments", json=booking(iso(2026, 12, 16, 11))).status_code == 201


def test_home_visits_list_and_decide(api) -> None:
    first = api.post("/api/home-visits", json={"first_name": "Amina", "language": "ar",
                                               "contact_phone": "0470123456", "note": "no car"}).json()
    api.post("/api/home-visits", json={"first_name": "Bo", "language": "en", "contact_phone": "0470654321"})
    r = api.get("/api/console/home-visits", headers=COUNSELLOR)
    visits = r.json()["home_visits"]
    assert [v["first_name"] for v in visits] == ["Bo", "Amina"]
    assert visits[1]["contact_phone"] == "+32470123456" and visits[1]["note"] == "no car"
    r = api.patch(f"/api/console/home-visits/{first['id']}", json={"status": "confirmed"}, headers=COUNSELLOR)
    assert r.status_code == 200 and r.json()["status"] == "confirmed" and r.json()["decided_at"]
    confirmed = api.get("/api/console/home-visits", params={"status": "confirmed"}, headers=COUNSELLOR).json()
    assert [v["id"] for v in confirmed["home_visits"]] == [first["id"]]
    assert api.patch("/api/console/home-visits/9999", json={"status": "declined"},
                     headers=COUNSELLOR).status_code == 404
    assert api.patch(f"/api/console/home-visits/{first['id']}", json={"status": "maybe"},
                     headers=COUNSELLOR).status_code == 422
