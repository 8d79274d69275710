"""Where Rasa keeps its state (bot/scripts/launch.py) and the bounded SQL tracker store
(bot/history/tracker_store.py), on SQLite and on the local PostgreSQL."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from bot.history.tracker_store import BoundedSQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).parent))
from test_history import long_conversation, turn  # noqa: E402

spec = importlib.util.spec_from_file_location("launch", ROOT / "bot" / "scripts" / "launch.py")
launch = importlib.util.module_from_spec(spec)
spec.loader.exec_module(launch)

POSTGRES = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BASE = {"nlg": {"url": "${GATEWAY_URL}/internal/nlg"},
        "tracker_store": {"type": "bot.history.tracker_store.BoundedInMemoryTrackerStore", "max_turns": 20,
                          "keep_turns": 8}}


def test_make_run_keeps_the_embedded_defaults() -> None:
    assert launch.endpoints(BASE, {}) is None
    assert launch.endpoints(BASE, {"DATABASE_URL": "sqlite:////tmp/gateway.db", "REDIS_URL": ""}) is None


def test_postgresql_and_redis_when_the_environment_says_so() -> None:
    env = {"DATABASE_URL": "postgresql+psycopg://hirondelle:s%40cret@postgres:5432/hirondelle?sslmode=require",
           "REDIS_URL": "redis://:r3dis@redis:6380/2", "REDIS_PREFIX": "hirondelle:"}
    chosen = launch.endpoints(BASE, env)
    assert chosen["nlg"] == BASE["nlg"]  # the rest of endpoints.yml as it was, ${VARS} included
    assert chosen["tracker_store"] == {
        "type": "bot.history.tracker_store.BoundedSQLTrackerStore", "max_turns": 20, "keep_turns": 8,
        "dialect": "postgresql", "url": "postgres", "port": 5432, "db": "hirondelle_rasa",
        "username": "hirondelle", "password": f"${{{launch.TRACKER_PASSWORD_VAR}}}",
        "login_db": "hirondelle", "query": {"sslmode": "require"}}
    assert chosen["lock_store"] == {"type": "redis", "url": "redis", "port": 6380, "db": 2, "use_ssl": False,
                                    "password": f"${{{launch.LOCK_PASSWORD_VAR}}}", "key_prefix": "hirondelle"}
    # The passwords never reach the file: Rasa expands them from this process's environment.
    assert env[launch.TRACKER_PASSWORD_VAR] == "s@cret" and env[launch.LOCK_PASSWORD_VAR] == "r3dis"


def test_a_tracker_database_of_its_own() -> None:
    named = launch.endpoints(BASE, {"DATABASE_URL": "postgresql://u@db/app", "RASA_TRACKER_DB": "bot_events"})
    assert named["tracker_store"]["db"] == "bot_events" and named["tracker_store"]["login_db"] == "app"
    explicit = launch.endpoints(BASE, {"RASA_TRACKER_DB_URL": "postgresql://u@other:5433/rasa"})
    assert (explicit["tracker_store"]["url"], explicit["tracker_store"]["port"]) == ("other", 5433)
    assert explicit["tracker_store"]["login_db"] == "postgres" and "lock_store" not in explicit
    with pytest.raises(SystemExit):  # Rasa creates it with an unquoted CREATE DATABASE
        launch.endpoints(BASE, {"DATABASE_URL": "postgresql://u@db/app", "RASA_TRACKER_DB": "x; DROP"})


def test_the_rewritten_endpoints_file_replaces_the_given_one(tmp_path: Path) -> None:
    base = tmp_path / "endpoints.yml"
    base.write_text("nlg:\n  url: ${GATEWAY_URL}/internal/nlg\n")
    args = ["--model", "m.tar.gz", "--endpoints", str(base)]
    assert launch.with_stores(args, {}) == args
    rewritten = launch.with_stores(args, {"REDIS_URL": "redis://127.0.0.1:6379/0"})
    assert rewritten[:3] == args[:3] and rewritten[3] != str(base)
    text = Path(rewritten[3]).read_text()
    assert "${GATEWAY_URL}/internal/nlg" in text and "type: redis" in text
    assert oct(Path(rewritten[3]).parent.stat().st_mode & 0o777) == "0o700"


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path, domain: Domain):
    if request.param == "sqlite":
        yield BoundedSQLTrackerStore(domain, dialect="sqlite", db=str(tmp_path / "rasa.db"))
        return
    server = sa.engine.make_url(POSTGRES.replace("+psycopg", ""))
    name = f"rasa_store_{uuid.uuid4().hex[:10]}"
    # Rasa logs in to the gateway's database and creates its own (login_db), as launch.py asks.
    store = BoundedSQLTrackerStore(domain, dialect="postgresql", host=server.host, port=server.port or 5432,
                                   db=name, username=server.username, login_db=server.database)
    yield store
    store.engine.dispose()
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def rows(store: BoundedSQLTrackerStore, sender: str) -> list[str]:
    with store.session_scope() as session:
        return [r.type_name for r in session.query(store.SQLEvent).filter_by(sender_id=sender)
                .order_by(store.SQLEvent.id)]


def test_the_sql_store_keeps_a_long_conversation_bounded(store: BoundedSQLTrackerStore, domain: Domain) -> None:
    events = long_conversation(20)  # 28 user messages in a session, a form open
    full = DialogueStateTracker.from_events("web:w-1", events, domain.slots)
    asyncio.run(store.save(full))
    stored = rows(store, "web:w-1")
    assert stored.count("user") == 8 and stored.count("session_started") == 1
    back = asyncio.run(store.retrieve("web:w-1"))
    assert back.current_slot_values() == full.current_slot_values()
    assert back.active_loop_name == "appointment_form" and back.latest_message.text == full.latest_message.text

    # The next turns are appended to the compacted session, as Rasa's store appends.
    for event in turn("merci", "thank", "utter_cost"):
        back.update(event)
    asyncio.run(store.save(back))
    again = asyncio.run(store.retrieve("web:w-1"))
    assert [e.text for e in again.events if isinstance(e, UserUttered)][-2:] == [
        full.latest_message.text, "merci"]
    assert len([e for e in again.events if isinstance(e, SessionStarted)]) == 1
    assert again.current_slot_values() == back.current_slot_values()


def test_an_empty_tracker_deletes_the_conversations_rows(store: BoundedSQLTrackerStore, domain: Domain) -> None:
    for sender in ("web:w-gone", "web:w-kept"):
        asyncio.run(store.save(DialogueStateTracker.from_events(sender, long_conversation(2), domain.slots)))
    # The gateway's erasure: PUT /conversations/<id>/tracker/events with no events.
    asyncio.run(store.save(DialogueStateTracker.from_dict("web:w-gone", [], domain.slots)))
    assert rows(store, "web:w-gone") == [] and asyncio.run(store.retrieve("web:w-gone")) is None
    assert rows(store, "web:w-kept")
