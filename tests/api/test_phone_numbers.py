"""Phone numbers (issue 9): one validation, the gateway's, with the phonenumbers
library. A number without its country code is read as Belgian, then as a number of the
country the conversation's language suggests; international numbers are accepted; the
number is read back in international format. The assistant's actions ask POST /api/phone."""

from __future__ import annotations

import pytest
from app.appointments.contact import international, normalise_phone


@pytest.mark.parametrize(("text", "language", "e164"), [
    ("0470 12 34 56", None, "+32470123456"),
    ("0032 470 12 34 56", None, "+32470123456"),
    ("+32 (0)470 12.34.56", None, "+32470123456"),
    ("+32 470/12.34.56", "fr", "+32470123456"),
    ("081 34 34 36", "nl", "+3281343436"),              # a Belgian landline
    ("3331234567", "it", "+393331234567"),              # an Italian mobile, written the Italian way
    ("0612345678", "ar", "+212612345678"),              # a Moroccan mobile
    ("0033 6 12 34 56 78", None, "+33612345678"),
    ("+90 532 123 45 67", "fr", "+905321234567"),       # with its country code: any language
])
def test_numbers_people_write_are_understood(text: str, language: str | None, e164: str) -> None:
    assert normalise_phone(text, language) == e164


@pytest.mark.parametrize("text", ["call me", "12", "3331234567", "0470 12 34", "+32 470 12 34 56 78 90 12",
                                  "0470123456; DROP TABLE", "٠٤٧٠"])
def test_what_is_not_a_number_is_refused_with_an_example(text: str) -> None:
    with pytest.raises(ValueError, match="not a phone number: write it with digits, e.g. 0470 12 34 56"):
        normalise_phone(text)  # "3331234567" without a language: not Belgian, so refused


def test_read_back_in_international_format() -> None:
    assert international("+393331234567") == "+39 333 123 4567"
    assert international("+32470123456") == "+32 470 12 34 56"


def test_the_assistant_asks_the_gateway(client) -> None:
    r = client.post("/api/phone", json={"text": "333 123 4567", "language": "it"})
    assert r.status_code == 200 and r.json() == {"e164": "+393331234567", "international": "+39 333 123 4567"}
    r = client.post("/api/phone", json={"text": "mon numéro", "language": "fr"})
    assert r.status_code == 422 and r.json()["detail"].startswith("text: not a phone number")
    assert client.post("/api/phone", json={"text": "", "language": "fr"}).status_code == 422
    assert client.post("/api/phone", json={"text": "0470123456", "language": "xx"}).status_code == 422


def test_a_booking_reads_the_number_in_the_bookings_language(client) -> None:
    slots = client.get("/api/slots", params={"service": "social"}).json()["slots"]
    body = {"service": "social", "start": slots[0]["start"], "first_name": "Giulia", "contact_phone": "3331234567"}
    refused = client.post("/api/appointments", json=body)
    assert refused.status_code == 422 and refused.json()["detail"].startswith("contact_phone: not a phone number")
    assert client.post("/api/appointments", json={**body, "language": "it"}).status_code == 201
