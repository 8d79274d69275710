"""Phone numbers at rest (issue 10): encrypted (Fernet), found by a keyed hash, never in
clear in the database; the keys come from the environment and rotate; the migration
converts existing rows; message ids are never given twice."""

from __future__ import annotations

# The fixtures are imported from their modules; pytest passes them by name.
# ruff: noqa: F811
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from appointments_support import NOW, api, appointments_env, db, iso  # noqa: F401
from conftest import clear_caches
from cryptography.fernet import Fernet
from test_twilio_webhooks import SMS, tw, twilio_env  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
NUMBER = "+32478563412"
# Every way the number could be written: E.164, without the plus, national, spaced.
FORMS = ("+32478563412", "32478563412", "478563412", "0478 56 34 12", "+32 478 56 34 12", "0478/56.34.12",
         "478 56 34 12")
ON_CALL = "+32470778899"
ON_CALL_FORMS = ("+32470778899", "470778899", "0470 77 88 99")
BEFORE = "2c7a9e4b5d18"  # the revision before phone numbers were encrypted


def alembic_config(url: str) -> Config:
    cfg = Config(str(ROOT / "api" / "alembic.ini"))
    cfg.attributes["database_url"] = url
    return cfg


def use_keys(monkeypatch: pytest.MonkeyPatch, keys: list[bytes], hash_key: str = "h" * 40) -> None:
    monkeypatch.setenv("PHONE_ENCRYPTION_KEYS", ",".join(k.decode() for k in keys))
    monkeypatch.setenv("PHONE_HASH_KEY", hash_key)
    clear_caches()


# --- the keys -------------------------------------------------------------------------

def test_outside_development_the_keys_are_required_and_checked(base_env: None, monkeypatch) -> None:
    from app.core.settings import Settings

    monkeypatch.setenv("ENVIRONMENT", "production")
    for name in ("RASA_API_TOKEN", "TWILIO_AUTH_TOKEN"):
        monkeypatch.setenv(name, f"{name.lower()}-set")
    with pytest.raises(ValueError, match="PHONE_ENCRYPTION_KEYS must be set"):
        Settings()
    monkeypatch.setenv("PHONE_ENCRYPTION_KEYS", Fernet.generate_key().decode())
    with pytest.raises(ValueError, match="PHONE_HASH_KEY must be set"):
        Settings()
    monkeypatch.setenv("PHONE_HASH_KEY", "k" * 40)
    assert Settings().phone_hash_key is not None
    monkeypatch.setenv("PHONE_ENCRYPTION_KEYS", "not-a-fernet-key")
    with pytest.raises(ValueError, match="Fernet key"):
        Settings()


def test_development_derives_keys_from_the_secret_key(base_env: None) -> None:
    from app.core import crypto

    clear_caches()
    token = crypto.encrypt(NUMBER)
    assert NUMBER not in token and crypto.decrypt(token) == NUMBER
    assert crypto.encrypt(NUMBER) != token  # randomised: equal numbers do not give equal values
    assert crypto.phone_hash(NUMBER) == crypto.phone_hash(NUMBER) != crypto.phone_hash("+32478563413")
    assert crypto.phone_key(NUMBER).startswith("tel:h:") and "478563412" not in crypto.phone_key(NUMBER)


def test_an_encrypted_phone_is_never_compared_in_sql(base_env: None) -> None:
    from app.appointments.models import Appointment

    with pytest.raises(TypeError, match="hash column"):
        sa.select(Appointment).where(Appointment.contact_phone == NUMBER)


def test_a_number_no_key_opens_reads_as_none(base_env: None, monkeypatch) -> None:
    from app.core import crypto

    use_keys(monkeypatch, [Fernet.generate_key()])
    token = crypto.encrypt(NUMBER)
    use_keys(monkeypatch, [Fernet.generate_key()])
    assert crypto.decrypt(token) is None


# --- nothing in clear -----------------------------------------------------------------

def _everything_text(url: str) -> list[str]:
    """Every value of every text column of every table (PostgreSQL's view of the data)."""
    engine = sa.create_engine(url)
    values: list[str] = []
    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        for table in inspector.get_table_names():
            for column in inspector.get_columns(table):
                if isinstance(column["type"], sa.String | sa.Text):
                    values += [v for (v,) in conn.execute(sa.text(f'SELECT "{column["name"]}" FROM "{table}"'))
                               if v is not None]
    engine.dispose()
    return values


