"""The console's pages (server-rendered), its phrasebook and its danger-screen flags,
through the gateway's HTTP interface. Browser behaviour (live queue, axe-core) is in
tests/browser/test_console_browser.py."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import yaml
from app.console.pages.router import HERE as PAGES
from app.console.phrasebook import PHRASES, PhraseChoice, PhraseError, render_phrase, validate
from app.conversations.models import Conversation, Message
from app.i18n.catalogue import LANGUAGES, load_catalogue, placeholders
from console_support import sign_in
from sqlalchemy import select
from tests.chat_client import auth, send

BRUSSELS = ZoneInfo("Europe/Brussels")
# A Tuesday at 10:00 in Brussels: both permanences' hours are in config/service.yml.
TUESDAY_10 = datetime(2026, 12, 1, 10, 0, tzinfo=BRUSSELS)


def chat(client, sender: str, text: str):
    return send(client, sender, text)


def conv_id(session, sender: str) -> str:
    session.expire_all()
    conv = session.scalars(select(Conversation).where(Conversation.key == f"api:{sender}")).one()
    session.commit()
    return conv.id


def test_conversation_page_shows_the_transcript_and_what_was_understood(client, session) -> None:
    headers = sign_in(client)
    chat(client, "c1", "my husband beats me")
    cid = conv_id(session, "c1")
    page = client.get(f"/console/conversations/{cid}").text
    assert "my husband beats me" in page and "danger:violence" in page
    assert "112" in page  # the danger reply, in the transcript
    assert 'data-mine="no"' in page and "/take" in page
    assert client.post(f"/api/console/conversations/{cid}/take", headers=headers).status_code == 200
    body = client.get(f"/console/conversations/{cid}/body").text
    assert 'data-mine="yes"' in body and "/release" in body
    assert client.get("/console/conversations/nope").status_code == 404


def test_text_from_users_is_escaped(client, session) -> None:
    sign_in(client)
    chat(client, "x1", "<script>alert(1)</script> I want to talk to a person")
    page = client.get(f"/console/conversations/{conv_id(session, 'x1')}").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


# --- the phrasebook -------------------------------------------------------------------------

def test_every_phrase_exists_in_the_nine_languages_with_its_values() -> None:
    for key, needs in PHRASES.items():
        for lang in LANGUAGES:
            text = load_catalogue(lang)[key]
            assert placeholders(text) - {"address"} == set(needs), (key, lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_phrase_with_a_day_and_time_is_written_in_the_users_language(lang: str) -> None:
    now = TUESDAY_10.astimezone(UTC)
    text = render_phrase(PhraseChoice("phrase_come_permanence", day=date(2026, 12, 3), at=datetime(
        2026, 12, 3, 10, 30).time()), lang, now)
    cat = load_catalogue(lang)
    assert cat["_days"]["thu"] in text and cat["_months"][11] in text and "10:30" in text
    assert "{" not in text


def test_phrase_values_are_checked() -> None:
    now = TUESDAY_10.astimezone(UTC)
    with pytest.raises(PhraseError, match="no such phrase"):
        validate(PhraseChoice("utter_greet"), now)
    with pytest.raises(PhraseError, match="choose a time"):
        validate(PhraseChoice("phrase_call_back_today"), now)
    with pytest.raises(PhraseError, match="already passed"):
        validate(PhraseChoice("phrase_call_back_today", at=datetime(2026, 12, 1, 9, 0).time()), now)
    with pytest.raises(PhraseError, match="in the past"):
        validate(PhraseChoice("phrase_come_permanence", day=date(2026, 11, 30),
                              at=datetime(2026, 1, 1, 10, 0).time()), now)
    with pytest.raises(PhraseError, match="not open"):  # a Sunday
        validate(PhraseChoice("phrase_come_permanence", day=date(2026, 12, 6),
                              at=datetime(2026, 1, 1, 10, 0).time()), now)
    validate(PhraseChoice("phrase_call_back_today", at=datetime(2026, 12, 1, 16, 0).time()), now)


def test_a_counsellor_sends_a_phrase_in_the_users_language(client, session) -> None:
    headers = sign_in(client)
    chat(client, "ph", "ich möchte mit einer Person sprechen")
    cid = conv_id(session, "ph")
    body = {"key": "phrase_bring_documents"}
    assert client.post(f"/api/console/conversations/{cid}/phrase", json=body, headers=headers).status_code == 409
    client.post(f"/api/console/conversations/{cid}/take", headers=headers)
    r = client.post(f"/api/console/conversations/{cid}/phrase", json=body, headers=headers)
    assert r.status_code == 201, r.text
    assert r.json()["text"] == load_catalogue("de")["phrase_bring_documents"]
    preview = client.post("/api/console/phrasebook/preview", headers=headers,
                          json={"key": "phrase_bring_documents", "language": "fr"})
    assert preview.json()["text"] == load_catalogue("fr")["phrase_bring_documents"]
    bad = client.post(f"/api/console/conversations/{cid}/phrase", json={"key": "phrase_come_permanence"},
                      headers=headers)
    assert bad.status_code == 422 and "day" in bad.json()["detail"]
    past = (datetime.now(BRUSSELS) - timedelta(days=2)).date().isoformat()
    bad = client.post(f"/api/console/conversations/{cid}/phrase", headers=headers,
                      json={"key": "phrase_come_permanence", "day": past, "time": "10:00"})
    assert bad.status_code == 422 and "past" in bad.json()["detail"]
    session.expire_all()
    sent = session.scalars(select(Message).where(Message.conversation_id == cid, Message.kind == "counsellor")).all()
    session.commit()
    assert [m.text for m in sent] == [load_catalogue("de")["phrase_bring_documents"]]


def test_the_safe_to_call_phrase_records_the_answer(client, session) -> None:
    headers = sign_in(client)
    chat(client, "stc", "I want to talk to a person")
    cid = conv_id(session, "stc")
    client.post(f"/api/console/conversations/{cid}/take", headers=headers)
    assert client.post(f"/api/console/conversations/{cid}/phrase", json={"key": "phrase_safe_to_call"},
                       headers=headers).status_code == 201
    chat(client, "stc", "no")
    session.expire_all()
    conv = session.get(Conversation, cid)
    session.commit()
    assert conv.safe_to_contact is False


# --- danger-screen flags ------------------------------------------------------------------------

def test_counsellors_flag_wrong_alerts_and_missed_dangers_for_the_dev_set(client, session) -> None:
    headers = sign_in(client, "admin1", role="admin")
    chat(client, "fa", "my husband beats me")
    chat(client, "mi", "I want to talk to a person")
    alert_id, missed_conv = conv_id(session, "fa"), conv_id(session, "mi")
    inbound = {c: session.scalars(select(Message.id).where(Message.conversation_id == c, Message.direction == "in")
                                  .order_by(Message.id)).first() for c in (alert_id, missed_conv)}
    session.commit()
    url = "/api/console/conversations/{}/safety-flags"
    r = client.post(url.format(alert_id), json={"message_id": inbound[alert_id]}, headers=headers)
    assert r.status_code == 201 and r.json()["kind"] == "false_alarm" and r.json()["category"] == "violence"
    assert client.post(url.format(alert_id), json={"message_id": inbound[alert_id]},
                       headers=headers).status_code == 409
    r = client.post(url.format(missed_conv), json={"message_id": inbound[missed_conv]}, headers=headers)
    assert r.status_code == 422  # a missed danger needs its category
    r = client.post(url.format(missed_conv), json={"message_id": inbound[missed_conv], "category": "suicide"},
                    headers=headers)
    assert r.status_code == 201 and r.json()["kind"] == "missed"
    # A message of another conversation cannot be flagged through this one.
    assert client.post(url.format(alert_id), json={"message_id": inbound[missed_conv], "category": "medical"},
                       headers=headers).status_code == 404
    flags = client.get("/api/console/safety-flags").json()
    assert [f["text"] for f in flags] == ["I want to talk to a person", "my husband beats me"]
    assert "I want to talk to a person" in client.get("/console/flags").text
    # Erasing the conversation erases its flags (the text is not copied).
    assert client.delete("/api/chat/mi", headers=auth(client, "mi")).status_code == 204
    assert [f["text"] for f in client.get("/api/console/safety-flags").json()] == ["my husband beats me"]


# --- photos and voice notes --------------------------------------------------------------------

def test_photos_are_fetched_from_twilio_with_its_credentials_for_signed_in_counsellors(
        client, session, monkeypatch) -> None:
    """Twilio's media URLs need the account's credentials: a browser cannot show them.
    The console passes them through, only from the configured Twilio API."""
    import base64
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from app.conversations.models import Channel, Direction, MessageStatus
    from app.conversations.repository import get_or_create
    from app.core.settings import get_settings

    png = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAcCBlCwAAAABJRU5ErkJggg==")
    seen: list[str] = []

    class Media(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            seen.append(self.headers.get("Authorization", ""))
            ok = self.headers.get("Authorization") == "Basic " + base64.b64encode(b"ACmedia:media-token").decode()
            self.send_response(200 if ok else 401)
            self.send_header("Content-Type", "image/png" if "png" in self.path else "text/html")
            self.end_headers()
            self.wfile.write(png if "png" in self.path else b"<script>alert(1)</script>")

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Media)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        monkeypatch.setenv("TWILIO_API_BASE_URL", base)
        monkeypatch.setenv("TWILIO_ACCOUNT_SID", "ACmedia")
        monkeypatch.setenv("TWILIO_AUTH_TOKEN", "media-token")
        get_settings.cache_clear()
        conv = get_or_create(session, "tel:+32470111222", Channel.sms)
        media = [{"url": f"{base}/Media/photo.png", "content_type": "image/png"},
                 {"url": f"{base}/Media/page", "content_type": "text/html"},
                 {"url": "https://evil.example/x.png", "content_type": "image/png"}]
        msg = Message(conversation_id=conv.id, direction=Direction.inbound, channel=Channel.sms, text="",
                      status=MessageStatus.received, media=json.dumps(media))
        session.add(msg)
        session.commit()
        assert client.get(f"/console/media/{msg.id}/0", follow_redirects=False).status_code in (302, 303, 307)
        sign_in(client)
        r = client.get(f"/console/media/{msg.id}/0")
        assert r.status_code == 200 and r.content == png and r.headers["content-type"] == "image/png"
        assert "no-store" in r.headers["Cache-Control"] and seen[-1].startswith("Basic ")
        # Anything not shown inline is a download, never rendered by the browser as a page.
        r = client.get(f"/console/media/{msg.id}/1")
        assert r.headers["content-type"] == "application/octet-stream" and r.headers["Content-Disposition"] == "attachment"
        assert len(seen) == 2
        assert client.get(f"/console/media/{msg.id}/2").status_code == 404  # not Twilio's: never fetched
        assert client.get(f"/console/media/{msg.id}/3").status_code == 404
        assert len(seen) == 2
        page = client.get(f"/console/conversations/{conv.id}").text
        assert f'src="/console/media/{msg.id}/0"' in page and "127.0.0.1" not in page
    finally:
        server.shutdown()
        get_settings.cache_clear()
