"""The appointments HTTP API, on SQLite and PostgreSQL, with "now" fixed at Monday
14 December 2026, 9:00 Brussels (see appointments_support)."""

# The fixtures are imported from appointments_support; pytest passes them by name.
# ruff: noqa: F811

from __future__ import annotations

import pytest
from app.appointments.models import Appointment
from appointments_support import (  # noqa: F401  (fixtures)
    INTERNAL,
    NOW,
    api,
    appointments_env,
    booking,
    db,
    iso,
    make_conversation,
)
from sqlalchemy import select

FRIDAY_LEGAL = iso(2026, 12, 18, 13, 30)
TUESDAY_SOCIAL = iso(2026, 12, 15, 10, 0)


def booked_rows(db) -> list[Appointment]:
    db.expire_all()
    rows = list(db.scalars(select(Appointment).where(Appointment.status == "booked")))
    # End the read: on SQLite an open transaction holds the write lock (BEGIN IMMEDIATE).
    db.commit()
    return rows


# --- free slots ----------------------------------------------------------------------

def test_slots_start_after_the_notice_with_brussels_offsets(api) -> None:
    r = api.get("/api/slots", params={"service": "social"})
    assert r.status_code == 200
    body = r.json()
    assert body["service"] == "social" and body["timezone"] == "Europe/Brussels"
    first = body["slots"][0]
    assert first == {"start": "2026-12-14T10:00:00+01:00", "end": "2026-12-14T10:30:00+01:00", "free_seats": 1}
    days = {s["start"][:10] for s in body["slots"]}
    assert "2026-12-19" not in days and "2026-12-25" not in days and "2027-01-01" not in days
    assert body["slots"][-1]["start"] < "2027-01-11T10:00"


def test_slots_between_dates_and_holidays(api) -> None:
    r = api.get("/api/slots", params={"service": "legal", "from": "2026-12-24", "to": "2026-12-26"})
    assert [s["start"][:16] for s in r.json()["slots"]] == [
        f"2026-12-26T{h}" for h in ("09:30", "10:00", "10:30", "11:00", "11:30", "12:00", "12:30", "13:00")]
    r = api.get("/api/slots", params={"service": "legal", "from": "2026-12-18T15:00:00+01:00", "to": "2026-12-18"})
    assert [s["start"][11:16] for s in r.json()["slots"]] == ["15:00", "15:30", "16:00", "16:30"]


@pytest.mark.parametrize(("params", "words"), [
    ({"service": "medical"}, "service"),
    ({"service": "social", "from": "next week"}, "from: use a date"),
    ({"service": "social", "from": "2026-12-20", "to": "2026-12-18"}, "to: must be after from"),
])
def test_slots_bad_query_is_422(api, params: dict, words: str) -> None:
    r = api.get("/api/slots", params=params)
    assert r.status_code == 422 and words in r.json()["detail"]


def test_taken_slot_is_not_listed_and_capacity_shows_in_free_seats(api) -> None:
    assert api.post("/api/appointments", json=booking(TUESDAY_SOCIAL)).status_code == 201
    starts = [s["start"] for s in api.get("/api/slots", params={"service": "social"}).json()["slots"]]
    assert TUESDAY_SOCIAL not in starts and iso(2026, 12, 15, 10, 30) in starts


def test_resolve_reads_the_users_words(api) -> None:
    r = api.post("/api/slots/resolve", json={"service": "legal", "text": "vendredi après-midi", "language": "fr"})
    assert r.status_code == 200
    body = r.json()
    assert [s["start"] for s in body["slots"]] == [iso(2026, 12, 18, h, m) for h, m in
                                                   ((13, 0), (13, 30), (14, 0), (14, 30), (15, 0))]
    assert body["understood"] == {"date": None, "weekday": 4, "time": None, "part": "afternoon"}
    r = api.post("/api/slots/resolve", json={"service": "legal", "text": "samedi 10h", "language": "fr"})
    assert r.json()["slots"][0]["start"] == iso(2026, 12, 19, 10, 0)
    r = api.post("/api/slots/resolve", json={"service": "social", "text": "hello", "language": "en"})
    assert r.json() == {"slots": [], "understood": {"date": None, "weekday": None, "time": None, "part": None},
                        "day": None}


