from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "api"), str(ROOT)]

from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402

from tools.stack import POSTGRES_ADMIN_URL, fresh_postgres  # noqa: E402,F401  (tests import the URL from here)


def clear_caches() -> None:
    from app.conversations import queue
    from app.core import bus, db, facts, ratelimit, redis_client, settings, streams

    settings.get_settings.cache_clear()
    ratelimit.get_limiter.cache_clear()
    ratelimit.get_origins.cache_clear()
    # The Redis-backed state (REDIS_URL) is per test, as the settings are.
    if bus.get_bus.cache_info().currsize:
        bus.get_bus().close()
    bus.get_bus.cache_clear()
    if queue.get_queue.cache_info().currsize and isinstance(queue.get_queue(), queue.RedisQueue):
        queue.get_queue().close()
    queue.get_queue.cache_clear()
    streams.get_stream_slots.cache_clear()
    redis_client.get_redis.cache_clear()
    facts.get_facts.cache_clear()
    if db.get_engine.cache_info().currsize:
        db.get_engine().dispose()
    db.get_engine.cache_clear()
    db.get_sessionmaker.cache_clear()


def migrate(url: str) -> None:
    cfg = Config(str(ROOT / "api" / "alembic.ini"))
    cfg.attributes["database_url"] = url
    command.upgrade(cfg, "head")


@pytest.fixture
def base_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "test")
    monkeypatch.setenv("RASA_URL", "http://127.0.0.1:9")  # nothing listens: Rasa is "down"
    monkeypatch.setenv("NLG_TOKEN", "nlg-test-token")
    monkeypatch.setenv("RASA_CHANNEL_TOKEN", "channel-test-token")
    monkeypatch.setenv("INTERNAL_API_TOKEN", "internal-test-token")
    monkeypatch.setenv("SECRET_KEY", "secret-test-key")
    monkeypatch.setenv("SCHEDULER_ENABLED", "false")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'gateway.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database per test, dropped afterwards."""
    with fresh_postgres() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'gateway.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def app_db(base_env: None, sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    clear_caches()
    migrate(sqlite_url)
    yield sqlite_url
    clear_caches()


@pytest.fixture
def client(app_db: str):
    from fastapi.testclient import TestClient

    from app.main import create_app

    with TestClient(create_app()) as c:
        yield c


@pytest.fixture
def session(app_db: str):
    from app.core.db import get_sessionmaker

    s = get_sessionmaker()()
    yield s
    s.close()
