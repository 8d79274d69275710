"""Issue 10, one conversation, one line: 50 messages sent at once to one conversation got
31 answers of 503 (Rasa's per-conversation lock against the gateway's timeout), and the
stored order differed from the order Rasa processed. Now the gateway hands a
conversation's messages to Rasa one at a time, in the order it stored them; beyond a
bounded backlog the API answers 429 (nothing stored); messages left unanswered while Rasa
was down are answered when it is back."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from app.conversations.queue import Backlog, MemoryQueue
from tests.chat_client import auth, send


class FakeRasa:
    """Rasa's channel endpoint as the gateway calls it: answers "echo: <text>" after a
    delay, records the order it saw and whether two calls of one sender overlapped."""

    def __init__(self, delay: float = 0.15) -> None:
        self.delay, self.seen, self.overlaps, self.up = delay, [], 0, True
        self._busy: set[str] = set()
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if not fake.up:
                    self.send_response(503)
                    self.end_headers()
                    return
                sender = body["sender"]
                with fake._lock:
                    fake.overlaps += sender in fake._busy
                    fake._busy.add(sender)
                    fake.seen.append(body["message"])
                time.sleep(fake.delay)
                with fake._lock:
                    fake._busy.discard(sender)
                out = json.dumps([{"recipient_id": sender, "text": f"echo: {body['message']}"}]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeRasa:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()


@pytest.fixture
def rasa(base_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeRasa]:
    from app.conversations import rasa as rasa_module

    with FakeRasa() as fake:
        monkeypatch.setenv("RASA_URL", fake.url)
        monkeypatch.setattr(rasa_module, "_client", None)
        yield fake


@pytest.fixture
def gateway(rasa: FakeRasa, app_db: str):
    """The real gateway in uvicorn (concurrent requests, as in production), on SQLite."""
    import os

    from tools.stack import Stack

    env = {k: os.environ[k] for k in ("RASA_URL", "SECRET_KEY", "INTERNAL_API_TOKEN", "NLG_TOKEN",
                                       "RASA_CHANNEL_TOKEN") if k in os.environ}
    with Stack(database_url=app_db, with_bot=False, extra_env={**env, "SCHEDULER_ENABLED": "false"}) as stack:
        yield stack


def _burst(stack, sender: str, texts: list[str]) -> list[httpx.Response]:
    results: list[httpx.Response] = [None] * len(texts)  # type: ignore[list-item]
    barrier = threading.Barrier(len(texts))

    def one(i: int) -> None:
        barrier.wait()
        results[i] = send(stack, sender, texts[i], timeout=60)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(texts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def test_a_burst_into_one_conversation_is_answered_in_order_without_503(gateway, rasa: FakeRasa) -> None:
    assert send(gateway, "burst", "English please").status_code == 200
    texts = [f"question number {i}" for i in range(8)]
    results = _burst(gateway, "burst", texts)
    assert [r.status_code for r in results] == [200] * 8, [r.text for r in results if r.status_code != 200]
    assert rasa.overlaps == 0  # one at a time
    history = httpx.get(f"{gateway.url}/api/chat/burst", headers=auth(gateway, "burst")).json()["messages"]
    stored = [m["text"] for m in history if m["direction"] == "in" and m["text"].startswith("question")]
    assert rasa.seen == stored  # Rasa saw them in the order they were stored
    answers = [m["text"] for m in history if m["direction"] == "out" and m["text"].startswith("echo")]
    assert answers == [f"echo: {t}" for t in stored]
    for r, text in zip(results, texts):  # each request got its own answer
        assert r.json()["messages"][-1]["text"] == f"echo: {text}"


def test_beyond_the_backlog_the_api_gets_429_and_nothing_is_stored(gateway, rasa: FakeRasa) -> None:
    rasa.delay = 0.4
    assert send(gateway, "flood", "English please").status_code == 200
    results = _burst(gateway, "flood", [f"flood {i}" for i in range(20)])
    codes = [r.status_code for r in results]
    assert 503 not in codes and set(codes) <= {200, 429}, codes
    assert codes.count(429) >= 1
    for r in results:
        if r.status_code == 429:
            assert int(r.headers["Retry-After"]) > 0 and "not stored" in r.json()["detail"]
    history = httpx.get(f"{gateway.url}/api/chat/flood", headers=auth(gateway, "flood")).json()["messages"]
    stored = [m["text"] for m in history if m["direction"] == "in" and m["text"].startswith("flood")]
    assert len(stored) == codes.count(200) and rasa.seen == stored


def test_a_message_left_unanswered_while_rasa_was_down_is_answered_when_it_is_back(rasa, client, session) -> None:
    from app.conversations import catch_up

    rasa.up = False
    r = send(client, "outage", "is anyone there")
    assert r.status_code == 503
    rasa.up = True
    assert catch_up.run_once() == 1
    history = client.get("/api/chat/outage", headers=auth(client, "outage")).json()["messages"]
    assert [m["text"] for m in history][-1] == "echo: is anyone there"
    assert catch_up.run_once() == 0  # answered once


def test_an_old_unanswered_message_is_left_to_the_counsellors(rasa, client, session) -> None:
    from datetime import timedelta

    from app.conversations import catch_up
    from app.core.db import utcnow

    rasa.up = False
    send(client, "old-outage", "hello?")
    rasa.up = True
    assert catch_up.run_once(utcnow() + timedelta(hours=2)) == 0


def test_the_line_lets_messages_through_in_id_order_and_bounds_its_backlog() -> None:
    q = MemoryQueue(max_backlog=3)
    order: list[int] = []
    for i in (5, 7, 6):  # registered out of order: the ids decide
        with q.arrival("c"):
            q.register("c", i)
    with pytest.raises(Backlog):
        with q.arrival("c"):
            pass
    with q.arrival("c", defer_when_full=True) as arrival:
        assert arrival.deferred

    def run(i: int) -> None:
        with q.turn("c", i) as ready:
            assert ready
            order.append(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in (7, 6, 5)]
    for t in threads:
        t.start()
        time.sleep(0.05)
    for t in threads:
        t.join(10)
    assert order == [5, 6, 7] and q.waiting("c") == 0


def test_a_message_whose_turn_never_comes_gives_up() -> None:
    q = MemoryQueue()
    with q.arrival("c"):
        q.register("c", 1)
    with q.arrival("c"):
        q.register("c", 2)
    with q.turn("c", 2, timeout=0.2) as ready:
        assert not ready
    assert q.waiting("c") == 1  # message 1 is still in line