def test_resolve_says_why_a_day_named_has_nothing_free(api) -> None:
    """Issue 9: "demain" on a Sunday was refused as "not in the list", with no word on why."""
    r = api.post("/api/slots/resolve", json={"service": "social", "text": "samedi", "language": "fr"})
    day = r.json()["day"]
    assert r.json()["slots"] == [] and day["status"] == "closed" and day["date"] == "2026-12-19"
    assert day["nearest"] and not any(s["start"].startswith("2026-12-19") for s in day["nearest"])
    r = api.post("/api/slots/resolve", json={"service": "legal", "text": "25/12", "language": "fr"})
    assert r.json()["day"]["status"] == "closed"  # Christmas, a public holiday, is a Friday
    r = api.post("/api/slots/resolve", json={"service": "social", "text": "aujourd'hui 9h", "language": "fr"})
    assert r.json()["day"]["status"] == "time_not_free"  # now is 9:00: too late for 9:00, later is free
    api.post("/api/appointments", json=booking(FRIDAY_LEGAL, service="legal"))
    r = api.post("/api/slots/resolve", json={"service": "legal", "text": "18/12 13:30", "language": "fr"})
    day = r.json()["day"]
    assert day["status"] == "time_not_free" and day["date"] == "2026-12-18"
    assert day["nearest"] and all(s["start"].startswith("2026-12-18") for s in day["nearest"])
    assert FRIDAY_LEGAL not in [s["start"] for s in day["nearest"]]


def test_resolve_skips_taken_slots_and_validates_input(api) -> None:
    api.post("/api/appointments", json=booking(FRIDAY_LEGAL, service="legal"))
    r = api.post("/api/slots/resolve", json={"service": "legal", "text": "18/12 13:30", "language": "fr"})
    assert r.json()["slots"] == []
    assert api.post("/api/slots/resolve", json={"service": "legal", "text": "x", "language": "xx"}).status_code == 422
    assert api.post("/api/slots/resolve", json={"service": "legal", "text": ""}).status_code == 422


# --- booking ----------------------------------------------------------------------------

def test_book_returns_201_with_reference_and_address_but_never_the_phone(api, db) -> None:
    r = api.post("/api/appointments", json=booking(FRIDAY_LEGAL, service="legal", contact_phone="0470 12 34 56",
                                                   language="fr"))
    assert r.status_code == 201
    body = r.json()
    assert set(body) == {"reference", "service", "start", "end", "status", "address"}
    assert body["start"] == FRIDAY_LEGAL and body["end"] == iso(2026, 12, 18, 14, 0)
    assert body["status"] == "booked" and body["address"] == "Rue de la Station 28, 1360 Perwez"
    ref = body["reference"]
    assert len(ref) == 6 and not set(ref) & set("0O1IL") and any(c.isdigit() for c in ref)
    (row,) = booked_rows(db)
    assert row.contact_phone == "+32470123456" and row.language == "fr" and row.channel == "api"
    assert row.starts_at.isoformat() == "2026-12-18T12:30:00+00:00" and row.seat == 1
    assert "470" not in api.get(f"/api/appointments/{ref}", headers={"X-Phone-Last4": "3456"}).text


def test_naive_start_is_brussels_time(api) -> None:
    r = api.post("/api/appointments", json=booking("2026-12-15T10:00:00"))
    assert r.status_code == 201 and r.json()["start"] == TUESDAY_SOCIAL


def test_idempotency_key_replay_returns_the_same_appointment(api, db) -> None:
    headers = {"Idempotency-Key": "conv-1:social:2026-12-15T10:00"}
    first = api.post("/api/appointments", json=booking(TUESDAY_SOCIAL), headers=headers)
    again = api.post("/api/appointments", json=booking(TUESDAY_SOCIAL), headers=headers)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json() == first.json()
    other = api.post("/api/appointments", json=booking(TUESDAY_SOCIAL, first_name="Bilal"), headers=headers)
    assert other.status_code == 422 and "Idempotency-Key" in other.json()["detail"]
    assert len(booked_rows(db)) == 1


