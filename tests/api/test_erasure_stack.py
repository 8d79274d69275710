"""Erasure that erases (issues 10 and 11), on the real stack, in the two setups users run:

- ``sqlite``: gateway, Rasa, action server and the gateway's SQLite file database in WAL
  mode, Rasa's trackers in memory, as `make run` starts them;
- ``postgresql``: the production setup on the local servers: the gateway on PostgreSQL and
  Redis (REDIS_URL), Rasa's trackers in PostgreSQL (its SQL tracker store, in a database of
  its own) and its locks in Redis.

A person books on the website with their phone number, writes by SMS from that number,
is handed to a counsellor (a reply, an internal note, a flag), asks for a home visit;
then they are erased, by their own request by SMS or by an admin in the console. After
that, everything the setup stores is searched for their phone number in any format, their
name and their texts: with SQLite the database files byte by byte (.db, -wal, -shm); with
PostgreSQL every row of every table of the gateway's database and of Rasa's tracker
database, and every key of the stack's Redis prefix and Rasa's lock prefix; in both, Rasa's
trackers over its HTTP API. Nothing is found. A second person, never erased, proves that
the search finds what is there. (PostgreSQL keeps dead row versions in its files until
autovacuum, see README "Erasure": the search reads what the database holds, not its files.)"""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from app.i18n.catalogue import render  # noqa: E402

from tests.fakes.fake_twilio import FakeTwilio, TwilioWebhooks  # noqa: E402
from tools.stack import MODEL, REDIS_URL, Stack, clear_redis, fresh_postgres  # noqa: E402

TWILIO = {"TWILIO_AUTH_TOKEN": "erasure-twilio-auth-token", "TWILIO_ACCOUNT_SID": "AC" + "e5a5" * 8,
          "TWILIO_SMS_NUMBER": "+3228880000", "TWILIO_WHATSAPP_NUMBER": "+3228880001"}
PASSWORD = "erasure console password"

pytestmark = pytest.mark.skipif(not MODEL.exists(), reason="no trained model (make train)")


@pytest.fixture(scope="module")
def fake_twilio():
    with FakeTwilio() as server:
        yield server


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, fake_twilio: FakeTwilio):
    env = {**TWILIO, "TWILIO_API_BASE_URL": fake_twilio.url, "OUTBOX_POLL_SECONDS": "0.2"}
    if request.param == "sqlite":
        db = tmp_path_factory.mktemp("erasure") / "gateway.db"
        with _started(Stack(database_url=f"sqlite:///{db}", extra_env=env)) as s:
            s.db_path = db  # type: ignore[attr-defined]
            yield s
        return
    prefix = f"e{uuid.uuid4().hex[:8]}:"
    try:
        with fresh_postgres("erasure") as url, _started(Stack(database_url=url, extra_env={
                **env, "REDIS_URL": REDIS_URL, "REDIS_PREFIX": prefix})) as s:
            s.rasa_db_url = f"{url}_rasa"  # type: ignore[attr-defined]  (bot/scripts/launch.py's rule)
            yield s
    finally:
        clear_redis(prefix)


@contextlib.contextmanager
def _started(s: Stack):
    s.env["PUBLIC_BASE_URL"] = s.url
    with s:
        for command, name in (("create-counsellor", "lea"), ("create-admin", "root")):
            subprocess.run([str(ROOT / ".venv-api/bin/python"), "-m", "app.console.accounts.cli", command,
                            "--username", name, "--name", name.capitalize(), "--languages", "fr,en"],
                           cwd=ROOT / "api", env={**s.env, "CONSOLE_PASSWORD": PASSWORD}, check=True,
                           capture_output=True)
        yield s


