"""Danger replies from the gateway, the handoff state machine, and the counsellors' API.

Rasa is down in these tests (RASA_URL points at a closed port): everything here must
work without it. The real stack is exercised in test_e2e_stack.py.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from app.conversations.models import Conversation, HandoffState, Message, MessageStatus
from console_support import PASSWORD, make_account, sign_in
from sqlalchemy import select
from tests.chat_client import send

BRUSSELS = ZoneInfo("Europe/Brussels")

# Written for these tests (not from the sealed set): one per language and category kind.
LIFE = {
    "fr": "jvais me tuer ce soir",
    "nl": "ik wil niet meer leven",
    "en": "I don't want to live anymore",
    "es": "ya no quiero vivir",
    "de": "ich will nicht mehr leben",
    "ru": "не хочу больше жить",
    "tr": "yasamak istemiyorum artik",
    "it": "non voglio più vivere",
    "ar": "ما بدي عيش",
}


def chat(client, sender: str, text: str):
    return send(client, sender, text)


def conv_of(session, sender: str) -> Conversation:
    session.expire_all()
    conv = session.scalars(select(Conversation).where(Conversation.key == f"api:{sender}")).one()
    session.commit()  # SQLite: end the read transaction, so the app can write
    return conv


# --- danger ---------------------------------------------------------------------------

@pytest.mark.parametrize("lang", list(LIFE))
def test_a_life_threatening_message_gets_112_in_the_users_language_with_rasa_down(client, session, lang) -> None:
    r = chat(client, f"d-{lang}", LIFE[lang])
    assert r.status_code == 200, r.text  # answered by the gateway: no 503 although Rasa is down
    body = r.json()
    assert body["language"] == lang
    text = " ".join(m["text"] for m in body["messages"])
    assert "112" in text
    assert all(m["kind"] == "system" for m in body["messages"])
    from app.i18n.catalogue import render

    assert body["messages"][0]["text"] == render("danger_suicide", lang).text
    conv = conv_of(session, f"d-{lang}")
    assert conv.handoff_state == HandoffState.waiting
    assert conv.urgent and conv.danger_category == "suicide"
    inbound = session.scalars(select(Message).where(Message.conversation_id == conv.id,
                                                    Message.direction == "in")).one()
    assert inbound.intent == "danger:suicide" and inbound.status == MessageStatus.answered


def test_each_kind_of_danger_gets_its_own_help(client) -> None:
    medical = chat(client, "m", "my child is not breathing").json()["messages"][0]["text"]
    assert "112" in medical
    violence = " ".join(m["text"] for m in chat(client, "v", "my husband hits me, he comes back tonight")
                        .json()["messages"])
    assert "101" in violence and "112" in violence
    assert "safe" in violence  # asked before anyone calls or texts back
    trafficking = " ".join(m["text"] for m in chat(client, "t", "my boss keeps my passport and does not pay me")
                           .json()["messages"])
    assert "PAG-ASA" in trafficking and "02 511 64 64" in trafficking
    detention = chat(client, "r", "they deport me tomorrow").json()["messages"][0]["text"]
    assert "30 days" not in detention  # never the generic FAQ text in place of help
    assert "urgent" in detention


@pytest.mark.parametrize(("text", "lang"), [("ابني شرب دوا الغسيل", "ar"),
                                             ("mi hijo se tomó las pastillas de la abuela", "es")])
def test_a_possible_danger_no_list_holds_gets_112_and_a_person_with_rasa_down(client, session, text, lang) -> None:
    """The model behind the phrase lists (app/safety/model.py): words that fit a doubt."""
    from app.i18n.catalogue import render

    r = chat(client, f"p-{lang}", text)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["language"] == lang
    assert body["messages"][0]["text"] == render("danger_possible", lang).text
    assert "112" in body["messages"][0]["text"]
    conv = conv_of(session, f"p-{lang}")
    assert conv.handoff_state == HandoffState.waiting and conv.urgent
    assert conv.danger_category in ("suicide", "medical", "violence")


def test_a_dutch_speaker_gets_the_dutch_suicide_line(client) -> None:
    assert "1813" in chat(client, "nl1", "ik wil dood, ik kan niet meer").json()["messages"][0]["text"]
    assert "0800 32 123" in chat(client, "fr1", "j'ai envie de mourir").json()["messages"][0]["text"]


def test_danger_is_screened_before_the_language_menu(client) -> None:
    # Two words: too short to tell the language, yet answered at once (never a menu).
    body = chat(client, "short", "suicide").json()
    assert "112" in body["messages"][0]["text"]


def test_ordinary_questions_are_not_danger(client, session) -> None:
    for i, text in enumerate(["Quelles sont vos heures d'ouverture ?", "I received an order to leave the territory",
                              "is the legal help free?", "I want to go back to my country"]):
        r = chat(client, f"o{i}", text)
        assert r.status_code == 503  # went to (the stopped) Rasa, not to the danger reply
    assert session.scalars(select(Conversation).where(Conversation.urgent.is_(True))).all() == []


def test_safe_to_contact_answer_is_recorded_without_rasa(client, session) -> None:
    chat(client, "sc", "my husband beats me")
    r = chat(client, "sc", "no")
    assert r.status_code == 200
    assert "nobody will call or text you first" in r.json()["messages"][0]["text"]
    conv = conv_of(session, "sc")
    assert conv.safe_to_contact is False and conv.discreet


# --- counsellor API: access -------------------------------------------------------------

CONSOLE_ENDPOINTS = [
    ("get", "/api/console/queue"), ("get", "/api/console/conversations/x"),
    ("post", "/api/console/conversations/x/take"), ("post", "/api/console/conversations/x/release"),
    ("post", "/api/console/conversations/x/close"), ("post", "/api/console/conversations/x/reply"),
    ("post", "/api/console/conversations/x/notes"), ("get", "/api/console/me"),
    ("post", "/api/console/counsellors"), ("get", "/api/console/counsellors"),
]


@pytest.mark.parametrize(("method", "url"), CONSOLE_ENDPOINTS)
def test_console_api_refuses_strangers_and_leaks_nothing(client, method: str, url: str) -> None:
    chat(client, "victim", "I want to kill myself")
    kwargs = {"json": {"text": "hello"}} if method == "post" else {}
    r = getattr(client, method)(url, **kwargs)
    assert r.status_code == 401
    assert "victim" not in r.text and "kill" not in r.text
    r = getattr(client, method)(url, headers={"Authorization": "Bearer internal-test-token"}, **kwargs)
    assert r.status_code == 401


def test_state_changes_need_the_csrf_token(client) -> None:
    chat(client, "u", "I want to kill myself")
    csrf = sign_in(client)
    conv_id = client.get("/api/console/queue").json()[0]["id"]
    assert client.post(f"/api/console/conversations/{conv_id}/take").status_code == 403
    assert client.post(f"/api/console/conversations/{conv_id}/take", headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert client.post(f"/api/console/conversations/{conv_id}/take", headers=csrf).status_code == 200


def test_counsellors_cannot_use_admin_endpoints(client) -> None:
    csrf = sign_in(client)
    assert client.get("/api/console/counsellors").status_code == 403
    r = client.post("/api/console/counsellors", headers=csrf,
                    json={"username": "x", "display_name": "X", "password": "a" * 12})
    assert r.status_code == 403


def test_admin_creates_disables_and_sets_languages(client) -> None:
    csrf = sign_in(client, "boss", role="admin")
    r = client.post("/api/console/counsellors", headers=csrf,
                    json={"username": "Omar", "display_name": "Omar", "password": "long enough pass",
                          "languages": ["ar", "fr"]})
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["username"] == "omar" and new["languages"] == ["ar", "fr"]
    weak = client.post("/api/console/counsellors", headers=csrf,
                       json={"username": "w", "display_name": "W", "password": "short"})
    assert weak.status_code == 422
    bad_lang = client.patch(f"/api/console/counsellors/{new['id']}", headers=csrf, json={"languages": ["xx"]})
    assert bad_lang.status_code == 422 and "xx" in bad_lang.json()["detail"]
    assert client.patch(f"/api/console/counsellors/{new['id']}", headers=csrf,
                        json={"active": False}).json()["active"] is False
    client.cookies.clear()
    r = client.post("/api/console/login", json={"username": "omar", "password": "long enough pass"})
    assert r.status_code == 401  # disabled


def test_failed_logins_slow_down_then_an_admin_unlocks(client) -> None:
    make_account("sarah")
    for _ in range(3):  # the first failures cost nothing
        assert client.post("/api/console/login", json={"username": "sarah", "password": "wrong"}).status_code == 401
    r = client.post("/api/console/login", json={"username": "sarah", "password": PASSWORD})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    # The delay is capped per account (never a lockout a stranger can keep up).
    from app.core.settings import get_settings

    assert get_settings().login_max_delay_account_seconds <= 60
    admin_id = make_account("boss", role="admin")
    assert admin_id
    from app.console.accounts import service as accounts
    from app.core.db import get_sessionmaker

    with get_sessionmaker()() as s:  # the admin's own login comes from another address
        accounts.clear_failures(s, "x", "testclient")
        s.commit()
    csrf = client.post("/api/console/login", json={"username": "boss", "password": PASSWORD}).json()["csrf_token"]
    sarah = [a for a in client.get("/api/console/counsellors").json() if a["username"] == "sarah"][0]
    assert client.post(f"/api/console/counsellors/{sarah['id']}/unlock", headers={"X-CSRF-Token": csrf}).status_code == 204
    with get_sessionmaker()() as s:
        accounts.clear_failures(s, "x", "testclient")
        s.commit()
    assert client.post("/api/console/login", json={"username": "sarah", "password": PASSWORD}).status_code == 200


def test_admins_need_a_second_factor_outside_development(client, monkeypatch) -> None:
    import pyotp
    from app.console.accounts import service as accounts
    from app.console.accounts.models import Counsellor
    from app.core.db import get_sessionmaker
    from app.core.settings import get_settings

    monkeypatch.setenv("REQUIRE_ADMIN_TOTP", "true")
    get_settings.cache_clear()
    make_account("boss", role="admin")
    assert client.post("/api/console/login", json={"username": "boss", "password": PASSWORD}).status_code == 401
    secret = accounts.new_totp_secret()
    with get_sessionmaker()() as s:
        account = s.scalars(select(Counsellor).where(Counsellor.username == "boss")).one()
        account.totp_secret, account.totp_enabled = secret, True
        s.commit()
    code = pyotp.TOTP(secret).now()
    r = client.post("/api/console/login", json={"username": "boss", "password": PASSWORD, "totp": code})
    assert r.status_code == 200
    wrong = client.post("/api/console/login", json={"username": "boss", "password": PASSWORD, "totp": "000000"})
    assert wrong.status_code == 401


def test_cookie_is_httponly_and_samesite(client) -> None:
    make_account("sarah")
    r = client.post("/api/console/login", json={"username": "sarah", "password": PASSWORD})
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert "password_hash" not in r.text


# --- the handoff ------------------------------------------------------------------------

def test_take_reply_close_on_the_widget(client, session) -> None:
    token = client.post("/api/widget/session").json()["token"]
    client.post("/api/widget/messages", json={"token": token, "text": "I want to kill myself"})
    csrf = sign_in(client)
    queue = client.get("/api/console/queue").json()
    assert [q["urgent"] for q in queue] == [True]
    conv_id = queue[0]["id"]
    assert not conv_id.startswith("web:") and queue[0]["first_words"] == "I want to kill myself"
    assert client.post(f"/api/console/conversations/{conv_id}/take", headers=csrf).status_code == 200
    r = client.post(f"/api/console/conversations/{conv_id}/reply", headers=csrf, json={"text": "I am here. Are you safe?"})
    assert r.status_code == 201
    # While a counsellor holds it, the user's messages go to the counsellor (Rasa is silent).
    r = client.post("/api/widget/messages", json={"token": token, "text": "yes I am at home"})
    assert r.status_code == 200 and r.json()["messages"] == []
    history = client.get("/api/widget/history", params={"token": token}).json()["messages"]
    joined = [m for m in history if m["kind"] == "system" and "Sarah" in m["text"]]
    assert joined, history
    person = [m for m in history if m["kind"] == "counsellor"]
    assert person[0]["text"] == "I am here. Are you safe?" and person[0]["author"] == "Sarah"
    transcript = client.get(f"/api/console/conversations/{conv_id}").json()
    assert transcript["messages"][0]["understood"] == "danger:suicide"
    assert any(m["text"] == "yes I am at home" for m in transcript["messages"])
    assert client.post(f"/api/console/conversations/{conv_id}/close", headers=csrf).status_code == 200
    history = client.get("/api/widget/history", params={"token": token}).json()["messages"]
    assert "assistant again" in history[-1]["text"]
    session.expire_all()
    conv = session.get(Conversation, conv_id)
    assert conv.handoff_state == HandoffState.bot and conv.counsellor_id is None
    from app.console.accounts.models import AuditEntry

    actions = [a for (a,) in session.execute(select(AuditEntry.action))]
    assert {"login", "take", "reply", "open", "close"} <= set(actions)


def test_a_counsellors_sms_reply_goes_through_the_outbox_with_their_name(client, session) -> None:
    from app.conversations.repository import get_or_create
    from app.handoff import service as handoff

    conv = get_or_create(session, "tel:+32470123456", "sms")
    conv.language = "fr"
    handoff.start(session, conv, handoff.Reason.asked)
    session.commit()
    csrf = sign_in(client)
    assert client.post(f"/api/console/conversations/{conv.id}/take", headers=csrf).status_code == 200
    client.post(f"/api/console/conversations/{conv.id}/reply", headers=csrf, json={"text": "Je vous appelle à 15h."})
    session.expire_all()
    rows = session.scalars(select(Message).where(Message.conversation_id == conv.id,
                                                 Message.direction == "out").order_by(Message.id)).all()
    assert rows[-1].text.startswith("Sarah") and rows[-1].text.endswith("Je vous appelle à 15h.")
    assert all(r.status == MessageStatus.queued and r.next_attempt_at is not None for r in rows)  # the outbox's


def test_danger_while_a_counsellor_holds_the_conversation_still_gets_112_and_alerts(client, session) -> None:
    chat(client, "held", "can I talk to a person")  # Rasa is down: 503, but stored
    conv = conv_of(session, "held")
    from app.handoff import service as handoff

    handoff.start(session, conv, handoff.Reason.asked)
    session.commit()
    csrf = sign_in(client)
    client.post(f"/api/console/conversations/{conv.id}/take", headers=csrf)
    r = chat(client, "held", "he is hitting me right now")
    assert "112" in r.json()["messages"][0]["text"]
    conv = conv_of(session, "held")
    assert conv.handoff_state == HandoffState.taken and conv.urgent
    from app.console.accounts.models import ConsoleEvent

    kinds = [e.kind for e in session.scalars(select(ConsoleEvent))]
    assert "danger" in kinds


def test_exclusive_take_twenty_counsellors(client, session) -> None:
    """20 counsellors take at once (SQLite here; PostgreSQL below): exactly one wins."""
    _race(client, session)


def test_exclusive_take_twenty_counsellors_postgresql(base_env, postgres_url, monkeypatch) -> None:
    from app.core.db import get_sessionmaker
    from app.main import create_app
    from conftest import clear_caches, migrate
    from fastapi.testclient import TestClient

    monkeypatch.setenv("DATABASE_URL", postgres_url)
    clear_caches()
    migrate(postgres_url)
    with TestClient(create_app()) as c:
        s = get_sessionmaker()()
        try:
            _race(c, s)
        finally:
            s.close()
    clear_caches()


def _race(client, session) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from fastapi.testclient import TestClient

    chat(client, "race", "I want to kill myself")
    conv_id = conv_of(session, "race").id
    clients = []
    for i in range(20):
        c = TestClient(client.app)
        clients.append((c, sign_in(c, f"c{i}", name=f"C{i}")))

    def take(pair):
        c, csrf = pair
        return c.post(f"/api/console/conversations/{conv_id}/take", headers=csrf).status_code

    with ThreadPoolExecutor(20) as pool:
        codes = list(pool.map(take, clients))
    assert sorted(codes) == [200] + [409] * 19
    session.expire_all()
    joined = session.scalars(select(Message).where(Message.conversation_id == conv_id, Message.kind == "system",
                                                   Message.text.contains("joined"))).all()
    assert len(joined) == 1


def test_release_and_sign_out_put_the_user_back_in_the_queue(client, session) -> None:
    chat(client, "rel", "I want to kill myself")
    conv_id = conv_of(session, "rel").id
    csrf = sign_in(client)
    client.post(f"/api/console/conversations/{conv_id}/take", headers=csrf)
    assert client.post(f"/api/console/conversations/{conv_id}/release", headers=csrf).status_code == 200
    assert conv_of(session, "rel").handoff_state == HandoffState.waiting
    client.post(f"/api/console/conversations/{conv_id}/take", headers=csrf)
    assert client.post("/api/console/logout", headers=csrf).status_code == 204
    conv = conv_of(session, "rel")
    assert conv.handoff_state == HandoffState.waiting and conv.counsellor_id is None
    texts = [m.text for m in session.scalars(select(Message).where(Message.conversation_id == conv_id,
                                                                   Message.kind == "system"))]
    assert any("no longer connected" in t for t in texts)
    assert client.get("/api/console/queue").status_code == 401  # signed out


def test_the_user_can_withdraw_the_request(client, session) -> None:
    chat(client, "wd", "can I talk to a person")
    conv = conv_of(session, "wd")
    from app.handoff import service as handoff

    conv.language = "nl"
    handoff.start(session, conv, handoff.Reason.asked)
    session.commit()
    r = chat(client, "wd", "laat maar")
    assert r.status_code == 200
    assert conv_of(session, "wd").handoff_state == HandoffState.bot
    from app.i18n.catalogue import render

    assert r.json()["messages"][0]["text"] == render("handoff_withdrawn", "nl").text


def test_internal_handoff_endpoint_needs_the_internal_token(client, session) -> None:
    chat(client, "int", "can I talk to a person")
    conv = conv_of(session, "int")
    r = client.post("/internal/handoff", json={"conversation_id": conv.id})
    assert r.status_code == 401
    r = client.post("/internal/handoff", json={"conversation_id": conv.id},
                    headers={"Authorization": "Bearer internal-test-token"})
    assert r.status_code == 200
    assert r.json()["response"] in ("handoff_waiting_later", "handoff_waiting_unknown")  # nobody signed in
    assert conv_of(session, "int").handoff_state == HandoffState.waiting


# --- who answers, and when --------------------------------------------------------------

def _at(*args: int) -> datetime:
    return datetime(*args, tzinfo=BRUSSELS).astimezone(UTC)


def test_saturday_afternoon_and_friday_two_pm(session) -> None:
    from app.handoff.availability import availability
    from app.handoff.service import waiting_notice

    # Saturday 5 December 2026, 15:00: the legal permanence closed at 13:30; next is Monday 9:00.
    avail = availability(session, _at(2026, 12, 5, 15, 0))
    assert not avail.open_now and not avail.soon
    assert avail.next_opening == _at(2026, 12, 7, 9, 0)
    notice = waiting_notice(avail)
    assert notice.key == "handoff_waiting_later" and "lundi 7 décembre" in notice.render("fr")
    # Friday 4 December, 14:00: the legal permanence is open; "soon" only with someone signed in.
    avail = availability(session, _at(2026, 12, 4, 14, 0))
    assert avail.open_now and not avail.soon
    session.commit()  # SQLite: end the read transaction before another session writes
    make_account("sarah")
    from app.console.accounts import service as accounts
    from app.console.accounts.models import Counsellor

    account = session.scalars(select(Counsellor)).one()
    _token, row = accounts.open_session(session, account)
    row.last_seen_at = _at(2026, 12, 4, 13, 55)
    session.commit()
    avail = availability(session, _at(2026, 12, 4, 14, 0))
    assert avail.soon and waiting_notice(avail).key == "handoff_waiting_soon"


def test_holidays_and_closures_move_the_next_opening(session) -> None:
    from app.appointments.models import ClosureDay
    from app.handoff.availability import availability

    # Thursday 24 December 2026 after 13:00: Friday 25 is Christmas; Saturday 26 is a closure.
    session.add(ClosureDay(date=datetime(2026, 12, 26).date(), reason="staff leave"))
    session.commit()
    avail = availability(session, _at(2026, 12, 24, 14, 0))
    assert avail.next_opening == _at(2026, 12, 28, 9, 0)


# --- nobody left in silence -------------------------------------------------------------

def test_idle_counsellor_conversation_goes_back_and_urgent_cases_realert(client, session, monkeypatch) -> None:
    from app.channels.outbox import wake  # noqa: F401  (the outbox sends what is queued)
    from app.core.settings import get_settings
    from app.handoff.scheduler import tick

    monkeypatch.setenv("ON_CALL_NUMBER", "+32470999999")
    get_settings.cache_clear()
    chat(client, "idle", "I want to kill myself")
    conv_id = conv_of(session, "idle").id
    from app.conversations.repository import get_by_key

    on_call = get_by_key(session, "tel:+32470999999")
    alerts = session.scalars(select(Message).where(Message.conversation_id == on_call.id)).all() if on_call else []
    # Outside the permanences or with nobody signed in, the on-call person is texted,
    # neutrally (no words of the user's).
    assert len(alerts) == 1 and "kill" not in alerts[0].text
    session.commit()
    later = datetime.now(UTC) + timedelta(minutes=11)
    tick(session, later, timedelta(seconds=30))
    session.commit()
    session.expire_all()
    alerts = session.scalars(select(Message).where(Message.conversation_id == on_call.id)).all()
    assert len(alerts) == 2  # still waiting after 10 minutes: alerted again
    session.commit()
    csrf = sign_in(client)
    assert client.post(f"/api/console/conversations/{conv_id}/take", headers=csrf).status_code == 200
    tick(session, datetime.now(UTC) + timedelta(minutes=25), timedelta(seconds=30))
    session.commit()
    assert conv_of(session, "idle").handoff_state == HandoffState.waiting
    texts = [m.text for m in session.scalars(select(Message).where(Message.conversation_id == conv_id))]
    assert any("away" in t or "no longer connected" in t for t in texts)


def test_console_events_stream_the_queue(client, session) -> None:
    from app.console.conversations.router import _events_after

    chat(client, "ev", "I want to kill myself")
    events = _events_after(0)
    assert [e["kind"] for e in events][:2] == ["urgent", "alert"]
    assert all(e["urgent"] for e in events[:2])
    assert json.dumps(events)  # serialisable as sent on the stream


def test_the_calendar_feed_works_for_calendar_apps_until_revoked(client) -> None:
    csrf = sign_in(client)
    url = client.post("/api/console/me/feed-token", headers=csrf).json()["url"]
    token = url.split("token=")[1]
    app = client.__class__(client.app)  # a calendar app: no session cookie
    r = app.get("/api/console/calendar.ics", params={"token": token})
    assert r.status_code == 200 and r.text.startswith("BEGIN:VCALENDAR")
    assert app.get("/api/console/calendar.ics", params={"token": "guess"}).status_code == 401
    assert client.delete("/api/console/me/feed-token", headers=csrf).status_code == 204
    assert app.get("/api/console/calendar.ics", params={"token": token}).status_code == 401


def test_when_the_permanence_ends_the_queue_is_told_the_next_opening(client, session) -> None:
    from app.handoff.scheduler import permanence_ended

    chat(client, "pe", "can I talk to a person")  # Rasa is down: stored, then queued below
    conv_id = conv_of(session, "pe").id
    from app.handoff import service as handoff

    csrf = sign_in(client)
    conv = session.get(Conversation, conv_id)
    conv.language = "en"
    handoff.start(session, conv, handoff.Reason.asked)
    session.commit()
    assert client.post(f"/api/console/conversations/{conv_id}/take", headers=csrf).status_code == 200
    # Friday 4 December 2026: the legal permanence ends at 17:00.
    assert permanence_ended(session, _at(2026, 12, 4, 16, 59), timedelta(seconds=30)) == 0
    assert permanence_ended(session, _at(2026, 12, 4, 17, 0, 10), timedelta(seconds=30)) == 2
    session.commit()
    conv = conv_of(session, "pe")
    assert conv.handoff_state == HandoffState.waiting and conv.counsellor_id is None
    texts = [m.text for m in session.scalars(select(Message).where(Message.conversation_id == conv_id,
                                                                   Message.kind == "system"))]
    session.commit()
    assert any("permanence has ended" in t and "Saturday 5 December" in t for t in texts), texts


def test_a_transliterated_first_message_is_answered_in_the_language_whose_list_matched(client) -> None:
    # Russian in Latin letters looks French or Italian to the language detector.
    body = chat(client, "translit", "ne hochu bolshe zhit").json()
    assert body["language"] == "ru"
    assert "112" in body["messages"][0]["text"]
