"""Issue 11, several gateway processes: with REDIS_URL the gateway's in-memory state lives
in Redis. Each test runs against the real local Redis under a key prefix of its own
(deleted afterwards); two instances of a class stand for two gateway processes (each
with its own connection pool and its own bus listener), threads for their requests."""

from __future__ import annotations

import asyncio
import os
import random
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
import redis
from app.conversations.queue import Backlog, RedisQueue
from app.core.bus import RedisBus
from app.core.ratelimit import RedisLimiter, RedisOrigins
from app.core.redis_client import connect
from app.core.streams import RedisStreamSlots

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def key_prefix(base_env: None) -> Iterator[str]:
    from app.core import settings

    settings.get_settings.cache_clear()
    prefix = f"test:{uuid.uuid4().hex[:12]}:"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    for name in client.scan_iter(match=prefix + "*", count=1000):
        client.delete(name)
    client.close()


class Process:
    """What one gateway process holds: its own client, bus and queue."""

    def __init__(self, key_prefix: str, *, max_backlog: int = 8, lease_seconds: float = 30.0) -> None:
        self.redis = connect(REDIS_URL)
        self.bus = RedisBus(self.redis, key_prefix)
        self.queue = RedisQueue(self.redis, key_prefix, max_backlog=max_backlog,
                                lease_seconds=lease_seconds, bus=self.bus)

    def stop(self) -> None:
        self.queue.close()
        self.bus.close()
        self.redis.close()


@pytest.fixture
def two(key_prefix: str) -> Iterator[tuple[Process, Process]]:
    a, b = Process(key_prefix, max_backlog=50), Process(key_prefix, max_backlog=50)
    yield a, b
    a.stop()
    b.stop()