def console(stack: Stack, username: str) -> tuple[httpx.Client, dict[str, str]]:
    client = httpx.Client(base_url=stack.url, timeout=30)
    r = client.post("/api/console/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return client, {"X-CSRF-Token": r.json()["csrf_token"]}


@dataclass
class Person:
    name: str
    phone: str          # E.164, as Twilio gives it
    typed: str          # as the person typed it on the website
    texts: list[str]    # their own words (distinctive: found only if kept)
    sms_conversation: str = ""
    web_conversation: str = ""

    def digits_pattern(self) -> re.Pattern[bytes]:
        """The national number in any format: +32470..., 0470 61 73 95, +32 470 61 73 95."""
        national = self.phone.removeprefix("+32")
        return re.compile(rb"\D{0,3}".join(re.escape(d.encode()) for d in national))

    def found_in(self, raw: bytes) -> list[str]:
        hits = [s for s in [self.name, *self.texts] if s.encode() in raw]
        if self.digits_pattern().search(raw):
            hits.append("phone")
        return hits


def sms(stack: Stack, phone: str, text: str) -> str:
    tw = TwilioWebhooks(TWILIO["TWILIO_AUTH_TOKEN"], stack.url, TWILIO["TWILIO_ACCOUNT_SID"],
                        TWILIO["TWILIO_SMS_NUMBER"], TWILIO["TWILIO_WHATSAPP_NUMBER"])
    params = tw.inbound(phone, text)
    url = f"{stack.url}/webhooks/twilio/sms"
    r = httpx.post(url, data=params, headers={"X-Twilio-Signature": tw.sign(url, params)}, timeout=30)
    assert r.status_code == 200, r.text
    return "\n".join(m.findtext("Body") or m.text or "" for m in ET.fromstring(r.text).iter("Message"))


def widget(stack: Stack, token: str, text: str) -> tuple[str, str]:
    r = httpx.post(f"{stack.url}/api/widget/messages", json={"token": token, "text": text}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["messages"][-1]["text"], r.json()["token"]


def tracker(stack: Stack, conversation_id: str) -> str:
    r = httpx.get(f"http://127.0.0.1:{stack.rasa_port}/conversations/{conversation_id}/tracker",
                  params={"token": stack.env["RASA_API_TOKEN"]}, timeout=10)
    assert r.status_code == 200, r.text
    return json.dumps(r.json(), ensure_ascii=False)


def database_bytes(stack: Stack) -> bytes:
    """All that the gateway stores: the SQLite files' raw bytes; or every row of every table of
    its PostgreSQL database and every value of the stack's Redis keys and Rasa's lock keys."""
    if not stack.database_url.startswith("postgresql"):
        db: Path = stack.db_path  # type: ignore[attr-defined]
        return b"".join(p.read_bytes() for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")) if p.exists())
    out = rows_of(stack.database_url)
    r = redis.Redis.from_url(REDIS_URL)
    lock_prefix = re.sub(r"[^A-Za-z0-9]", "", stack.env["REDIS_PREFIX"]) + ":lock:"
    keys = [*r.scan_iter(match=f"{stack.env['REDIS_PREFIX']}*"), *r.scan_iter(match=f"{lock_prefix}*")]
    for key in keys:
        kind = r.type(key).decode()
        value = {"string": lambda k: r.get(k), "list": lambda k: r.lrange(k, 0, -1),
                 "hash": lambda k: r.hgetall(k), "set": lambda k: r.smembers(k),
                 "zset": lambda k: r.zrange(k, 0, -1), "stream": lambda k: r.xrange(k)}[kind](key)
        out += [key, repr(value).encode()]
    return b"\n".join(out)


def rasa_database_bytes(stack: Stack) -> bytes:
    """Every row of Rasa's tracker database (PostgreSQL setup; in memory otherwise: b"")."""
    url = getattr(stack, "rasa_db_url", None)
    return b"\n".join(rows_of(url)) if url else b""


def rows_of(url: str) -> list[bytes]:
    out = []
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        tables = conn.execute(sa.text(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
            "AND table_type = 'BASE TABLE'")).scalars().all()
        assert tables, url
        for table in tables:
            # A row as text: every column, bytea as hex (ciphertext never matches).
            for row in conn.execute(sa.text(f'SELECT t::text FROM "{table}" t')).scalars():
                # Rasa's events hold JSON with non-ASCII letters escaped: searched as read too.
                out += [row.encode(), re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)),
                                             row).encode()]
    engine.dispose()
    return out


