"""Issue 10, proof under faults: Rasa and the action server are killed and restarted, and
a private PostgreSQL cluster (initdb/pg_ctl on a port of its own, never the machine's
shared server) is stopped and started, during a stream of messages from 20 conversations.
While the database is down the gateway answers 503 and the test's clients retry as
Twilio and the widget would; a message the gateway stored while Rasa was down is not sent
again (its 503 says it is saved) and is answered when Rasa is back. At the end every
message is stored exactly once and answered."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.chat_client import auth, send  # noqa: E402
from tools.stack import MODEL, Stack, free_port  # noqa: E402

PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), None)
CONVERSATIONS, MESSAGES = 20, 8
QUESTIONS = ["what are your opening hours?", "where is your office?", "is the legal help free?",
             "which languages do you speak?", "how does voluntary return work?"]


class PrivatePostgres:
    """A throwaway cluster in a temporary directory. As root, its files belong to the
    postgres user and its commands run as that user (initdb refuses root)."""

    def __init__(self, base: Path) -> None:
        self.dir, self.port = base / "pg", free_port()
        self.sock = base / "sock"
        self.sock.mkdir()
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(base, "postgres")
            shutil.chown(self.sock, "postgres")

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        self._run(str(PG_BIN / "initdb"), "-D", str(self.dir), "-A", "trust", "-U", "postgres")
        self.start()
        self._run(str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "fault")

    def start(self) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.dir), "-w", "-l", str(self.dir / "server.log"), "-o",
                  f"-p {self.port} -k {self.sock} -c listen_addresses=127.0.0.1", "start")

    def stop(self) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.dir), "-w", "-m", "fast", "stop")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/fault"


@pytest.fixture
def private_pg() -> Iterator[PrivatePostgres]:
    if PG_BIN is None or (os.geteuid() == 0 and shutil.which("runuser") is None):
        pytest.skip("PostgreSQL's server binaries (initdb, pg_ctl) are not installed")
    import tempfile

    # Not under pytest's own temporary directory: it is private to root (0700), and the
    # cluster runs as the postgres user.
    base = Path(tempfile.mkdtemp(prefix="hirondelle-faultpg-"))
    os.chmod(base, 0o755)
    pg = PrivatePostgres(base)
    try:
        pg.init()
        yield pg
    finally:
        try:
            pg.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(base, ignore_errors=True)


def test_every_message_is_stored_and_answered_exactly_once_through_faults(private_pg: PrivatePostgres) -> None:
    assert MODEL.exists(), "train the model first: make train"
    env = {"BOOKINGS_PER_CLIENT_PER_HOUR": "1000", "CATCH_UP_INTERVAL_SECONDS": "1",
           "RASA_TIMEOUT_SECONDS": "5", "STALE_RECEIVED_SECONDS": "20"}
    with Stack(database_url=private_pg.url, extra_env=env) as stack:
        sent: dict[str, list[str]] = {}
        errors: list[str] = []
        attempts = {"db_down": 0, "saved_while_rasa_down": 0}
        lock = threading.Lock()

        def client(n: int) -> None:
            sender = f"fault-{n}"
            texts = ["English please"] + [f"{QUESTIONS[(n + i) % len(QUESTIONS)]} ({n}.{i})" for i in range(MESSAGES)]
            sent[sender] = texts
            for text in texts:
                # One id per message, the same on every retry: sent again after a lost
                # answer, it is stored once (as the widget and Twilio's MessageSid do).
                message_id = str(uuid.uuid4())
                deadline = time.monotonic() + 240
                while time.monotonic() < deadline:
                    try:
                        r = send(stack, sender, text, timeout=30, client_message_id=message_id)
                    except httpx.HTTPError:
                        time.sleep(1)  # the gateway did not answer: send again, as Twilio would
                        continue
                    if r.status_code == 200:
                        break
                    body = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
                    if r.status_code == 503 and "saved" in str(body.get("detail", "")):
                        with lock:
                            attempts["saved_while_rasa_down"] += 1
                        break  # stored: answered when Rasa is back, never sent twice
                    if r.status_code in (503, 429):
                        with lock:
                            attempts["db_down"] += r.status_code == 503
                        time.sleep(float(r.headers.get("Retry-After", "1")))
                        continue
                    errors.append(f"{sender}: {r.status_code} {r.text[:200]}")
                    return
                else:
                    errors.append(f"{sender}: gave up on {text!r}")
                    return
                time.sleep(1.0)  # a person's pace, so the stream spans every fault

        def chaos() -> None:
            # Both faults fall inside the stream (each client sends for 9 s or more).
            time.sleep(2)
            stack.stop_bot()       # Rasa and the action server crash ...
            time.sleep(1)
            stack.start_bot()      # ... and come back (about a minute to load the model)
            time.sleep(1)
            private_pg.stop()      # the database goes away ...
            time.sleep(5)
            private_pg.start()     # ... and comes back

        threads = [threading.Thread(target=client, args=(n,)) for n in range(CONVERSATIONS)]
        threads.append(threading.Thread(target=chaos))
        for t in threads:
            t.start()
        for t in threads:
            t.join(400)
        assert not errors, errors[:5]
        assert attempts["db_down"] > 0 and attempts["saved_while_rasa_down"] > 0, attempts

        # Rasa is back: the catch-up answers what was stored while it was down.
        deadline = time.monotonic() + 180
        while True:
            missing = []
            for sender, texts in sent.items():
                r = httpx.get(f"{stack.url}/api/chat/{sender}", headers=auth(stack, sender), timeout=30)
                assert r.status_code == 200, r.text
                history = r.json()["messages"]
                inbound = [m["text"] for m in history if m["direction"] == "in"]
                assert sorted(inbound) == sorted(texts), (sender, inbound)  # each stored exactly once
                missing += [sender for m in history if m["direction"] == "in" and not _answered(history, m)]
            if not missing or time.monotonic() > deadline:
                break
            time.sleep(2)
        assert not missing, (missing[:5], stack.log_tail())


def _answered(history: list[dict], message: dict) -> bool:
    """An answer to ``message``: an outgoing message stored after it."""
    return any(m["direction"] == "out" and m["id"] > message["id"] for m in history)
