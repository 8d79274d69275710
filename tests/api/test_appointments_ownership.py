"""Seeing, moving or cancelling an appointment by its reference needs proof that it is
yours: its own conversation (the assistant's actions, with the internal token), an
SMS/WhatsApp conversation of its phone number, or the last four digits of that number.
Failed attempts are limited per reference and per client. SQLite and PostgreSQL."""

# ruff: noqa: F811

from __future__ import annotations

from app.appointments.ownership import CLIENT_LIMIT, REFERENCE_LIMIT
from appointments_support import (
    INTERNAL,  # noqa: F401  (fixtures)
    NOW,
    api,
    appointments_env,
    booking,
    db,
    iso,
    make_conversation,
)

TUESDAY = iso(2026, 12, 15, 10, 0)
NO_PROOF = {"X-Phone-Last4": ""}  # the test client sends the right digits by default


def own(conversation_id: str) -> dict[str, str]:
    return {"Authorization": "Bearer internal-test-token", "X-Conversation-Id": conversation_id, "X-Phone-Last4": ""}


def test_a_stranger_sees_nothing_without_the_phone_digits(api) -> None:
    ref = api.post("/api/appointments", json=booking(TUESDAY, contact_phone="+32470556677")).json()["reference"]
    for r in (api.get(f"/api/appointments/{ref}", headers=NO_PROOF),
              api.delete(f"/api/appointments/{ref}", headers=NO_PROOF),
              api.patch(f"/api/appointments/{ref}", json={"start": iso(2026, 12, 16, 11)}, headers=NO_PROOF)):
        assert r.status_code == 403 and r.json()["code"] == "proof_required"
        assert "2026" not in r.text and "Amina" not in r.text  # neither the date nor the name
    wrong = api.get(f"/api/appointments/{ref}", headers={"X-Phone-Last4": "1234"})
    assert wrong.status_code == 403 and wrong.json()["code"] == "proof_wrong"
    right = api.get(f"/api/appointments/{ref}", headers={"X-Phone-Last4": "6677"})
    assert right.status_code == 200 and right.json()["start"] == TUESDAY
    assert api.get(f"/api/appointments/{ref}", headers={"X-Phone-Last4": "66 77"}).status_code == 200
    assert api.get(f"/api/appointments/{ref}", headers={"X-Phone-Last4": "6677"}).json()["status"] == "booked"


def test_its_own_conversation_needs_no_digits_and_another_conversation_does(api, db) -> None:
    web = make_conversation(db, "web:abc", "web", "fr")
    other = make_conversation(db, "web:someone-else", "web", "fr")
    ref = api.post("/api/appointments", json=booking(TUESDAY, conversation_id=web.id), headers=INTERNAL).json()["reference"]
    assert api.get(f"/api/appointments/{ref}", headers=own(web.id)).status_code == 200
    # Booked without a phone: nobody else can prove it, and the answer says why.
    r = api.get(f"/api/appointments/{ref}", headers=own(other.id))
    assert r.status_code == 403 and r.json()["code"] == "no_phone" and "conversation" in r.json()["detail"]
    # The conversation header counts only with the internal token.
    r = api.get(f"/api/appointments/{ref}", headers={"X-Conversation-Id": web.id, "X-Phone-Last4": ""})
    assert r.status_code == 403
    assert api.delete(f"/api/appointments/{ref}", headers=own(web.id)).json()["status"] == "cancelled"


def test_the_same_phone_writing_by_sms_is_the_owner(api, db) -> None:
    web = make_conversation(db, "web:abc", "web", "en")
    sms = make_conversation(db, "tel:+32470556677", "sms", "en")
    stranger = make_conversation(db, "tel:+32470999999", "sms", "en")
    ref = api.post("/api/appointments", json=booking(TUESDAY, conversation_id=web.id,
                                                     contact_phone="+32470556677"), headers=INTERNAL).json()["reference"]
    assert api.get(f"/api/appointments/{ref}", headers=own(sms.id)).status_code == 200
    assert api.get(f"/api/appointments/{ref}", headers=own(stranger.id)).json()["code"] == "proof_required"


def test_guessing_the_digits_is_stopped_even_for_the_right_ones(api, db) -> None:
    web = make_conversation(db, "web:owner", "web", "en")
    ref = api.post("/api/appointments", json=booking(TUESDAY, conversation_id=web.id,
                                                     contact_phone="+32470556677"), headers=INTERNAL).json()["reference"]
    for guess in range(REFERENCE_LIMIT):
        r = api.delete(f"/api/appointments/{ref}", headers={"X-Phone-Last4": f"{guess:04d}"})
        assert r.status_code == 403
    r = api.delete(f"/api/appointments/{ref}", headers={"X-Phone-Last4": "6677"})
    assert r.status_code == 429 and r.json()["code"] == "too_many_attempts"
    assert 0 < int(r.headers["Retry-After"]) <= 24 * 3600 + 1
    # The owner's own conversation is not locked out by a stranger's guesses.
    assert api.get(f"/api/appointments/{ref}", headers=own(web.id)).json()["status"] == "booked"


def test_trying_references_one_after_another_is_stopped(api) -> None:
    for n in range(CLIENT_LIMIT):
        assert api.get(f"/api/appointments/ZZZ{n:03d}").status_code == 404
    ref = api.post("/api/appointments", json=booking(TUESDAY)).json()["reference"]
    r = api.get(f"/api/appointments/{ref}")  # the right digits, but this client has guessed too much
    assert r.status_code == 429 and "Retry-After" in r.headers


def test_failed_attempts_are_stored_as_hashes_only(api, db) -> None:
    from app.appointments.models import ProofAttempt
    from sqlalchemy import select

    api.get("/api/appointments/ZZZ999")
    db.expire_all()
    rows = db.scalars(select(ProofAttempt)).all()
    assert len(rows) == 1 and "ZZZ999" not in rows[0].reference_hash and len(rows[0].reference_hash) == 64
    assert "testclient" not in rows[0].client_hash
