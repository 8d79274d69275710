"""/api/chat input rules, storage, and behaviour when Rasa is down."""

from __future__ import annotations

from sqlalchemy import select

from app.conversations.models import Conversation, Message, MessageStatus
from tests.chat_client import auth, send


def test_empty_message_is_422_with_a_clear_message(client) -> None:
    r = client.post("/api/chat", json={"sender": "abc", "text": "   "})
    assert r.status_code == 422
    assert "empty" in r.json()["detail"]


def test_non_text_message_is_422(client) -> None:
    r = client.post("/api/chat", json={"sender": "abc", "text": 42})
    assert r.status_code == 422
    assert "text" in r.json()["detail"]


def test_over_long_message_is_422_and_says_the_limit(client) -> None:
    r = client.post("/api/chat", json={"sender": "abc", "text": "a" * 2001})
    assert r.status_code == 422
    assert "2000" in r.json()["detail"]
    assert client.post("/api/chat", json={"sender": "abc", "text": "é" * 2000}).status_code != 422


def test_missing_sender_is_422(client) -> None:
    r = client.post("/api/chat", json={"text": "bonjour"})
    assert r.status_code == 422
    assert "sender" in r.json()["detail"]


def test_rasa_down_gives_503_and_keeps_the_message(client, session) -> None:
    r = client.post("/api/chat", json={"sender": "u1", "text": "Quelles sont vos heures d'ouverture ?"})
    assert r.status_code == 503
    body = r.json()
    assert "saved" in body["detail"]
    assert body["language"] == "fr"
    assert "+32 81 34 34 36" in body["messages"][0]["text"]  # the French "try later or call" text
    msg = session.scalars(select(Message)).one()
    assert msg.text == "Quelles sont vos heures d'ouverture ?"
    assert msg.status == MessageStatus.unanswered


def test_web_senders_cannot_reach_a_phone_conversation(client, session) -> None:
    from app.conversations.models import Channel
    from app.conversations.repository import get_or_create, stored_key

    phone = get_or_create(session, "tel:+32470123456", Channel.sms)
    session.commit()
    client.post("/api/chat", json={"sender": "tel:+32470123456", "text": "hello there friends"})
    session.expire_all()
    keys = set(session.scalars(select(Conversation.key)))
    assert keys == {stored_key("tel:+32470123456"), "api:tel:+32470123456"}
    assert session.scalars(select(Message).where(Message.conversation_id == phone.id)).all() == []


def test_leading_slash_never_reaches_rasa_as_an_intent() -> None:
    from app.conversations.rasa import nlu_text

    assert nlu_text('/book_appointment{"slot": "x"}') == 'book_appointment{"slot": "x"}'
    assert nlu_text("  //greet") == "greet"
    assert nlu_text("hello /there") == "hello /there"


def test_first_message_too_short_gets_the_language_menu_and_a_digit_answers_it(client) -> None:
    r = send(client, "m1", "ok")
    assert r.status_code == 200
    assert r.json()["language"] is None
    assert "9. العربية" in r.json()["messages"][0]["text"]
    r = send(client, "m1", "3")
    assert r.status_code == 200
    assert r.json()["language"] == "en"
    assert r.json()["messages"][0]["text"].startswith("Hello")


def test_explicit_switch_is_honoured_without_the_bot(client) -> None:
    r = send(client, "s1", "English please")
    assert r.json() == {"messages": [{"text": "OK, I will write in English.", "buttons": [], "kind": "bot"}],
                        "language": "en", "token": r.json()["token"]}
    r = send(client, "s1", "بالعربية")
    assert r.json()["language"] == "ar"
    # Issue 9: a switch asked as a question switched nothing ("und auf Deutsch bitte?"
    # got a German goodbye).
    for text, lang in (("und auf Deutsch bitte?", "de"), ("et en français ?", "fr"), ("¿en español?", "es")):
        r = send(client, "s1", text)
        assert r.json()["language"] == lang and r.status_code == 200, text
    # A question about a language is not a request to switch: it goes to the (stopped) bot.
    assert send(client, "s1", "do you speak Arabic?").status_code == 503


def test_health_reports_each_part(client) -> None:
    r = client.get("/health")
    assert r.status_code == 503
    assert r.json() == {"gateway": "ok", "database": "ok", "rasa": "down", "status": "degraded"}


def test_a_conversation_is_deleted_on_request(client, session) -> None:
    send(client, "gone", "English please")
    assert client.delete("/api/chat/gone").status_code == 401  # the sender name alone erases nothing
    header = auth(client, "gone")
    assert client.delete("/api/chat/gone", headers=header).status_code == 204
    assert session.scalars(select(Conversation)).all() == []
    assert session.scalars(select(Message)).all() == []
    session.rollback()  # end the read: SQLite transactions take the write lock (core/db.py)
    assert client.delete("/api/chat/gone", headers=header).status_code == 404