def test_the_database_holds_no_phone_number_in_clear(twilio_env, api, db, tw, appointments_env) -> None:
    """Booked with a number (national, spaced), asked for a home visit with it, then wrote
    by SMS and WhatsApp from it; an on-call number texted: the database files (SQLite: the
    raw bytes of the .db, -wal and -shm) or every text column (PostgreSQL) hold none of
    the numbers in any format, while the gateway still finds and uses them."""
    from app.appointments.models import Appointment, HomeVisitRequest
    from app.channels import outbox
    from app.conversations import repository
    from app.conversations.models import Channel

    r = api.post("/api/appointments", json={"service": "social", "start": iso(2026, 12, 15, 10),
                                            "first_name": "Amina", "contact_phone": "0478 56 34 12"})
    assert r.status_code == 201, r.text
    reference = r.json()["reference"]
    r = api.post("/api/home-visits", json={"first_name": "Amina", "language": "fr", "contact_phone": FORMS[4]})
    assert r.status_code == 201, r.text
    assert tw.post(api, SMS, tw.inbound(NUMBER, "bonjour, c'est Amina")).status_code == 200
    assert tw.post(api, "/webhooks/twilio/whatsapp", tw.inbound(NUMBER, "merci", channel="whatsapp")).status_code == 200
    # A number typed in a message (and read back in the transcript as typed).
    typed = "ou appelez ma soeur au 0478 56 34 12 svp"
    assert tw.post(api, SMS, tw.inbound(NUMBER, typed)).status_code == 200
    staff = repository.get_or_create(db, f"tel:{ON_CALL}", Channel.sms)
    outbox.queue_message(db, staff, "Urgent case waiting", channel=Channel.sms)
    db.commit()

    # The gateway still knows them where it needs them: the SMS conversation by its
    # number, the booking's owner by the last four digits, the outbox's recipient.
    conv = repository.get_by_key(db, f"tel:{NUMBER}")
    assert conv is not None and conv.phone == NUMBER and conv.key.startswith("tel:h:")
    assert repository.get_by_key(db, f"tel:{ON_CALL}").phone == ON_CALL
    from app.conversations.models import Message

    assert typed in db.scalars(sa.select(Message.text)).all()  # read back as typed
    appt = db.scalars(sa.select(Appointment).where(Appointment.reference == reference)).one()
    assert appt.contact_phone == NUMBER
    assert db.scalars(sa.select(HomeVisitRequest)).one().contact_phone == NUMBER
    db.close()  # on SQLite every transaction holds the write lock the gateway needs
    assert api.get(f"/api/appointments/{reference}", headers={"X-Phone-Last4": "3412"}).status_code == 200

    if appointments_env.startswith("sqlite"):
        clear_caches()  # every connection closed: what is left is in the files
        path = Path(appointments_env.split("///", 1)[1])
        raw = b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists())
        assert b"Amina" in raw and b"bonjour, c'est Amina" in raw  # the search reads the right files
        found = [f for f in FORMS + ON_CALL_FORMS if f.encode() in raw]
    else:
        values = _everything_text(appointments_env)
        assert "Amina" in values  # the search reads the right tables
        found = [f for f in FORMS + ON_CALL_FORMS if any(f in v for v in values)]
    assert found == []


# --- rotation -------------------------------------------------------------------------

def test_rotation_re_encrypts_every_number_under_the_newest_key(twilio_env, api, db, tw, monkeypatch) -> None:
    from app.appointments.models import Appointment
    from app.conversations import repository
    from app.core import rotate

    old, new = Fernet.generate_key(), Fernet.generate_key()
    use_keys(monkeypatch, [old], hash_key="old-hash-key-" + "x" * 30)
    assert api.post("/api/appointments", json={"service": "social", "start": iso(2026, 12, 15, 10),
                                               "first_name": "Amina", "contact_phone": NUMBER}).status_code == 201
    tw.post(api, SMS, tw.inbound(NUMBER, "bonjour"))

    # A new key in front, a new hash key: the old numbers still open, and the command
    # puts every row under the new keys.
    use_keys(monkeypatch, [new, old], hash_key="new-hash-key-" + "y" * 30)
    db.expire_all()
    assert rotate.main(["--check"]) == 1
    assert rotate.main([]) == 0
    assert rotate.main(["--check"]) == 0
    use_keys(monkeypatch, [new], hash_key="new-hash-key-" + "y" * 30)  # the old key dropped
    db.expire_all()
    assert db.scalars(sa.select(Appointment)).one().contact_phone == NUMBER
    conv = repository.get_by_key(db, f"tel:{NUMBER}")  # found by the new hash
    assert conv is not None and conv.phone == NUMBER
    before = db.scalar(sa.select(sa.func.count()).select_from(Appointment))
    # ... and the quota still counts the person's booking, by the new hash.
    from app.core.crypto import phone_hash

    assert db.scalar(sa.select(sa.func.count()).select_from(Appointment).where(
        Appointment.contact_phone_hash == phone_hash(NUMBER))) == before == 1
    db.close()

    # A key dropped too early: the command says so and fails.
    use_keys(monkeypatch, [Fernet.generate_key()])
    assert rotate.main([]) == 1


# --- the migration --------------------------------------------------------------------