def test_taken_slot_is_409_with_the_nearest_free_slots(api, db) -> None:
    assert api.post("/api/appointments", json=booking(TUESDAY_SOCIAL)).status_code == 201
    r = api.post("/api/appointments", json=booking(TUESDAY_SOCIAL, first_name="Bilal"))
    assert r.status_code == 409
    body = r.json()
    assert "no longer free" in body["detail"]
    starts = [s["start"] for s in body["next_free_slots"]]
    assert len(starts) == 5 and TUESDAY_SOCIAL not in starts and starts == sorted(starts)
    assert iso(2026, 12, 15, 9, 30) in starts and iso(2026, 12, 15, 10, 30) in starts
    assert len(booked_rows(db)) == 1


@pytest.mark.parametrize(("body", "words"), [
    (booking(iso(2026, 12, 11, 10)), "in the past"),
    (booking(iso(2026, 12, 14, 9, 30)), "too soon"),
    (booking(iso(2027, 1, 15, 10)), "28 days ahead"),
    (booking(iso(2026, 12, 25, 14), service="legal"), "public holiday in Belgium (Christmas Day)"),
    (booking(iso(2027, 1, 1, 14), service="legal"), "New Year's Day"),
    (booking(iso(2026, 12, 17, 14), service="legal"), "outside the legal permanence's hours"),
    (booking(iso(2026, 12, 19, 10), service="social"), "outside the social permanence's hours"),
    (booking(iso(2026, 12, 15, 10, 15)), "not the start of a slot"),
    (booking(TUESDAY_SOCIAL, service="medical"), "service: Input should be 'social' or 'legal'"),
    (booking(TUESDAY_SOCIAL, contact_phone="call me"), "contact_phone: not a phone number"),
    (booking(TUESDAY_SOCIAL, contact_phone="12"), "contact_phone: not a phone number"),
    (booking(TUESDAY_SOCIAL, first_name="Amina 0470123456"), "first_name: a first name or initials only"),
    (booking(TUESDAY_SOCIAL, first_name="A" * 41), "at most 40 characters"),
    (booking(TUESDAY_SOCIAL, language="pt"), "language: unknown language"),
    (booking("tomorrow"), "start: Input should be a valid datetime"),
    ({"service": "social", "start": TUESDAY_SOCIAL}, "first_name: Field required"),
])
def test_input_that_cannot_be_booked_is_422_with_a_sentence(api, db, body: dict, words: str) -> None:
    r = api.post("/api/appointments", json=body)
    assert r.status_code == 422, r.text
    assert words in r.json()["detail"]
    assert booked_rows(db) == []


def test_closed_day_says_the_reason(api) -> None:
    from appointments_support import COUNSELLOR

    api.post("/api/console/closures", json={"date": "2026-12-16", "reason": "staff training"}, headers=COUNSELLOR)
    r = api.post("/api/appointments", json=booking(iso(2026, 12, 16, 10)))
    assert r.status_code == 422
    assert r.json()["detail"] == "the service is closed on Wednesday 16 December 2026 (staff training)"


def test_phone_is_taken_from_an_sms_conversation(api, db) -> None:
    conv = make_conversation(db, "tel:+32470999888", "sms", "nl")
    r = api.post("/api/appointments", json=booking(TUESDAY_SOCIAL, conversation_id=conv.id), headers=INTERNAL)
    assert r.status_code == 201
    (row,) = booked_rows(db)
    assert row.contact_phone == "+32470999888" and row.conversation_id == conv.id
    assert row.language == "nl" and row.channel == "sms"


def test_a_given_phone_wins_and_web_conversations_have_none(api, db) -> None:
    web = make_conversation(db, "web:abc", "web", "fr")
    api.post("/api/appointments", json=booking(TUESDAY_SOCIAL, conversation_id=web.id), headers=INTERNAL)
    sms = make_conversation(db, "tel:+32470999888", "sms", "fr")
    api.post("/api/appointments", json=booking(iso(2026, 12, 15, 10, 30), conversation_id=sms.id,
                                               contact_phone="+33 6 12 34 56 78"), headers=INTERNAL)
    phones = {r.conversation_id: r.contact_phone for r in booked_rows(db)}
    assert phones == {web.id: None, sms.id: "+33612345678"}


