"""Issue 11, a cluster on this machine: two gateway processes and two Rasa processes, with
the action server, on the local PostgreSQL (a fresh database) and Redis (a key prefix of
its own). Both gateways run the outbox, the reminder scheduler and the other jobs.

- 20 conversations send 20 messages each, every message to the other gateway than the
  one before: every message is stored once and answered once, in order, and the answers
  stored are the answers returned;
- a counsellor's reply sent through gateway B reaches a widget event stream held on
  gateway A (through Redis, well before the stream's fallback read);
- an SMS user's appointment whose reminder falls due while the test runs is reminded
  exactly once through (fake) Twilio, although two schedulers and two outboxes run.

So that a reminder can fall due within a few minutes, the gateways read a copy of
config/service.yml with one-minute social slots every day and a reminder window of a few
hours (the booking is made just outside it, and the window reaches it a minute later)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import sqlalchemy as sa
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from app.appointments.schedule import belgian_holidays  # noqa: E402

from tests.chat_client import send  # noqa: E402
from tests.fakes.fake_twilio import FakeTwilio, TwilioWebhooks  # noqa: E402
from tools.stack import MODEL, REDIS_URL, Stack, clear_redis, fresh_postgres  # noqa: E402

pytestmark = pytest.mark.skipif(not MODEL.exists(), reason="no trained model (make train)")

CONVERSATIONS, MESSAGES = 20, 20
QUESTIONS = ["what are your opening hours?", "where is your office?", "is the legal help free?",
             "which languages do you speak?", "how does voluntary return work?"]
TWILIO = {"TWILIO_AUTH_TOKEN": "cluster-twilio-auth-token", "TWILIO_ACCOUNT_SID": "AC" + "c1a5" * 8,
          "TWILIO_SMS_NUMBER": "+3228880000", "TWILIO_WHATSAPP_NUMBER": "+3228880001"}
PHONE = "+32470555321"
BRUSSELS = ZoneInfo("Europe/Brussels")
LEAD = 75  # seconds between the booking and its reminder falling due


def reminder_hours(now: datetime, horizon_days: int) -> int:
    """A window of h hours (h = 1, 25, 49...) that ends on a day that is not a public
    holiday (the slots of a holiday are closed)."""
    for h in range(1, horizon_days * 24, 24):
        day = (now + timedelta(hours=h, seconds=LEAD)).astimezone(BRUSSELS).date()
        if day not in belgian_holidays(day.year):
            return h
    raise AssertionError("no working day in the horizon")


def service_config(path: Path, hours_before: int) -> Path:
    raw = yaml.safe_load((ROOT / "config" / "service.yml").read_text(encoding="utf-8"))
    raw["permanences"]["social"]["hours"] = {day: [["00:00", "23:59"]]
                                             for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    raw["booking"].update(slot_minutes=1, min_notice_minutes=1, horizon_days=7, reminder_hours_before=hours_before)
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def fake_twilio():
    with FakeTwilio() as server:
        yield server


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, fake_twilio: FakeTwilio):
    prefix = f"t{uuid.uuid4().hex[:8]}:"
    hours = reminder_hours(datetime.now(UTC), 7)
    config = service_config(tmp_path_factory.mktemp("cluster") / "service.yml", hours)
    with fresh_postgres("cluster") as url:
        s = Stack(database_url=url, rasa_replicas=2, gateways=2, extra_env={
            **TWILIO, "TWILIO_API_BASE_URL": fake_twilio.url, "REDIS_URL": REDIS_URL, "REDIS_PREFIX": prefix,
            "SERVICE_CONFIG": str(config), "SCHEDULER_INTERVAL_SECONDS": "1", "OUTBOX_POLL_SECONDS": "0.5",
            # Only Redis's notification can deliver a push within the test.
            "PUSH_FALLBACK_SECONDS": "60", "BOOKINGS_PER_CLIENT_PER_HOUR": "1000"})
        # Twilio signs for the public address, the same whichever gateway receives the request.
        s.env["PUBLIC_BASE_URL"] = s.url
        s.hours_before = hours  # type: ignore[attr-defined]
        s.database = url  # type: ignore[attr-defined]
        try:
            with s:
                yield s
        finally:
            clear_redis(prefix)


def logs(stack: Stack) -> str:
    return "\n".join(f"--- {n}\n{stack.log_tail(n, 30)}" for n in ("gateway", "gateway1", "rasa", "rasa1"))


class Gateway:
    """One of the stack's gateways, for tests.chat_client (tokens are kept per object: one
    table for both gateways, as a client behind a load balancer keeps one token)."""

    def __init__(self, url: str) -> None:
        self.url = url


def book_an_sms_user_just_outside_the_reminder_window(stack: Stack, a: str, b: str) -> tuple[str, datetime]:
    tw = TwilioWebhooks(TWILIO["TWILIO_AUTH_TOKEN"], stack.url, TWILIO["TWILIO_ACCOUNT_SID"],
                        TWILIO["TWILIO_SMS_NUMBER"], TWILIO["TWILIO_WHATSAPP_NUMBER"])
    params = tw.inbound(PHONE, "hello, when are you open?")
    r = httpx.post(f"{b}/webhooks/twilio/sms", data=params,
                   headers={"X-Twilio-Signature": tw.sign(f"{stack.url}/webhooks/twilio/sms", params)}, timeout=60)
    assert r.status_code == 200, r.text
    assert "".join(m.findtext("Body") or m.text or "" for m in ET.fromstring(r.text).iter("Message")), r.text
    engine = sa.create_engine(stack.database, poolclass=sa.pool.NullPool)  # type: ignore[attr-defined]
    with engine.connect() as conn:
        conversation = conn.execute(sa.text("SELECT id FROM conversation WHERE channel = 'sms'")).scalar_one()
    engine.dispose()
    window = timedelta(hours=stack.hours_before)  # type: ignore[attr-defined]
    now = datetime.now(UTC)
    slots = httpx.get(f"{a}/api/slots", params={"service": "social",
                                                  "from": (now + window + timedelta(seconds=LEAD)).isoformat(),
                                                  "to": (now + window + timedelta(minutes=10)).isoformat()},
                      timeout=30).json()["slots"]
    assert slots, "no free social slot just past the reminder window"
    r = httpx.post(f"{a}/api/appointments", headers={"Authorization": f"Bearer {stack.env['INTERNAL_API_TOKEN']}"},
                   json={"service": "social", "start": slots[0]["start"], "first_name": "Ayşe", "language": "en",
                         "conversation_id": conversation}, timeout=30)
    assert r.status_code == 201, r.text
    start = datetime.fromisoformat(r.json()["start"])
    assert start - datetime.now(UTC) > window  # not due when booked: no reminder queued yet
    return r.json()["reference"], start - window


def counsellor_reply_reaches_a_stream_on_the_other_gateway(stack: Stack, a: str, b: str) -> float:
    token = httpx.post(f"{a}/api/widget/session", timeout=10).json()["token"]
    r = httpx.post(f"{a}/api/widget/messages", json={"token": token, "text": "je veux parler à un humain"},
                   timeout=60)
    assert r.status_code == 200 and r.json()["messages"], r.text
    seen: list[str] = []
    opened, found = threading.Event(), threading.Event()
    reply = f"Bonjour, je suis là ({uuid.uuid4().hex[:6]})."

    def hold() -> None:  # the widget's EventSource, on gateway A
        with httpx.stream("GET", f"{a}/api/widget/events", params={"token": token},
                          timeout=httpx.Timeout(10, read=60)) as events:
            assert events.status_code == 200
            for line in events.iter_lines():
                opened.set()
                if line.startswith("data:"):
                    seen.append(line)
                    if reply in line:
                        found.set()
                        return

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    assert opened.wait(15), "the widget stream did not open"

    env = {**stack.env, "CONSOLE_PASSWORD": "cluster console password"}
    subprocess.run([str(ROOT / ".venv-api/bin/python"), "-m", "app.console.accounts.cli", "create-counsellor",
                    "--username", "sarah", "--name", "Sarah", "--languages", "fr,en"],
                   cwd=ROOT / "api", env=env, check=True, capture_output=True)
    with httpx.Client(base_url=b, timeout=30) as console:  # the counsellor is on gateway B
        r = console.post("/api/console/login", json={"username": "sarah", "password": "cluster console password"})
        assert r.status_code == 200, r.text
        csrf = {"X-CSRF-Token": r.json()["csrf_token"]}
        [item] = [q for q in console.get("/api/console/queue").json() if q["channel"] == "web"]
        assert console.post(f"/api/console/conversations/{item['id']}/take", headers=csrf).status_code == 200
        sent_at = time.monotonic()
        r = console.post(f"/api/console/conversations/{item['id']}/reply", headers=csrf, json={"text": reply})
        assert r.status_code == 201, r.text
        assert found.wait(20), (seen, logs(stack))
        after = time.monotonic() - sent_at
        assert console.post(f"/api/console/conversations/{item['id']}/close", headers=csrf).status_code == 200
    holder.join(5)
    return after


def test_two_gateways_and_two_rasas_answer_every_message_once_in_order(stack: Stack,
                                                                        fake_twilio: FakeTwilio) -> None:
    began = time.monotonic()
    a, b = stack.urls
    assert a != b and all(httpx.get(f"{u}/health", timeout=5).json()["status"] == "ok" for u in stack.urls)
    reference, due_at = book_an_sms_user_just_outside_the_reminder_window(stack, a, b)

    # A push across gateways (the reply is committed by B, the stream is held by A).
    after = counsellor_reply_reaches_a_stream_on_the_other_gateway(stack, a, b)
    assert after < 5.0, after  # Redis's notification, not the 60 s fallback read

    # The load: 20 conversations, 20 messages each, alternating gateways message by message.
    gateways = [Gateway(a), Gateway(b)]
    sent: dict[str, list[str]] = {}
    answered: dict[str, list[list[str]]] = {}
    errors: list[str] = []

    def client(n: int) -> None:
        sender = f"cluster-{n}"
        texts = ["English please"] + [f"{QUESTIONS[(n + i) % len(QUESTIONS)]} ({n}.{i})"
                                      for i in range(1, MESSAGES)]
        sent[sender], answered[sender] = texts, []
        gateway = n % 2
        for text in texts:
            # One conversation, one token, whichever gateway the message goes to.
            token = {"token": auth_token(sender)} if token_of(gateways[0], sender) else {}
            r = send(gateways[gateway], sender, text, timeout=90, **token)
            if r.status_code != 200:
                errors.append(f"{sender} {text!r}: {r.status_code} {r.text[:200]}")
                return
            if not token:
                send_token[sender] = r.json()["token"]
            answered[sender].append([m["text"] for m in r.json()["messages"]])
            gateway = 1 - gateway

    send_token: dict[str, str] = {}

    def token_of(_: Gateway, sender: str) -> str | None:
        return send_token.get(sender)

    def auth_token(sender: str) -> str:
        return send_token[sender]

    load_began = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(CONVERSATIONS)]
    for t in threads:
        t.start()
        time.sleep(0.1)
    for t in threads:
        t.join(240)
    load_took = time.monotonic() - load_began
    assert not errors, (errors[:5], logs(stack))

    for sender, texts in sent.items():
        assert len(answered[sender]) == MESSAGES and all(answered[sender]), (sender, answered[sender])
        # Read back through the gateway the conversation's last message did not use.
        r = httpx.get(f"{b}/api/chat/{sender}", headers={"Authorization": f"Bearer {send_token[sender]}"}, timeout=30)
        assert r.status_code == 200, r.text
        history = r.json()["messages"]
        assert [m["text"] for m in history if m["direction"] == "in"] == texts  # each stored once, in order
        # Each message followed by the answers that were returned for it, and nothing else.
        turns: list[list[str]] = []
        for m in history:
            if m["direction"] == "in":
                turns.append([])
            else:
                assert turns, (sender, history[:3])
                turns[-1].append(m["text"])
        assert turns == answered[sender], sender
    print(f"\n{CONVERSATIONS * MESSAGES} messages in {load_took:.1f} s "
          f"({CONVERSATIONS * MESSAGES / load_took:.1f}/s); push across gateways in {after * 1000:.0f} ms")

    # The reminder: due a minute or so after the booking, sent once by one of the two.
    def reminders() -> list[dict[str, str]]:
        return [m.form for m in fake_twilio.messages() if reference in m.form.get("Body", "")]

    deadline = max(time.time(), due_at.timestamp()) + 30
    while time.time() < deadline and not reminders():
        time.sleep(0.5)
    assert reminders(), ("no reminder", due_at, logs(stack))
    time.sleep(5)  # five more runs of each scheduler and many of each outbox
    [reminder] = reminders()
    assert reminder["To"] == PHONE
    engine = sa.create_engine(stack.database, poolclass=sa.pool.NullPool)  # type: ignore[attr-defined]
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT count(*) FROM message WHERE text LIKE :r"),
                              {"r": f"%{reference}%"}).scalar_one()
    engine.dispose()
    assert stored == 1, stored
    print(f"reminder sent once; the test took {time.monotonic() - began:.0f} s after the stack started")