def test_the_migration_encrypts_existing_numbers_and_goes_back(base_env: None, database_url: str, monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    clear_caches()
    cfg = alembic_config(database_url)
    command.upgrade(cfg, BEFORE)
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO conversation (id, key, channel, awaiting_language, opted_out, created_at, handoff_state, "
            "urgent, discreet, asked_safe_to_contact) VALUES "
            "('c-sms', :key, 'sms', false, false, '2026-12-01 08:00:00', 'bot', false, false, false), "
            "('c-web', 'web:w-1', 'web', false, false, '2026-12-01 08:00:00', 'bot', false, false, false)"),
            {"key": f"tel:{NUMBER}"})
        conn.execute(sa.text(
            "INSERT INTO message (conversation_id, direction, channel, text, status, attempts, created_at) "
            "VALUES ('c-sms', 'in', 'sms', 'bonjour', 'received', 0, '2026-12-01 08:00:00')"))
        conn.execute(sa.text(
            "INSERT INTO appointment (reference, service, starts_at, ends_at, seat, status, first_name, "
            "contact_phone, conversation_id, language, channel, created_at) VALUES ('AAAA22', 'social', "
            "'2026-12-15 09:00:00', '2026-12-15 09:30:00', 1, 'booked', 'A', :phone, 'c-web', 'fr', 'web', "
            "'2026-12-01 08:00:00')"), {"phone": NUMBER})
        conn.execute(sa.text(
            "INSERT INTO home_visit_request (first_name, contact_phone, language, status, created_at) "
            "VALUES ('B', :phone, 'fr', 'requested', '2026-12-01 08:00:00')"), {"phone": NUMBER})

    command.upgrade(cfg, "head")
    command.check(cfg)
    values = _everything_text(database_url)
    assert not [v for v in values if "478563412" in v]
    assert "web:w-1" in values  # other keys stay as they were

    from app.appointments.models import Appointment, HomeVisitRequest
    from app.conversations import repository
    from app.core.db import get_sessionmaker

    with get_sessionmaker()() as session:
        conv = repository.get_by_key(session, f"tel:{NUMBER}")
        assert conv is not None and conv.id == "c-sms" and conv.phone == NUMBER
        assert session.scalars(sa.select(Appointment)).one().contact_phone == NUMBER
        assert session.scalars(sa.select(HomeVisitRequest)).one().contact_phone == NUMBER
    clear_caches()

    command.downgrade(cfg, BEFORE)
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT key FROM conversation WHERE id = 'c-sms'")) == f"tel:{NUMBER}"
        assert conn.scalar(sa.text("SELECT contact_phone FROM appointment")) == NUMBER
        assert conn.scalar(sa.text("SELECT contact_phone FROM home_visit_request")) == NUMBER
        assert conn.scalar(sa.text("SELECT count(*) FROM message")) == 1  # nothing cascaded away
    engine.dispose()
    command.upgrade(cfg, "head")


# --- message ids ----------------------------------------------------------------------

def test_a_deleted_message_id_is_never_given_again(base_env: None, database_url: str, monkeypatch) -> None:
    """On SQLite a deleted highest id came back; status callbacks find rows by id."""
    from conftest import migrate

    monkeypatch.setenv("DATABASE_URL", database_url)
    clear_caches()
    migrate(database_url)
    from app.conversations import repository
    from app.conversations.models import Channel, Direction, Message, MessageStatus
    from app.core.db import get_sessionmaker

    with get_sessionmaker()() as session:
        conv = repository.get_or_create(session, "web:w-ids", Channel.web)
        ids = [repository.add_message(session, conv, Direction.inbound, f"m{i}", channel=Channel.web,
                                      status=MessageStatus.received).id for i in range(3)]
        session.commit()
        session.execute(sa.delete(Message).where(Message.id == ids[-1]))
        session.commit()
        again = repository.add_message(session, conv, Direction.inbound, "after", channel=Channel.web,
                                       status=MessageStatus.received)
        session.commit()
        assert again.id > ids[-1]
    clear_caches()


def test_the_message_table_keeps_its_safety_flags_when_rebuilt(base_env: None, sqlite_url: str, monkeypatch) -> None:
    """SQLite rebuilds the message table for AUTOINCREMENT; with foreign keys on, dropping
    the old table would cascade to the flags: they are kept."""
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    clear_caches()
    cfg = alembic_config(sqlite_url)
    command.upgrade(cfg, "90b79545628b")
    engine = sa.create_engine(sqlite_url)
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO conversation (id, key, channel, awaiting_language, opted_out, created_at, handoff_state, "
            "urgent, discreet, asked_safe_to_contact) VALUES "
            "('c1', 'web:w-1', 'web', 0, 0, '2026-12-01 08:00:00', 'bot', 0, 0, 0)"))
        conn.execute(sa.text(
            "INSERT INTO message (conversation_id, direction, channel, text, status, attempts, created_at) "
            "VALUES ('c1', 'in', 'web', 'a', 'received', 0, '2026-12-01'), "
            "('c1', 'in', 'web', 'b', 'received', 0, '2026-12-01')"))
        conn.execute(sa.text("INSERT INTO safety_flag (message_id, conversation_id, kind, created_at) "
                             "VALUES (2, 'c1', 'missed', '2026-12-01')"))
    command.upgrade(cfg, "head")
    with engine.connect() as conn:
        assert "AUTOINCREMENT" in conn.scalar(sa.text("SELECT sql FROM sqlite_master WHERE name = 'message'"))
        assert conn.scalar(sa.text("SELECT count(*) FROM message")) == 2
        assert conn.scalar(sa.text("SELECT message_id FROM safety_flag")) == 2
    engine.dispose()