def becomes_known(stack: Stack, person: Person) -> None:
    """Books on the website with their number, writes by SMS, reaches a counsellor who
    replies, notes and flags; asks for a home visit."""
    token = httpx.post(f"{stack.url}/api/widget/session").json()["token"]
    for text in ("en français", person.texts[0], "je voudrais prendre un rendez-vous", "2", "1", person.name):
        _answer, token = widget(stack, token, text)
    summary, token = widget(stack, token, person.typed)
    assert person.name in summary, summary
    done, token = widget(stack, token, "oui")
    assert re.search(r"\b[A-HJ-KM-NP-Z2-9]{6}\b", done), done  # booked: a reference
    assert sms(stack, person.phone, person.texts[1])  # by SMS, from the same number
    assert sms(stack, person.phone, "je veux parler à un humain")

    lea, csrf = console(stack, "lea")
    r = lea.get("/api/console/queue")
    assert r.status_code == 200, r.text
    queue = r.json()
    item = next(q for q in queue if q["channel"] == "sms" and q["state"] == "waiting")
    person.sms_conversation = item["id"]
    assert lea.post(f"/api/console/conversations/{item['id']}/take", headers=csrf).status_code == 200
    reply = f"Bonjour {person.name}, je vous rappelle au {person.typed}."
    assert lea.post(f"/api/console/conversations/{item['id']}/reply", headers=csrf,
                    json={"text": reply}).status_code == 201
    note = f"{person.name} : rappeler au {person.phone} (call-back), {person.texts[2]}"
    assert lea.post(f"/api/console/conversations/{item['id']}/notes", headers=csrf,
                    json={"text": note}).status_code == 201
    transcript = lea.get(f"/api/console/conversations/{item['id']}").json()
    first_in = next(m for m in transcript["messages"] if m["direction"] == "in")
    assert lea.post(f"/api/console/conversations/{item['id']}/safety-flags", headers=csrf,
                    json={"message_id": first_in["id"], "category": "violence"}).status_code == 201
    r = httpx.post(f"{stack.url}/api/home-visits", json={
        "first_name": person.name, "language": "fr", "contact_phone": person.typed, "note": person.texts[2]})
    assert r.status_code == 201, r.text
    # The web conversation's id: the one that booked with this number (the console shows it
    # to counsellors through the appointment's reference; the database says it here).
    from app.core import crypto
    from app.core.settings import Settings
    from sqlalchemy import create_engine, text

    # The number is stored encrypted, found by its keyed hash (the stack's key).
    found_by = crypto.phone_hash(person.phone, Settings(environment="test", secret_key=stack.env["SECRET_KEY"]))
    engine = create_engine(stack.database_url)
    with engine.connect() as conn:
        person.web_conversation = conn.execute(text(
            "SELECT conversation_id FROM appointment WHERE contact_phone_hash = :h"), {"h": found_by}).scalar_one()
    engine.dispose()
    # The search finds the person before the erasure, everywhere it looks.
    raw = database_bytes(stack)
    # Phone numbers are never in clear, not even in the texts that quote them (sealed:
    # app.core.sealed_text); the pattern itself does find the number as typed.
    assert set(person.found_in(raw)) == {person.name, *person.texts}, person.found_in(raw)
    assert person.digits_pattern().search(person.typed.encode())
    if getattr(stack, "rasa_db_url", None):
        # Rasa's tracker database holds the number as typed (the user's message, the booking
        # form's slot) until erasure or retention: the search sees it there.
        assert {"phone", person.name} <= set(person.found_in(rasa_database_bytes(stack)))
    assert person.name in tracker(stack, person.web_conversation)
    assert "parler à un humain" in tracker(stack, person.sms_conversation)


def assert_nothing_left(stack: Stack, person: Person) -> None:
    assert person.found_in(database_bytes(stack)) == []
    assert person.found_in(rasa_database_bytes(stack)) == []
    for conversation_id in (person.sms_conversation, person.web_conversation):
        kept = tracker(stack, conversation_id)
        assert person.found_in(kept.encode()) == [], kept


def test_a_person_who_asks_by_sms_is_erased_everywhere(stack: Stack) -> None:
    person = Person(name="Zoubida", phone="+32470617395", typed="0470 61 73 95",
                    texts=["bonjour, ma propriétaire garde ma caution depuis mars",
                           "je vous écris aussi par sms pour le logement à Schaerbeek",
                           "troisième étage sans ascenseur"])
    keeper = Person(name="Karima", phone="+32470284613", typed="0470 28 46 13",
                    texts=["bonjour, mon contrat de travail finit en juin",
                           "je vous écris par sms pour mon contrat à Anderlecht",
                           "rez-de-chaussée avec chien"])
    becomes_known(stack, person)
    becomes_known(stack, keeper)
    assert sms(stack, person.phone, "effacez mes données") in (
        render("erasure_confirm_appointments", "fr").text, render("erasure_confirm", "fr").text)
    assert sms(stack, person.phone, "oui") == render("erasure_done", "fr").text
    assert_nothing_left(stack, person)
    # The other person is untouched, and the search would have found them.
    raw = database_bytes(stack)
    assert set(keeper.found_in(raw)) == {keeper.name, *keeper.texts}
    assert "parler à un humain" in tracker(stack, keeper.sms_conversation)


def test_an_admin_erases_a_person_from_the_console(stack: Stack) -> None:
    person = Person(name="Ioana", phone="+32470735182", typed="0470 73 51 82",
                    texts=["bonjour, mon fils n'a pas de place en crèche",
                           "je vous écris par sms pour la crèche de Molenbeek",
                           "porte bleue au fond de la cour"])
    becomes_known(stack, person)
    admin, csrf = console(stack, "root")
    r = admin.post(f"/api/console/conversations/{person.sms_conversation}/erase", headers=csrf,
                   json={"confirm": True})
    assert r.status_code == 200, r.text
    counts = r.json()
    assert counts["conversations"] == 2 and counts["trackers_reset"] == 2, counts
    assert counts["notes"] == 1 and counts["safety_flags"] == 1 and counts["home_visits"] == 1, counts
    assert admin.get(f"/api/console/conversations/{person.sms_conversation}").status_code == 404
    assert_nothing_left(stack, person)
