"""One text rule at every door (app.core.text): control characters and NUL removed,
invisible-only text empty, at most 2,000 characters — the JSON API, the widget, the
console's reply box and Twilio's webhooks, on SQLite and PostgreSQL (where a NUL in a
text column fails)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from app.conversations.models import Direction, Message
from app.core.text import EmptyText, TooLong, clean_text
from app.i18n.catalogue import render
from conftest import clear_caches, migrate
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.fakes.fake_twilio import TwilioWebhooks

AUTH_TOKEN = "twilio-test-auth-token"
ACCOUNT_SID = "AC" + "1" * 32
PUBLIC = "https://assistant.example.be"
NUMBER = "+32470123456"
INVISIBLE = ["\u200b", "\u200b\u200c\u200d", "\ufeff", "\u200e\u200f", "\u2066\u2069", " \t\n\u00a0\u3000",
             "\u2800", "\u3164", "\x00\x01\x7f", "\u00ad", "\u2060\u180e"]


@pytest.fixture
def app_client(base_env: None, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setenv("PUBLIC_BASE_URL", PUBLIC)
    monkeypatch.setenv("TWILIO_SMS_NUMBER", "+3228800000")
    monkeypatch.setenv("TWILIO_WHATSAPP_NUMBER", "+3228800001")
    clear_caches()
    migrate(database_url)
    from app.main import create_app

    with TestClient(create_app()) as c:
        yield c
    clear_caches()


@pytest.fixture
def tw() -> TwilioWebhooks:
    return TwilioWebhooks(AUTH_TOKEN, PUBLIC, ACCOUNT_SID, "+3228800000", "+3228800001")


def texts() -> list[tuple[str, str]]:
    from app.core.db import get_sessionmaker

    with get_sessionmaker()() as s:
        return [(m.direction, m.text) for m in s.scalars(select(Message).order_by(Message.id))]


# --- the rule itself --------------------------------------------------------------------------

def test_controls_go_line_breaks_stay_tabs_become_spaces() -> None:
    assert clean_text("a\x00b\x07c\x1bd\x7fe\x85f\x9fg") == "abcdefg"
    assert clean_text("one\r\ntwo\rthree\nfour\tfive") == "one\ntwo\nthree\nfour five"
    assert clean_text("lone \ud800 surrogate \ufffe") == "lone  surrogate "


def test_invisible_characters_inside_real_text_are_kept() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert clean_text(family) == family
    assert clean_text("\u0645\u06cc\u200c\u062e\u0648\u0627\u0645") == "\u0645\u06cc\u200c\u062e\u0648\u0627\u0645"


@pytest.mark.parametrize("text", INVISIBLE)
def test_invisible_only_text_is_empty(text: str) -> None:
    with pytest.raises(EmptyText):
        clean_text(text)


def test_the_limit_counts_the_cleaned_text() -> None:
    assert len(clean_text("a" * 2000 + "\x00" * 50)) == 2000
    with pytest.raises(TooLong, match="2001 characters, at most 2000"):
        clean_text("a" * 2001)


# --- the doors ----------------------------------------------------------------------------------

def test_a_nul_in_a_chat_message_is_removed_before_the_database(app_client) -> None:
    r = app_client.post("/api/chat", json={"sender": "nul-1", "text": "hel\x00lo\x00 there"})
    assert r.status_code in (200, 503), r.text  # 503: the bot is down in these tests
    assert (Direction.inbound, "hello there") in texts()


@pytest.mark.parametrize("text", ["\u200b\u200b", "\ufeff", "\x00", "\u200e \u200f"])
def test_invisible_only_messages_are_refused_by_the_json_doors(app_client, text: str) -> None:
    r = app_client.post("/api/chat", json={"sender": "blank", "text": text})
    assert r.status_code == 422 and "empty" in r.json()["detail"]
    token = app_client.post("/api/widget/session").json()["token"]
    r = app_client.post("/api/widget/messages", json={"token": token, "text": text})
    assert r.status_code == 422 and "empty" in r.json()["detail"]
    assert texts() == []


def test_the_widget_cleans_text_and_label(app_client) -> None:
    token = app_client.post("/api/widget/session").json()["token"]
    r = app_client.post("/api/widget/messages", json={"token": token, "text": "bon\x00jour\x1b", "label": "o\x00k"})
    assert r.status_code in (200, 503), r.text
    assert (Direction.inbound, "bonjour") in texts()
    r = app_client.post("/api/widget/messages", json={"token": token, "text": "x" * 2001})
    assert r.status_code == 422 and "at most 2000" in r.json()["detail"]


def test_a_counsellors_reply_follows_the_same_rule(app_client) -> None:
    from console_support import sign_in

    csrf = sign_in(app_client)
    r = app_client.post("/api/console/conversations/1/reply", headers=csrf, json={"text": "\u200b"})
    assert r.status_code == 422, r.text


def test_twilio_nul_is_removed_and_zero_width_only_is_an_empty_message(app_client, tw) -> None:
    r = tw.post(app_client, "/webhooks/twilio/sms", tw.inbound(NUMBER, "Bon\x00jour, quelles sont vos heures ?"))
    assert r.status_code == 200
    r = tw.post(app_client, "/webhooks/twilio/sms", tw.inbound(NUMBER, "\u200b\ufeff\u200d"))
    assert r.status_code == 200 and render("only_text", "fr").text in r.text
    inbound = [t for d, t in texts() if d == Direction.inbound]
    assert inbound == ["Bonjour, quelles sont vos heures ?", "[empty]"]


def test_an_over_long_whatsapp_message_is_stored_cut_and_answered_write_shorter(app_client, tw) -> None:
    body = "Bonjour " + "a" * 3000 + "\x00"
    r = tw.post(app_client, "/webhooks/twilio/whatsapp", tw.inbound(NUMBER, body, channel="whatsapp"))
    assert r.status_code == 200 and render("message_too_long", None).text in r.text
    [(_, stored), (direction, _)] = texts()
    assert stored == body[:2000] and direction == Direction.outbound


def test_a_twilio_message_sid_with_a_control_character_is_refused(app_client, tw) -> None:
    r = tw.post(app_client, "/webhooks/twilio/sms", tw.inbound(NUMBER, "hello", sid="SM\x00abc"))
    assert r.status_code == 400
    assert texts() == []
