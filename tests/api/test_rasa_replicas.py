"""Several Rasa replicas behind the gateway (app/conversations/rasa.py) and the gateway's
view of Rasa's own stores (app/conversations/rasa_store.py), against local HTTP servers."""

from __future__ import annotations

import importlib.util
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("launch", ROOT / "bot" / "scripts" / "launch.py")
launch = importlib.util.module_from_spec(spec)
spec.loader.exec_module(launch)


class FakeRasa:
    """Answers the channel's webhook with its own name; records the senders."""

    def __init__(self, name: str) -> None:
        self.senders: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                fake.senders.append(body["sender"])
                out = json.dumps([{"text": name}]).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(autouse=True)
def fresh_settings():
    yield
    from tests.api.conftest import clear_caches

    clear_caches()  # the next test reads its own settings, not these


@pytest.fixture
def replicas():
    fakes = [FakeRasa("A"), FakeRasa("B")]
    yield fakes
    for f in fakes:
        f.close()


def settings_with(monkeypatch: pytest.MonkeyPatch, **env: str):
    from tests.api.conftest import clear_caches

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    clear_caches()
    from app.core.settings import get_settings

    return get_settings()


def test_messages_go_round_robin(base_env: None, monkeypatch: pytest.MonkeyPatch, replicas: list[FakeRasa]) -> None:
    from app.conversations import rasa

    settings_with(monkeypatch, RASA_URL=f"{replicas[0].url}, {replicas[1].url}/")
    answered = [rasa.send("c1", f"message {i}", "fr", "web")[0]["text"] for i in range(6)]
    assert answered in (list("ABABAB"), list("BABABA"))
    assert replicas[0].senders == replicas[1].senders == ["c1"] * 3


def test_a_replica_that_refuses_the_connection_is_skipped(base_env: None, monkeypatch: pytest.MonkeyPatch,
                                                          replicas: list[FakeRasa]) -> None:
    from app.conversations import rasa

    settings_with(monkeypatch, RASA_URL=f"http://127.0.0.1:9,{replicas[1].url}")  # nothing listens on 9
    assert [rasa.send("c1", "bonjour", "fr", "web")[0]["text"] for _ in range(4)] == ["B"] * 4
    settings_with(monkeypatch, RASA_URL="http://127.0.0.1:9")
    with pytest.raises(rasa.RasaUnavailable):
        rasa.send("c1", "bonjour", "fr", "web")


@pytest.mark.parametrize("env", [
    {"DATABASE_URL": "sqlite:///var/gateway.db"},
    {"DATABASE_URL": "postgresql+psycopg://hirondelle:s%40cret@postgres:5432/hirondelle"},
    {"DATABASE_URL": "postgresql+psycopg://u@db:5432/app", "RASA_TRACKER_DB": "bot_events"},
    {"DATABASE_URL": "sqlite:///x.db", "RASA_TRACKER_DB_URL": "postgresql://u:p@other:5433/rasa"},
])
def test_the_gateway_finds_rasas_tracker_database_as_the_launcher_does(
        base_env: None, monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    from app.conversations.rasa_store import tracker_db_url
    from sqlalchemy.engine import make_url

    settings = settings_with(monkeypatch, **env)
    rasa_side, gateway_side = launch.tracker_db_url(env), tracker_db_url(settings)
    assert bool(rasa_side) == bool(gateway_side)
    if rasa_side:
        a, b = make_url(rasa_side), make_url(gateway_side)
        assert (a.host, a.port, a.database, a.username, a.password) == (b.host, b.port, b.database, b.username,
                                                                          b.password)
        assert b.drivername == "postgresql+psycopg"


def test_rasas_lock_key_is_the_launchers(base_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.conversations.rasa_store import lock_key

    settings = settings_with(monkeypatch, REDIS_PREFIX="hirondelle-prod:")
    section = launch.lock_store("redis://127.0.0.1:6379/0", {"REDIS_PREFIX": "hirondelle-prod:"})
    # Rasa's RedisLockStore: "<key_prefix>:lock:<conversation id>".
    assert lock_key("c1", settings) == f"{section['key_prefix']}:lock:c1" == "hirondelleprod:lock:c1"
