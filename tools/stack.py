"""Start the real stack (action server, Rasa, gateway) on free localhost ports.

Used by the end-to-end tests and the benchmarks, so both measure what users run.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "bot" / "models" / "hirondelle.tar.gz"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Stack:
    database_url: str
    extra_env: dict[str, str] = field(default_factory=dict)
    with_bot: bool = True
    procs: list[subprocess.Popen] = field(default_factory=list)
    log_dir: Path = ROOT / "var" / "test-logs"

    def __post_init__(self) -> None:
        self.port, self.rasa_port, self.action_port = free_port(), free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "PYTHONPATH": f"{ROOT / 'bot'}:{ROOT / 'api'}",
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
            "RASA_URL": f"http://127.0.0.1:{self.rasa_port}",
            "ACTION_SERVER_URL": f"http://127.0.0.1:{self.action_port}",
            "SANIC_HOST": "127.0.0.1",
            "PORT": str(self.port),
            **self.extra_env,
        }

    def _spawn(self, name: str, args: list[str], cwd: Path) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        path = self.log_dir / f"{name}-{self.port}.log"
        # Logs may hold what the redaction missed: readable by this user only (0600).
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)
        log = os.fdopen(fd, "w")
        self.procs.append(subprocess.Popen(args, cwd=cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT))

    def start(self, timeout: float = 240.0) -> "Stack":
        subprocess.run([str(ROOT / ".venv-api/bin/alembic"), "upgrade", "head"], cwd=ROOT / "api",
                       env=self.env, check=True, capture_output=True)
        if self.with_bot:
            self._spawn("actions", [str(ROOT / ".venv-bot/bin/python"), "-m", "rasa_sdk", "--actions",
                                    "actions", "--port", str(self.action_port)], ROOT / "bot")
            self._spawn("rasa", [str(ROOT / ".venv-bot/bin/python"), "scripts/launch.py", "--model", str(MODEL),
                                 "-i", "127.0.0.1", "-p", str(self.rasa_port), "--credentials",
                                 "credentials.yml", "--endpoints", "endpoints.yml"], ROOT / "bot")
        self._spawn("gateway", [str(ROOT / ".venv-api/bin/uvicorn"), "app.main:app", "--host", "127.0.0.1",
                                "--port", str(self.port), "--no-access-log"], ROOT / "api")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for p in self.procs:
                if p.poll() is not None:
                    self.stop()
                    raise RuntimeError(f"a process of the stack exited; see {self.log_dir}")
            try:
                r = httpx.get(f"{self.url}/health", timeout=2)
                if r.status_code == 200 or (not self.with_bot and r.json().get("database") == "ok"):
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

    def stop_bot(self) -> None:
        """Kill Rasa and the action server (a crash, for the fault test); the gateway stays."""
        for p in [p for p in self.procs if p.args[1] in ("-m", "scripts/launch.py")]:
            p.kill()
            p.wait(timeout=15)
            self.procs.remove(p)

    def start_bot(self) -> None:
        """Start Rasa and the action server again (they take about a minute to be ready)."""
        self._spawn("actions", [str(ROOT / ".venv-bot/bin/python"), "-m", "rasa_sdk", "--actions",
                                "actions", "--port", str(self.action_port)], ROOT / "bot")
        self._spawn("rasa", [str(ROOT / ".venv-bot/bin/python"), "scripts/launch.py", "--model", str(MODEL),
                             "-i", "127.0.0.1", "-p", str(self.rasa_port), "--credentials",
                             "credentials.yml", "--endpoints", "endpoints.yml"], ROOT / "bot")

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