def test_unknown_conversation_books_without_the_link(api, db) -> None:
    r = api.post("/api/appointments", json=booking(TUESDAY_SOCIAL, conversation_id="no-such-conversation"), headers=INTERNAL)
    assert r.status_code == 201
    assert booked_rows(db)[0].conversation_id is None


# --- reading, moving, cancelling ---------------------------------------------------------

def test_get_by_reference_and_404(api) -> None:
    ref = api.post("/api/appointments", json=booking(TUESDAY_SOCIAL)).json()["reference"]
    r = api.get(f"/api/appointments/{ref.lower()}")
    assert r.status_code == 200 and r.json()["reference"] == ref
    r = api.get("/api/appointments/ZZZ999")
    assert r.status_code == 404 and r.json() == {"detail": "no appointment with this reference"}


def test_move_to_a_free_slot_frees_the_old_one(api, db) -> None:
    ref = api.post("/api/appointments", json=booking(TUESDAY_SOCIAL)).json()["reference"]
    r = api.patch(f"/api/appointments/{ref}", json={"start": iso(2026, 12, 16, 11)})
    assert r.status_code == 200 and r.json()["start"] == iso(2026, 12, 16, 11) and r.json()["reference"] == ref
    assert api.post("/api/appointments", json=booking(TUESDAY_SOCIAL, first_name="Bilal")).status_code == 201
    assert len(booked_rows(db)) == 2
    assert api.patch(f"/api/appointments/{ref}", json={"start": iso(2026, 12, 16, 11)}).status_code == 200


def test_move_to_a_taken_slot_is_409_and_keeps_the_old_time(api, db) -> None:
    ref = api.post("/api/appointments", json=booking(TUESDAY_SOCIAL)).json()["reference"]
    api.post("/api/appointments", json=booking(iso(2026, 12, 16, 11), first_name="Bilal"))
    r = api.patch(f"/api/appointments/{ref}", json={"start": iso(2026, 12, 16, 11)})
    assert r.status_code == 409 and len(r.json()["next_free_slots"]) == 5
    assert api.get(f"/api/appointments/{ref}").json()["start"] == TUESDAY_SOCIAL


def test_move_follows_the_same_rules(api) -> None:
    ref = api.post("/api/appointments", json=booking(FRIDAY_LEGAL, service="legal")).json()["reference"]
    r = api.patch(f"/api/appointments/{ref}", json={"start": iso(2026, 12, 25, 14)})
    assert r.status_code == 422 and "Christmas Day" in r.json()["detail"]
    r = api.patch(f"/api/appointments/{ref}", json={"start": iso(2026, 12, 15, 10)})  # a Tuesday: no legal
    assert r.status_code == 422 and "outside" in r.json()["detail"]
    assert api.patch("/api/appointments/ZZZ999", json={"start": FRIDAY_LEGAL}).status_code == 404
    assert api.patch(f"/api/appointments/{ref}", json={"start": "soon"}).status_code == 422


def test_cancel_is_idempotent_and_frees_the_slot(api, db) -> None:
    ref = api.post("/api/appointments", json=booking(TUESDAY_SOCIAL)).json()["reference"]
    first = api.delete(f"/api/appointments/{ref}")
    assert first.status_code == 200 and first.json()["status"] == "cancelled"
    assert api.delete(f"/api/appointments/{ref}").json() == first.json()
    assert api.delete("/api/appointments/ZZZ999").status_code == 404
    assert api.post("/api/appointments", json=booking(TUESDAY_SOCIAL, first_name="Bilal")).status_code == 201
    r = api.patch(f"/api/appointments/{ref}", json={"start": iso(2026, 12, 16, 11)})
    assert r.status_code == 409 and "cancelled" in r.json()["detail"]


def test_past_appointments_cannot_be_cancelled_or_moved(api, db) -> None:
    from app.appointments.clock import get_now

    ref = api.post("/api/appointments", json=booking(TUESDAY_SOCIAL)).json()["reference"]
    later = NOW.replace(day=16)
    api.app.dependency_overrides[get_now] = lambda: later
    r = api.delete(f"/api/appointments/{ref}")
    assert r.status_code == 422 and "already taken place" in r.json()["detail"]
    assert api.patch(f"/api/appointments/{ref}", json={"start": iso(2026, 12, 17, 10)}).status_code == 422


