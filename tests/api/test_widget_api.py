"""The website widget's API: signed conversation tokens, messages, history, pushed events.

The bot is down in these tests (RASA_URL points at a closed port); the gateway's own
answers (a language switch) and its 503 path are enough to check the widget's rules.
"""

from __future__ import annotations

import json
import time
import uuid

import pytest
from app.channels.web import tokens
from app.conversations.models import (
    Channel,
    Conversation,
    Direction,
    Message,
    MessageStatus,
)
from sqlalchemy import select

SECRET = "secret-test-key"  # SECRET_KEY in tests/api/conftest.py


def new_token(client) -> str:
    r = client.post("/api/widget/session")
    assert r.status_code == 201
    return r.json()["token"]


def key_of(token: str) -> str:
    return tokens.verify(token, SECRET, max_age_seconds=3600).key


def send(client, token: str, text: str):
    return client.post("/api/widget/messages", json={"token": token, "text": text})


def events(client, token: str, **params) -> list[dict]:
    headers = params.pop("headers", {})
    r = client.get("/api/widget/events", params={"token": token, **params}, headers=headers)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    out = []
    for block in r.text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line and line[0] != ":")
        if "data" in fields:
            out.append({"id": int(fields["id"]), **json.loads(fields["data"])})
    return out


def add_outbound(session, key: str, text: str) -> Message:
    """What a counsellor's reply or a reminder looks like in the database."""
    from app.conversations.repository import add_message, get_by_key

    conv = get_by_key(session, key)
    msg = add_message(session, conv, Direction.outbound, text, channel=Channel.web,
                      status=MessageStatus.queued, language="en")
    session.commit()
    return msg


@pytest.fixture
def short_streams(client, monkeypatch: pytest.MonkeyPatch):
    """Event streams end after a moment, so a test can read a whole one."""
    from app.core import settings

    monkeypatch.setenv("WIDGET_STREAM_SECONDS", "1.2")
    monkeypatch.setenv("WIDGET_POLL_SECONDS", "0.2")
    settings.get_settings.cache_clear()
    yield client
    settings.get_settings.cache_clear()


# --- tokens ---------------------------------------------------------------------------------


def test_a_token_round_trips_and_names_a_widget_conversation() -> None:
    conv = uuid.uuid4()
    ident = tokens.verify(tokens.issue(SECRET, conv), SECRET, max_age_seconds=60)
    assert ident.conversation == conv
    assert ident.key == f"web:w-{conv}"


@pytest.mark.parametrize("how", ["payload", "signature"])
def test_a_tampered_token_is_refused(how: str) -> None:
    payload, sig = tokens.issue(SECRET).split(".")
    if how == "payload":  # another conversation id, the old signature
        payload = tokens.issue(SECRET).split(".")[0]
    else:
        sig = sig[:-2] + ("AA" if sig[-2:] != "AA" else "BB")
    with pytest.raises(tokens.InvalidToken, match="signature"):
        tokens.verify(f"{payload}.{sig}", SECRET, max_age_seconds=60)


def test_a_token_signed_with_another_key_is_refused() -> None:
    with pytest.raises(tokens.InvalidToken, match="signature"):
        tokens.verify(tokens.issue("someone-elses-key"), SECRET, max_age_seconds=60)


def test_an_old_token_is_refused_as_expired() -> None:
    old = tokens.issue(SECRET, now=time.time() - 3600)
    with pytest.raises(tokens.InvalidToken, match="expired"):
        tokens.verify(old, SECRET, max_age_seconds=60)


# --- sessions and 401 -----------------------------------------------------------------------


def test_each_session_is_a_new_conversation_and_stores_nothing_yet(client, session) -> None:
    a, b = new_token(client), new_token(client)
    assert a != b and key_of(a) != key_of(b)
    assert session.scalars(select(Conversation)).all() == []


