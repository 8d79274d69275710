"""Start the real stack (action server, Rasa, gateway) on free localhost ports.

Used by the end-to-end tests and the benchmarks, so both measure what users run.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "hirondelle.tar.gz"
# The local servers the tests and benchmarks use (this machine kind starts both).
POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@contextmanager
def fresh_postgres(prefix: str = "t", admin_url: str = POSTGRES_ADMIN_URL) -> Iterator[str]:
    """A new, empty database on the PostgreSQL server of `admin_url` (its URL), dropped
    afterwards whatever happened, with every connection still open to it."""
    import sqlalchemy as sa

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def clear_redis(prefix: str, url: str = REDIS_URL) -> None:
    """Delete a run's Redis keys: the gateway's under REDIS_PREFIX and Rasa's locks under
    the same prefix without punctuation (bot/scripts/launch.py)."""
    import redis

    client = redis.Redis.from_url(url)
    for pattern in (f"{prefix}*", f"{re.sub(r'[^A-Za-z0-9]', '', prefix)}:*"):
        for key in client.scan_iter(match=pattern, count=1000):
            client.delete(key)
    client.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Stack:
    database_url: str
    extra_env: dict[str, str] = field(default_factory=dict)
    with_bot: bool = True
    # Several Rasa processes behind the gateway (RASA_URL lists them): give them a shared
    # tracker store and lock store in extra_env (DATABASE_URL on PostgreSQL, REDIS_URL).
    rasa_replicas: int = 1
    # Several gateway processes on the same database, Redis and Rasa (give REDIS_URL):
    # `urls` lists them, `url` is the first (Rasa's NLG callback goes to it).
    gateways: int = 1
    procs: list[subprocess.Popen] = field(default_factory=list)
    log_dir: Path = ROOT / "var" / "test-logs"

    def __post_init__(self) -> None:
        self.port, self.action_port = free_port(), free_port()
        self.rasa_ports = [free_port() for _ in range(self.rasa_replicas)]
        self.rasa_port = self.rasa_ports[0]
        self.url = f"http://127.0.0.1:{self.port}"
        self.gateway_ports = [self.port] + [free_port() for _ in range(self.gateways - 1)]
        self.urls = [f"http://127.0.0.1:{port}" for port in self.gateway_ports]
        self.env = {
            **os.environ,
            "PYTHONPATH": f"{ROOT}:{ROOT / 'api'}",
            "RASA_TELEMETRY_ENABLED": "false",
            "ENVIRONMENT": "test",
            "DATABASE_URL": self.database_url,
            # Secrets travel in the environment only, never on a command line (the process
            # list is readable by every local user): bot/scripts/launch.py hands Rasa its
            # API token. The channel's token never opens Rasa's HTTP API.
            "RASA_CHANNEL_TOKEN": secrets.token_hex(16),
            "RASA_API_TOKEN": secrets.token_hex(16),
            "NLG_TOKEN": secrets.token_hex(16),
            "INTERNAL_API_TOKEN": secrets.token_hex(16),
            "SECRET_KEY": secrets.token_hex(16),
            "GATEWAY_URL": self.url,
            "RASA_URL": ",".join(f"http://127.0.0.1:{port}" for port in self.rasa_ports),
            "ACTION_SERVER_URL": f"http://127.0.0.1:{self.action_port}",
            "SANIC_HOST": "127.0.0.1",
            "PORT": str(self.port),
            **self.extra_env,
        }

    def _spawn(self, name: str, args: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        path = self.log_dir / f"{name}-{self.port}.log"
        # Logs may hold what the redaction missed: readable by this user only (0600).
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)
        log = os.fdopen(fd, "w")
        self.procs.append(subprocess.Popen(args, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                                          env=env or self.env))

    def start(self, timeout: float = 240.0) -> "Stack":
        subprocess.run([str(ROOT / ".venv-api/bin/alembic"), "upgrade", "head"], cwd=ROOT / "api",
                       env=self.env, check=True, capture_output=True)
        if self.with_bot:
            self.start_bot()
        for i, port in enumerate(self.gateway_ports):
            self._spawn(f"gateway{i or ''}", [str(ROOT / ".venv-api/bin/uvicorn"), "app.main:app", "--host",
                                              "127.0.0.1", "--port", str(port), "--no-access-log"], ROOT / "api",
                        {**self.env, "PORT": str(port)})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for p in self.procs:
                if p.poll() is not None:
                    self.stop()
                    raise RuntimeError(f"a process of the stack exited; see {self.log_dir}")
            try:
                rs = [httpx.get(f"{url}/health", timeout=2) for url in self.urls]
                if all(r.status_code == 200 or (not self.with_bot and r.json().get("database") == "ok") for r in rs):
                    if self.with_bot:
                        try:
                            self.wait_for_rasa(max(1.0, deadline - time.monotonic()))
                        except RuntimeError:
                            self.stop()
                            raise
                    return self
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(1)
        self.stop()
        raise RuntimeError("the stack did not become ready in time")

    def stop(self) -> None:
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
        self.procs.clear()
        self._drop_rasa_database()

    def _rasa_database(self) -> str | None:
        """The database Rasa made for its trackers next to a PostgreSQL DATABASE_URL (the
        rule of bot/scripts/launch.py), or None (in memory, or a RASA_TRACKER_DB_URL given)."""
        if not self.with_bot or self.env.get("RASA_TRACKER_DB_URL") or \
                not self.env["DATABASE_URL"].startswith("postgresql"):
            return None
        return self.env.get("RASA_TRACKER_DB") or self.env["DATABASE_URL"].rsplit("/", 1)[1].split("?")[0] + "_rasa"

    def _drop_rasa_database(self) -> None:
        """A test's gateway database is dropped by the test; Rasa's, made beside it, here."""
        name = self._rasa_database()
        if name is None:
            return
        import sqlalchemy as sa

        engine = sa.create_engine(self.env["DATABASE_URL"], isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        except sa.exc.SQLAlchemyError:
            pass  # the server is gone (a fault test's private cluster): so is the database
        engine.dispose()

    def wait_for_rasa(self, timeout: float = 240.0) -> None:
        """Until every Rasa replica has loaded its model (the gateway's health is ok with one)."""
        deadline = time.monotonic() + timeout
        pending = list(self.rasa_ports)
        while pending and time.monotonic() < deadline:
            for port in list(pending):
                try:
                    r = httpx.get(f"http://127.0.0.1:{port}/status", params={"token": self.env["RASA_API_TOKEN"]},
                                  timeout=2)
                    if r.status_code == 200 and r.json().get("model_file"):
                        pending.remove(port)
                except (httpx.HTTPError, ValueError):
                    pass
            time.sleep(1)
        if pending:
            raise RuntimeError(f"Rasa on {pending} did not load its model in time")

    def stop_bot(self) -> None:
        """Kill Rasa and the action server (a crash, for the fault test); the gateway stays."""
        for p in [p for p in self.procs if p.args[1] in ("-m", "bot/scripts/launch.py")]:
            p.kill()
            p.wait(timeout=15)
            self.procs.remove(p)

    def start_bot(self) -> None:
        """Start the action server and Rasa (again: they take about a minute to be ready).
        The first Rasa's log is rasa-<port>.log, the others' rasa<i>-<port>.log."""
        self._spawn("actions", [str(ROOT / ".venv-bot/bin/python"), "-m", "rasa_sdk", "--actions",
                                "actions", "--port", str(self.action_port)], ROOT)
        for i, rasa_port in enumerate(self.rasa_ports):
            self._spawn(f"rasa{i or ''}", [str(ROOT / ".venv-bot/bin/python"), "bot/scripts/launch.py", "--model",
                                           str(MODEL), "-i", "127.0.0.1", "-p", str(rasa_port), "--credentials",
                                           "credentials.yml", "--endpoints", "endpoints.yml"], ROOT)

    def log_tail(self, name: str = "gateway", lines: int = 80) -> str:
        """The end of one process's log, for a failing test's message (CI keeps no files)."""
        path = self.log_dir / f"{name}-{self.port}.log"
        if not path.exists():
            return f"(no {name} log)"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def __enter__(self) -> "Stack":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