def test_a_sender_name_alone_never_continues_or_reads_a_conversation(client, session) -> None:
    """Issue 10: an api: sender id was the only key; anyone who knew it read the
    conversation's appointments by chat and erased it."""
    first = send(client, "alice", "English please")
    token = first.json()["token"]
    assert first.status_code == 200 and token
    # Someone else naming the same sender: refused, and nothing is stored for them.
    r = client.post("/api/chat", json={"sender": "alice", "text": "when is my appointment?"})
    assert r.status_code == 401 and "token" in r.json()["detail"]
    assert client.get("/api/chat/alice").status_code == 401
    assert client.get("/api/chat/alice", headers={"Authorization": "Bearer x.y"}).status_code == 401
    # Another conversation's token does not open this one, nor a forged one.
    other = send(client, "bob", "en français").json()["token"]
    r = client.post("/api/chat", json={"sender": "alice", "text": "hello", "token": other})
    assert r.status_code == 401 and "another conversation" in r.json()["detail"]
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert client.post("/api/chat", json={"sender": "alice", "text": "hi", "token": forged}).status_code == 401
    # The owner, with the token: continues, and reads the history.
    assert send(client, "alice", "do you speak Arabic?").status_code == 503  # Rasa is stopped here
    history = client.get("/api/chat/alice", headers=auth(client, "alice")).json()
    texts = [m["text"] for m in history["messages"]]
    assert texts[0] == "English please" and "do you speak Arabic?" in texts
    assert "when is my appointment?" not in texts and history["language"] == "en"
    session.rollback()
    stored = session.scalars(select(Message.text)).all()
    assert "when is my appointment?" not in stored and "hello" not in stored and "hi" not in stored


def test_retention_erases_old_messages_only(client, session) -> None:
    from datetime import timedelta

    from app.conversations.retention import purge
    from app.core.db import utcnow

    client.post("/api/chat", json={"sender": "old", "text": "English please"})
    client.post("/api/chat", json={"sender": "new", "text": "en français"})
    old = session.scalars(select(Conversation).where(Conversation.key == "api:old")).one()
    for m in session.scalars(select(Message).where(Message.conversation_id == old.id)):
        m.created_at = utcnow() - timedelta(days=400)
    old.created_at = utcnow() - timedelta(days=400)
    session.commit()
    assert purge(session, utcnow(), 180) == (2, 1)
    session.commit()
    assert [c.key for c in session.scalars(select(Conversation))] == ["api:new"]


def test_database_down_is_a_clear_503_not_a_500(base_env, monkeypatch) -> None:
    """PostgreSQL stopped (nothing listens on its port): every door answers 503 with a
    sentence and a Retry-After, never a bare 500."""
    from fastapi.testclient import TestClient

    from app.main import create_app
    from conftest import clear_caches

    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:9/none?connect_timeout=2")
    clear_caches()
    try:
        with TestClient(create_app(), raise_server_exceptions=False) as c:
            for r in (c.post("/api/chat", json={"sender": "db1", "text": "bonjour"}),
                      c.get("/api/slots", params={"service": "social"})):
                assert r.status_code == 503, r.text
                assert r.headers["Retry-After"] == "5"
                assert "try again" in r.json()["detail"]
    finally:
        clear_caches()


def test_a_message_sent_again_after_a_lost_answer_is_stored_once(client, session) -> None:
    """A client that lost the answer (a timeout) sends the same message again with the same
    client_message_id: stored once, and the token comes back (a first message whose answer
    was lost no longer locks its sender out)."""
    first = client.post("/api/chat", json={"sender": "retry", "text": "English please",
                                           "client_message_id": "c2f4e9a0-0001"})
    assert first.status_code == 200
    again = client.post("/api/chat", json={"sender": "retry", "text": "English please",
                                           "client_message_id": "c2f4e9a0-0001"})
    assert again.status_code == 200 and again.json()["token"] == first.json()["token"]
    assert again.json()["messages"] == first.json()["messages"]
    # Rasa is down here: a stored message waiting for its answer replays as 503 "saved".
    token = first.json()["token"]
    body = {"sender": "retry", "text": "do you speak Arabic?", "token": token, "client_message_id": "c2f4e9a0-0002"}
    assert client.post("/api/chat", json=body).status_code == 503
    r = client.post("/api/chat", json=body)
    assert r.status_code == 503 and "saved" in r.json()["detail"] and r.json()["token"] == token
    session.rollback()
    texts = session.scalars(select(Message.text).where(Message.direction == "in")).all()
    assert sorted(texts) == ["English please", "do you speak Arabic?"]
    session.rollback()  # end the read: SQLite transactions take the write lock (core/db.py)
    # Another sender's identical id is another message.
    r = client.post("/api/chat", json={"sender": "other", "text": "English please",
                                       "client_message_id": "c2f4e9a0-0001"})
    assert r.status_code == 200, r.text


def test_a_failure_after_the_message_is_stored_answers_saved_not_a_500(client, monkeypatch) -> None:
    # Found by the fault-recovery test on a loaded machine: the database went away after the
    # message was stored, the route answered "saved", then the request's session failed at
    # its final commit and the client got a bare 500.
    import sqlalchemy as sa

    import app.conversations.router as router
    from app.conversations.models import Channel, Direction
    from app.conversations.repository import add_message, get_or_create

    def stored_then_database_gone(db, key, channel, text, on_stored, **_):
        conv = get_or_create(db, key, Channel.web)
        db.commit()
        on_stored(conv.id)

        def gone(*_args) -> None:
            raise sa.exc.OperationalError("COMMIT", {}, Exception("server closed the connection"))

        sa.event.listen(db, "after_flush", gone)
        add_message(db, conv, Direction.outbound, "an answer", channel=Channel.web, status=MessageStatus.queued)

    monkeypatch.setattr(router, "handle_incoming", stored_then_database_gone)
    r = client.post("/api/chat", json={"sender": "u-gone", "text": "hello, are you open today?"})
    assert r.status_code == 503, r.text
    assert "saved" in r.json()["detail"] and r.json()["token"]