@pytest.mark.parametrize("bad", [
    "",
    "not-a-token",
    "a.b.c",
    "é.é",
    "x" * 300,
])
def test_malformed_tokens_get_401_with_a_clear_message_everywhere(client, bad: str) -> None:
    for r in (send(client, bad, "hello"),
              client.get("/api/widget/history", params={"token": bad}),
              client.get("/api/widget/events", params={"token": bad})):
        assert r.status_code == 401, r.text
        assert "token" in r.json()["detail"]
        assert "POST /api/widget/session" in r.json()["detail"]


def test_a_missing_token_is_401_not_422(client) -> None:
    r = client.post("/api/widget/messages", json={"text": "hello"})
    assert r.status_code == 401
    assert r.json()["detail"].startswith("missing conversation token")
    assert client.get("/api/widget/history").status_code == 401


def test_forged_and_tampered_tokens_get_401(client, session) -> None:
    real = new_token(client)
    assert send(client, real, "English please").status_code == 200
    payload, sig = real.split(".")
    someone = uuid.uuid4()
    forged = [
        tokens.issue("guessed-secret", someone),                 # signed with another key
        tokens.issue("guessed-secret", uuid.UUID(key_of(real)[6:])),  # the right id, wrong key
        f"{tokens.issue(SECRET).split('.')[0]}.{sig}",            # another id under this signature
        f"{payload}.{sig[:-1]}{'A' if sig[-1] != 'A' else 'B'}",  # one character changed
    ]
    for token in forged:
        r = client.get("/api/widget/history", params={"token": token})
        assert r.status_code == 401, token
        assert "signature" in r.json()["detail"]
        assert send(client, token, "hello").status_code == 401
    # Nothing was written by the refused requests.
    assert session.scalars(select(Conversation.key)).all() == [key_of(real)]


def test_an_expired_token_gets_401(client) -> None:
    old = tokens.issue(SECRET, now=time.time() - 200 * 86400)
    r = client.get("/api/widget/history", params={"token": old})
    assert r.status_code == 401
    assert "expired" in r.json()["detail"]


# --- messages -------------------------------------------------------------------------------


def test_message_rules_are_those_of_the_chat(client) -> None:
    token = new_token(client)
    r = send(client, token, "   ")
    assert r.status_code == 422 and "empty" in r.json()["detail"]
    r = send(client, token, "a" * 2001)
    assert r.status_code == 422 and "2000" in r.json()["detail"]
    r = client.post("/api/widget/messages", json={"token": token, "text": 42})
    assert r.status_code == 422 and "text" in r.json()["detail"]


def test_a_gateway_answer_comes_back_with_ids_language_and_a_fresh_token(client, session) -> None:
    token = new_token(client)
    r = send(client, token, "English please")
    assert r.status_code == 200
    body = r.json()
    assert body["language"] == "en"
    [msg] = body["messages"]
    assert msg["text"] == "OK, I will write in English."
    assert msg["direction"] == "out" and isinstance(msg["id"], int)
    # Same conversation, and the refreshed token still opens it.
    assert key_of(body["token"]) == key_of(token)
    conv = session.scalars(select(Conversation)).one()
    assert conv.key == key_of(token) and conv.channel == "web"


def test_bot_down_is_503_with_the_message_stored(client, session) -> None:
    token = new_token(client)
    r = send(client, token, "What are your opening hours on Saturday?")
    assert r.status_code == 503
    body = r.json()
    assert "saved" in body["detail"]
    assert body["language"] == "en"
    assert body["messages"][0]["id"] is None  # an apology, not part of the conversation
    assert "+32 81 34 34 36" in body["messages"][0]["text"]
    assert key_of(body["token"]) == key_of(token)
    msg = session.scalars(select(Message)).one()
    assert msg.text == "What are your opening hours on Saturday?"
    assert msg.status == MessageStatus.unanswered
    assert session.get(Conversation, msg.conversation_id).key == key_of(token)


# --- history ---------------------------------------------------------------------------------


