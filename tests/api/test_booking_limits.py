"""Issue 10, abuse of the booking API: an anonymous client booked 20 legal-permanence
slots in 0.16 s with no phone, token or limit; a booking could be attached to another
person's conversation. Now: a person holds at most two upcoming appointments, bookings
are limited per client address and per conversation per hour whatever the door, and
conversation_id needs the internal token."""

# ruff: noqa: F811
from __future__ import annotations

from appointments_support import (  # noqa: F401  (fixtures)
    INTERNAL,
    api,
    appointments_env,
    booking,
    db,
    iso,
    make_conversation,
)

SLOTS = [iso(2026, 12, d, h, m) for d in (15, 16, 17) for h, m in ((9, 30), (10, 0), (10, 30), (11, 0), (11, 30))]


def test_a_person_holds_at_most_two_upcoming_appointments(api, db) -> None:
    for start in SLOTS[:2]:
        assert api.post("/api/appointments", json=booking(start, contact_phone="0470 55 66 77")).status_code == 201
    r = api.post("/api/appointments", json=booking(SLOTS[2], contact_phone="+32 470 55 66 77"))
    assert r.status_code == 409 and r.json()["code"] == "quota", r.text
    assert "cancel or move" in r.json()["detail"]
    # Another person is not concerned.
    assert api.post("/api/appointments", json=booking(SLOTS[2], contact_phone="0470 11 11 11")).status_code == 201
    # Cancelling one frees a place (proof: the last four digits).
    ref = api.post("/api/appointments", json=booking(SLOTS[3], contact_phone="0470 22 22 22")).json()["reference"]
    assert api.delete(f"/api/appointments/{ref}", headers={"X-Phone-Last4": "2222"}).status_code == 200


def test_a_conversation_counts_as_a_person_too(api, db) -> None:
    conv = make_conversation(db, key="web:w-quota", channel="web")
    for start in SLOTS[:2]:
        r = api.post("/api/appointments", json=booking(start, conversation_id=conv.id), headers=INTERNAL)
        assert r.status_code == 201, r.text
    r = api.post("/api/appointments", json=booking(SLOTS[2], conversation_id=conv.id), headers=INTERNAL)
    assert r.status_code == 409 and r.json()["code"] == "quota"


def test_conversation_id_needs_the_internal_token(api, db) -> None:
    """Attaching a booking to someone's SMS conversation filled in their number and sent
    them its reminder."""
    conv = make_conversation(db)  # an SMS conversation
    r = api.post("/api/appointments", json=booking(SLOTS[0], conversation_id=conv.id))
    assert r.status_code == 403 and r.json()["code"] == "internal_only"
    r = api.post("/api/home-visits", json={"first_name": "Bo", "language": "en", "conversation_id": conv.id})
    assert r.status_code == 403
    assert api.post("/api/appointments", json=booking(SLOTS[0], conversation_id=conv.id),
                    headers=INTERNAL).status_code == 201


def test_one_client_address_books_a_few_per_hour_then_gets_429(api, db) -> None:
    statuses = [api.post("/api/appointments", json=booking(start, contact_phone=f"+3247090{i:04d}")).status_code
                for i, start in enumerate(SLOTS[:8])]
    assert statuses == [201] * 6 + [429] * 2
    r = api.post("/api/appointments", json=booking(SLOTS[9], contact_phone="+32470999999"))
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0 and r.json()["code"] == "too_many_bookings"


def test_a_refused_booking_does_not_count_against_the_client(api, db) -> None:
    taken = api.post("/api/appointments", json=booking(SLOTS[0], contact_phone="+32470800000"))
    assert taken.status_code == 201
    # Ten tries at a taken or closed time: 409/422, never 429 (nothing was booked).
    for i in range(10):
        r = api.post("/api/appointments", json=booking(iso(2026, 12, 19, 10), contact_phone=f"+3247081{i:04d}"))
        assert r.status_code == 422, r.text
    assert api.post("/api/appointments", json=booking(SLOTS[1], contact_phone="+32470820000")).status_code == 201


def test_fresh_widget_conversations_from_one_address_share_its_limit(api, db) -> None:
    """Emptying the schedule through fresh widget tokens: every conversation is new, but
    the assistant books for them from the address their messages came from."""
    from app.core.ratelimit import get_origins

    statuses = []
    for i, start in enumerate(SLOTS[:8]):
        conv = make_conversation(db, key=f"web:w-fresh-{i}", channel="web")
        get_origins().remember(conv.key, "203.0.113.7")  # what the widget's door records
        r = api.post("/api/appointments", json=booking(start, conversation_id=conv.id, contact_phone=f"+3247070{i:04d}"),
                     headers=INTERNAL)
        statuses.append(r.status_code)
    assert statuses == [201] * 6 + [429] * 2
    # Another address is not concerned.
    conv = make_conversation(db, key="web:w-elsewhere", channel="web")
    get_origins().remember(conv.key, "198.51.100.1")
    assert api.post("/api/appointments", json=booking(SLOTS[9], conversation_id=conv.id), headers=INTERNAL).status_code == 201