def test_conversation_appointments_need_the_internal_token(api, db) -> None:
    conv = make_conversation(db)
    ref = api.post("/api/appointments", json=booking(TUESDAY_SOCIAL, conversation_id=conv.id),
                   headers=INTERNAL).json()["reference"]
    cancelled = api.post("/api/appointments", json=booking(iso(2026, 12, 16, 10), conversation_id=conv.id),
                         headers=INTERNAL).json()["reference"]
    # Not with the public client's proof: its own conversation (the actions, with the internal token) cancels it.
    assert api.delete(f"/api/appointments/{cancelled}").status_code == 403
    own = {"Authorization": "Bearer internal-test-token", "X-Conversation-Id": conv.id}
    assert api.delete(f"/api/appointments/{cancelled}", headers=own).status_code == 200
    url = f"/api/conversations/{conv.id}/appointments"
    assert api.get(url).status_code == 401
    assert api.get(url, headers={"Authorization": "Bearer wrong"}).status_code == 401
    r = api.get(url, headers=INTERNAL)
    assert r.status_code == 200 and [a["reference"] for a in r.json()["appointments"]] == [ref]
    assert api.get("/api/conversations/unknown/appointments", headers=INTERNAL).json() == {"appointments": []}


# --- home visits ------------------------------------------------------------------------

def test_home_visit_request(api, db) -> None:
    r = api.post("/api/home-visits", json={"first_name": "Amina", "language": "ar", "contact_phone": "0470123456",
                                           "note": "wheelchair"})
    assert r.status_code == 201 and r.json()["status"] == "requested" and "contact_phone" not in r.json()
    conv = make_conversation(db)
    assert api.post("/api/home-visits", json={"first_name": "Bo", "language": "en",
                                              "conversation_id": conv.id}, headers=INTERNAL).status_code == 201
    r = api.post("/api/home-visits", json={"first_name": "Bo", "language": "en"})
    assert r.status_code == 422 and "phone number is needed" in r.json()["detail"]
    r = api.post("/api/home-visits", json={"first_name": "Bo", "language": "en", "contact_phone": "1",
                                           "note": "x" * 301})
    assert r.status_code == 422 and "contact_phone" in r.json()["detail"] and "note" in r.json()["detail"]


# --- configuration and documentation ------------------------------------------------------

def test_counsellors_per_slot_setting_gives_seats(appointments_env, monkeypatch) -> None:
    from app.appointments.clock import get_now
    from app.core.settings import get_settings
    from app.main import create_app
    from fastapi.testclient import TestClient

    monkeypatch.setenv("COUNSELLORS_PER_SLOT", "2")
    monkeypatch.setenv("SLOT_MINUTES", "60")
    get_settings.cache_clear()
    app = create_app()
    app.dependency_overrides[get_now] = lambda: NOW
    with TestClient(app) as client:
        first = client.get("/api/slots", params={"service": "social"}).json()["slots"][0]
        assert first == {"start": iso(2026, 12, 14, 10), "end": iso(2026, 12, 14, 11), "free_seats": 2}
        assert client.post("/api/appointments", json=booking(iso(2026, 12, 15, 10))).status_code == 201
        assert client.post("/api/appointments", json=booking(iso(2026, 12, 15, 10))).status_code == 201
        assert client.post("/api/appointments", json=booking(iso(2026, 12, 15, 10))).status_code == 409
        assert client.post("/api/appointments", json=booking(iso(2026, 12, 15, 10, 30))).status_code == 422


def test_openapi_documents_the_errors(api) -> None:
    spec = api.app.openapi()  # /openapi.json is served in development only
    post = spec["paths"]["/api/appointments"]["post"]["responses"]
    assert {"200", "201", "409", "422"} <= set(post)
    assert post["409"]["content"]["application/json"]["schema"]["$ref"].endswith("SlotTakenOut")
    assert "404" in spec["paths"]["/api/appointments/{reference}"]["patch"]["responses"]