def test_history_returns_only_the_conversations_own_messages(client) -> None:
    a, b = new_token(client), new_token(client)
    send(client, a, "English please")
    send(client, b, "ok")
    send(client, b, "English please")
    ha = client.get("/api/widget/history", params={"token": a}).json()
    hb = client.get("/api/widget/history", params={"token": b}).json()
    assert [(m["direction"], m["text"]) for m in ha["messages"]] == [
        ("in", "English please"), ("out", "OK, I will write in English.")]
    assert ha["language"] == "en"
    assert [m["text"] for m in hb["messages"] if m["direction"] == "in"] == ["ok", "English please"]
    assert not {m["id"] for m in ha["messages"]} & {m["id"] for m in hb["messages"]}


def test_history_of_a_session_without_messages_is_empty(client) -> None:
    r = client.get("/api/widget/history", params={"token": new_token(client)})
    assert r.status_code == 200
    assert r.json() == {"messages": [], "language": None}


def test_the_chat_endpoint_cannot_be_used_to_guess_a_widget_conversation(client, session) -> None:
    """/api/chat lets a client name its sender; widget ids are random uuids it never sees."""
    token = new_token(client)
    send(client, token, "English please")
    client.post("/api/chat", json={"sender": f"w-{uuid.uuid4()}", "text": "English please"})
    h = client.get("/api/widget/history", params={"token": token}).json()
    assert len(h["messages"]) == 2


# --- pushed messages (server-sent events) ---------------------------------------------------


def test_events_stream_later_outbound_messages_of_this_conversation_only(short_streams, session) -> None:
    client = short_streams
    mine, other = new_token(client), new_token(client)
    first = send(client, mine, "English please").json()["messages"][0]["id"]
    send(client, other, "English please")
    counsellor = add_outbound(session, key_of(mine), "Hello, I am Sarah, a counsellor.")
    add_outbound(session, key_of(other), "A message for someone else.")

    got = events(client, mine, after=first)
    assert [(e["id"], e["text"], e["direction"]) for e in got] == [
        (counsellor.id, "Hello, I am Sarah, a counsellor.", "out")]


def test_events_resume_after_last_event_id_and_skip_inbound(short_streams, session) -> None:
    client = short_streams
    token = new_token(client)
    reply = send(client, token, "English please").json()["messages"][0]
    reminder = add_outbound(session, key_of(token), "Reminder: appointment tomorrow.")
    # From the start: the assistant's reply and the reminder, never the user's own words.
    assert [e["text"] for e in events(client, token, after=0)] == [reply["text"], reminder.text]
    # The browser reconnects with Last-Event-ID: it wins over the URL's `after`.
    got = events(client, token, after=0, headers={"Last-Event-ID": str(reply["id"])})
    assert [e["id"] for e in got] == [reminder.id]
    # Without a position, a stream starts with what comes next.
    assert events(client, token) == []


def test_events_carry_buttons_and_language(short_streams, session) -> None:
    client = short_streams
    token = new_token(client)
    send(client, token, "ok")  # too short to tell: the gateway asks for the language
    got = events(client, token, after=0)
    assert "9. العربية" in got[0]["text"]
    assert got[0]["buttons"] == [] and got[0]["language"] is None


# --- CORS and files -------------------------------------------------------------------------


def test_widget_endpoints_allow_other_origins_and_the_rest_does_not(client) -> None:
    pre = client.options("/api/widget/messages", headers={
        "Origin": "https://partner.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert pre.status_code == 200
    assert pre.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in pre.headers
    r = client.post("/api/widget/session", headers={"Origin": "https://partner.example"})
    assert r.headers["access-control-allow-origin"] == "*"
    r = client.post("/api/chat", json={"sender": "x", "text": "English please"},
                    headers={"Origin": "https://partner.example"})
    assert "access-control-allow-origin" not in r.headers
    pre = client.options("/internal/nlg", headers={
        "Origin": "https://partner.example", "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in pre.headers


def test_widget_script_and_demo_page_are_served(client) -> None:
    js = client.get("/widget.js")
    assert js.status_code == 200
    assert js.headers["content-type"].startswith("text/javascript")
    assert "customElements.define" in js.text
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<script src="/widget.js"' in page.text
    # Facts come from config/service.yml, not from the page.
    from app.core.facts import get_facts

    assert get_facts().phone in page.text and "$" not in page.text
