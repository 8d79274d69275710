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
from tests.chat_client import send

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


# --- access and headers ------------------------------------------------------------------

def test_pages_send_a_visitor_to_sign_in_and_never_elsewhere(client) -> None:
    for path in ("/console", "/console/queue", "/console/day", "/console/admin", "/console/conversations/x"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code in (303, 307), path
        location = r.headers["location"]
        assert location.startswith("/console/"), location
    login = client.get("/console/login?next=https://evil.example/x")
    assert login.status_code == 200
    assert "evil.example" not in login.text and 'data-after="redirect:/console/queue"' in login.text
    assert 'data-after="redirect:/console/day"' in client.get("/console/login?next=/console/day").text


def test_every_page_has_a_strict_csp_and_no_inline_script_or_style(client) -> None:
    headers = sign_in(client, role="admin")
    chat(client, "p1", "I want to talk to a person")
    session_conv = client.get("/api/console/queue", headers=headers).json()
    pages = ["/console/login", "/console/queue", "/console/queue/list", "/console/day", "/console/admin",
             "/console/flags", "/console/account"]
    pages += [f"/console/conversations/{c['id']}" for c in session_conv]
    for path in pages:
        r = client.get(path)
        assert r.status_code == 200, (path, r.status_code)
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe-inline" not in csp
        assert r.headers["x-frame-options"] == "DENY" and r.headers["cache-control"] == "no-store"
        html = r.text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path       # no inline script
        assert not re.search(r"<style\b", html) and " style=" not in html, path  # no inline style
        assert not re.search(r"\son[a-z]+=", html), path                         # no inline handler
    assert client.get("/static/console/console.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/static/console/nothing.js").status_code == 404


def test_counsellors_cannot_open_admin_pages(client) -> None:
    sign_in(client)
    assert client.get("/console/admin").status_code == 403
    assert client.get("/console/flags").status_code == 403
    assert client.get("/api/console/safety-flags").status_code == 403


def test_the_console_speaks_the_accounts_language(client, session) -> None:
    sign_in(client, "jan", name="Jan")
    from app.console.accounts.models import Counsellor

    account = session.scalars(select(Counsellor).where(Counsellor.username == "jan")).one()
    account.console_language = "nl"
    session.commit()
    page = client.get("/console/queue").text
    assert '<html lang="nl">' in page and "Wachtrij" in page


def test_ui_strings_are_complete_in_french_dutch_and_english() -> None:
    en = yaml.safe_load((PAGES / "ui" / "en.yml").read_text(encoding="utf-8"))
    for lang in ("fr", "nl"):
        other = yaml.safe_load((PAGES / "ui" / f"{lang}.yml").read_text(encoding="utf-8"))
        assert set(other) == set(en), lang
        for key, text in en.items():
            assert placeholders(other[key]) == placeholders(text), (lang, key)
            assert other[key].strip(), (lang, key)


# --- queue and conversation pages ----------------------------------------------------------

def test_queue_page_lists_urgent_first_with_its_marks(client, session) -> None:
    sign_in(client, languages=("fr",))
    chat(client, "q-person", "I want to talk to a person")
    # Rasa is down in these tests: the assistant's handoff action is played by its endpoint.
    r = client.post("/internal/handoff", json={"conversation_id": conv_id(session, "q-person")},
                    headers={"Authorization": "Bearer internal-test-token"})
    assert r.status_code == 200, r.text
    chat(client, "q-danger", "ya no quiero vivir")
    page = client.get("/console/queue").text
    rows = re.findall(r'<tr class="(urgent|)" data-id="([^"]+)"', page)
    assert [kind for kind, _ in rows] == ["urgent", ""]
    assert rows[0][1] == conv_id(session, "q-danger")
    assert "ya no quiero vivir" in page
    # Nobody signed in speaks Spanish or English: both are marked for an interpreter.
    assert page.count("badge-warn") >= 2
    assert f'data-urgent-ids="{rows[0][1]}"' in page
    spanish_only = client.get("/console/queue/list?language=es").text
    assert "ya no quiero vivir" in spanish_only and "talk to a person" not in spanish_only