def test_one_conversation_s_messages_take_turns_in_id_order_across_two_processes(two) -> None:
    a, b = two
    ids = iter(range(1, 1000))
    order: list[int] = []
    busy, overlaps = threading.Event(), []
    start = threading.Barrier(40)

    def message(process: Process) -> None:
        # The INSERT (here: the next id) and the registration under the arrival lock,
        # as conversations.service does, then the turn.
        start.wait()
        with process.queue.arrival("web:c") as arrival:
            assert not arrival.deferred
            message_id = next(ids)
            process.queue.register("web:c", message_id)
        time.sleep(random.random() / 50)
        with process.queue.turn("web:c", message_id, timeout=30) as ready:
            assert ready
            if busy.is_set():
                overlaps.append(message_id)
            busy.set()
            order.append(message_id)
            time.sleep(0.005)
            busy.clear()

    threads = [threading.Thread(target=message, args=(a if i % 2 else b,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert order == sorted(order) and len(order) == 40
    assert not overlaps
    assert a.queue.waiting("web:c") == b.queue.waiting("web:c") == 0


def test_the_backlog_is_shared_by_every_process(key_prefix: str) -> None:
    a, b = Process(key_prefix, max_backlog=3), Process(key_prefix, max_backlog=3)
    try:
        for process, message_id in ((a, 5), (b, 7), (a, 6)):
            with process.queue.arrival("tel:h:x"):
                process.queue.register("tel:h:x", message_id)
        with pytest.raises(Backlog):
            with b.queue.arrival("tel:h:x"):
                pass
        with b.queue.arrival("tel:h:x", defer_when_full=True) as arrival:
            assert arrival.deferred  # Twilio's message: stored, answered later
        assert b.queue.is_pending("tel:h:x", 5) and a.queue.waiting("tel:h:x") == 3
        # Another conversation has its own line.
        with b.queue.arrival("tel:h:y") as arrival:
            assert not arrival.deferred

        order: list[int] = []

        def run(process: Process, message_id: int) -> None:
            with process.queue.turn("tel:h:x", message_id, timeout=10) as ready:
                assert ready
                order.append(message_id)

        threads = [threading.Thread(target=run, args=args) for args in ((b, 7), (a, 6), (b, 5))]
        for t in threads:
            t.start()
            time.sleep(0.05)
        for t in threads:
            t.join(15)
        assert order == [5, 6, 7] and a.queue.waiting("tel:h:x") == 0
    finally:
        a.stop()
        b.stop()


def test_a_dead_process_blocks_a_conversation_no_longer_than_its_lease(key_prefix: str) -> None:
    dead, alive = Process(key_prefix, lease_seconds=2), Process(key_prefix, lease_seconds=2)
    try:
        with dead.queue.arrival("web:c"):
            dead.queue.register("web:c", 1)
        dead.stop()  # its renewals stop, as when the process is killed; message 1 never ends
        with alive.queue.arrival("web:c"):
            alive.queue.register("web:c", 2)
        began = time.monotonic()
        with alive.queue.turn("web:c", 2, timeout=20) as ready:
            waited = time.monotonic() - began
            assert ready
        assert 1.0 < waited < 5.0, waited
        assert not alive.queue.is_pending("web:c", 1)
    finally:
        alive.stop()


def test_a_living_process_keeps_its_messages_in_line_beyond_the_lease(key_prefix: str) -> None:
    a, b = Process(key_prefix, lease_seconds=2), Process(key_prefix, lease_seconds=2)
    try:
        with a.queue.arrival("web:c"):
            a.queue.register("web:c", 1)
        with b.queue.arrival("web:c"):
            b.queue.register("web:c", 2)
        # Message 1 is slow (Rasa thinking) for twice its lease: it is renewed, and 2 waits.
        with b.queue.turn("web:c", 2, timeout=4) as ready:
            assert not ready
        assert a.queue.is_pending("web:c", 1)
        a.queue.done("web:c", 1)
        assert a.queue.waiting("web:c") == 0
    finally:
        a.stop()
        b.stop()


def test_a_done_in_one_process_wakes_the_next_message_in_another_at_once(two) -> None:
    a, b = two
    for process, message_id in ((a, 1), (b, 2)):
        with process.queue.arrival("web:c"):
            process.queue.register("web:c", message_id)
    woke: list[float] = []

    def second() -> None:
        with b.queue.turn("web:c", 2, timeout=10) as ready:
            assert ready
            woke.append(time.monotonic())

    t = threading.Thread(target=second)
    t.start()
    time.sleep(0.3)
    finished = time.monotonic()
    a.queue.done("web:c", 1)
    t.join(10)
    # The notification, not the half-second fallback check, let it through.
    assert woke and woke[0] - finished < 0.25


def test_rate_limits_are_shared_by_every_process(key_prefix: str) -> None:
    a = RedisLimiter(connect(REDIS_URL), key_prefix)
    b = RedisLimiter(connect(REDIS_URL), key_prefix)
    assert a.hit("book:client:p", 3, 3600) is None
    assert b.hit("book:client:p", 3, 3600) is None
    assert a.hit("book:client:p", 3, 3600) is None
    wait = b.hit("book:client:p", 3, 3600)
    assert wait is not None and 3590 <= wait <= 3600
    a.refund("book:client:p")  # the booking it allowed did not happen
    assert b.hit("book:client:p", 3, 3600) is None
    assert a.hit("book:client:other", 3, 3600) is None  # another key, its own window
    # A sliding window: hits older than the window no longer count.
    assert a.hit("login:x", 1, 1) is None and b.hit("login:x", 1, 1) is not None
    time.sleep(1.1)
    assert b.hit("login:x", 1, 1) is None


def test_many_hits_at_once_from_two_processes_never_exceed_the_limit(key_prefix: str) -> None:
    limiters = [RedisLimiter(connect(REDIS_URL), key_prefix) for _ in range(2)]
    allowed: list[bool] = []
    start = threading.Barrier(40)

    def hit(i: int) -> None:
        start.wait()
        allowed.append(limiters[i % 2].hit("k", 6, 3600) is None)

    threads = [threading.Thread(target=hit, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert allowed.count(True) == 6


def test_the_client_behind_a_conversation_is_known_to_every_process(key_prefix: str) -> None:
    a = RedisOrigins(connect(REDIS_URL), key_prefix)
    b = RedisOrigins(connect(REDIS_URL), key_prefix)
    a.remember("web:c", "203.0.113.7")
    assert b.of("web:c") is not None and b.of("web:c") == a.of("web:c")
    # Kept as a keyed hash, never the address itself.
    client = connect(REDIS_URL)
    stored = [client.get(name) for name in client.scan_iter(match=key_prefix + "*")]
    assert stored and not any("203.0.113.7" in (value or "") for value in stored)
    assert not any("web:c" in name for name in client.scan_iter(match=key_prefix + "*"))
    b.forget("web:c")
    assert a.of("web:c") is None


def test_stream_caps_hold_across_processes_and_a_dead_process_s_slots_expire(key_prefix: str) -> None:
    a = RedisStreamSlots(connect(REDIS_URL), key_prefix, lifetime_seconds=300)
    b = RedisStreamSlots(connect(REDIS_URL), key_prefix, lifetime_seconds=300)
    first = a.acquire([("t", 1), ("ip", 2)])
    assert first is not None
    assert b.acquire([("t", 1), ("ip", 2)]) is None
    assert b.open_count("ip") == 1  # the refused acquire took nothing
    second = b.acquire([("u", 1), ("ip", 2)])
    assert second is not None and a.acquire([("v", 1), ("ip", 2)]) is None
    first.release()
    first.release()
    assert b.open_count("ip") == 1 and b.open_count("t") == 0
    second.release()
    assert a.open_count("ip") == 0
    # A process that dies holding a stream never releases it: the entry ends on its own.
    short = RedisStreamSlots(connect(REDIS_URL), key_prefix, lifetime_seconds=300)
    short._ttl = 1.0
    assert short.acquire([("w", 1)]) is not None
    assert a.acquire([("w", 1)]) is None
    time.sleep(1.2)
    assert a.acquire([("w", 1)]) is not None


def test_a_notification_published_by_one_process_reaches_another(key_prefix: str) -> None:
    a, b = RedisBus(connect(REDIS_URL), key_prefix), RedisBus(connect(REDIS_URL), key_prefix)
    try:
        got = threading.Event()
        stop = b.subscribe("conv:x", got.set)
        a.publish("conv:other")
        a.publish("conv:x")
        assert got.wait(2)
        stop()
        got.clear()
        a.publish("conv:x")
        assert not got.wait(0.3)
    finally:
        a.close()
        b.close()


@pytest.fixture
def redis_app(app_db: str, key_prefix: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The gateway's settings with REDIS_URL: this test is one gateway process."""
    from tests.api.conftest import clear_caches

    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    monkeypatch.setenv("REDIS_PREFIX", key_prefix)
    # Only a notification can deliver within the test: the fallback read is far off.
    monkeypatch.setenv("PUSH_FALLBACK_SECONDS", "60")
    clear_caches()
    yield key_prefix
    clear_caches()


def test_a_message_stored_by_one_process_reaches_a_widget_stream_held_by_another(redis_app: str) -> None:
    from app.channels.web import push
    from app.conversations import repository
    from app.conversations.models import Channel, Direction, MessageStatus
    from app.core import bus
    from app.core.db import get_sessionmaker
    from app.core.settings import get_settings

    bus.install()
    assert isinstance(bus.get_bus(), RedisBus)  # this process publishes through Redis
    other = RedisBus(connect(REDIS_URL), redis_app)  # the process holding the stream

    def store(text: str) -> None:
        with get_sessionmaker()() as session:
            conv = repository.get_or_create(session, "web:held-elsewhere", Channel.web)
            repository.add_message(session, conv, Direction.outbound, text, channel=Channel.web,
                                   status=MessageStatus.queued)
            session.commit()

    async def scenario() -> list[tuple[str, float]]:
        received: list[tuple[str, float]] = []
        events = push.stream("web:held-elsewhere", 0, get_settings(), notifications=other)
        assert (await anext(events)) == {"retry": push.RETRY_MS}
        sent_at = time.monotonic()
        # A counsellor's reply committed by the other process (a thread here), a moment
        # after the stream went to sleep.
        loop = asyncio.get_running_loop()
        loop.call_later(0.3, lambda: threading.Thread(target=store, args=("from the console",)).start())
        event = await asyncio.wait_for(anext(events), 10)
        received.append((event["data"], time.monotonic() - sent_at))
        await events.aclose()
        return received

    try:
        [(data, after)] = asyncio.run(scenario())
    finally:
        other.close()
    assert "from the console" in data
    assert after < 2.0, after  # woken by the notification, not the 60 s fallback


def test_a_console_event_committed_anywhere_is_announced(redis_app: str) -> None:
    from app.console.accounts.models import ConsoleEvent
    from app.core import bus
    from app.core.db import get_sessionmaker

    bus.install()
    other = RedisBus(connect(REDIS_URL), redis_app)
    got = threading.Event()
    stop = other.subscribe(bus.CONSOLE, got.set)
    try:
        with get_sessionmaker()() as session:
            session.add(ConsoleEvent(kind="waiting"))
            session.flush()
            session.rollback()  # rolled back: nothing to announce
        assert not got.wait(0.5)
        with get_sessionmaker()() as session:
            session.add(ConsoleEvent(kind="waiting"))
            session.commit()
        assert got.wait(2)
    finally:
        stop()
        other.close()


def test_the_gateway_uses_redis_when_it_is_configured(redis_app: str) -> None:
    from app.conversations.queue import get_queue
    from app.core.ratelimit import get_limiter, get_origins
    from app.core.streams import get_stream_slots

    assert isinstance(get_queue(), RedisQueue)
    assert isinstance(get_limiter(), RedisLimiter)
    assert isinstance(get_origins(), RedisOrigins)
    assert isinstance(get_stream_slots(), RedisStreamSlots)


def test_the_end_of_a_permanence_is_claimed_by_one_process(redis_app: str) -> None:
    from app.core import once
    from app.core.redis_client import get_redis

    assert get_redis() is not None
    wins: list[bool] = []
    start = threading.Barrier(8)

    def claim() -> None:
        start.wait()
        wins.append(once.claim("permanence-ended:2026-12-04T17:00:00+01:00"))

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert wins.count(True) == 1
    assert once.claim("permanence-ended:2026-12-07T17:00:00+01:00")  # the next one is its own
