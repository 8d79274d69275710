"""One conversation, one line: the messages of a conversation reach Rasa one at a time,
in the order they were stored.

Rasa keeps a lock per conversation and polls it once a second; a burst of messages to
one conversation made the gateway's calls time out (503s) and Rasa processed them in
another order than the gateway stored them. Here each message, once stored, waits for
its turn: every earlier stored message of the conversation has been answered (or has
given up). A message id is registered under a per-conversation lock together with its
INSERT, so ids are registered in the order they were assigned.

Above a bounded backlog a new message is refused before it is stored (the API and the
widget answer 429, the client keeps the text) or, for Twilio, which must never get a
429, stored and answered later by the catch-up (``catch_up``), through the outbox.

Behind a small interface (``arrival``, ``register``, ``turn``, ``done``): in memory for
one gateway process (``MemoryQueue``), in Redis when REDIS_URL is set (``RedisQueue``:
several gateway processes share each conversation's line).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache

import redis

from app.core import bus as notifications
from app.core.redis_client import get_redis, prefix
from app.core.settings import get_settings

log = logging.getLogger(__name__)

MAX_BACKLOG = 8          # messages of one conversation stored and not yet answered
TURN_TIMEOUT = 90.0      # seconds a message waits for the ones before it


class Backlog(Exception):
    """Too many messages of this conversation are waiting: this one is not taken."""

    retry_after = 5


@dataclass
class Arrival:
    deferred: bool = False   # stored beyond the backlog (Twilio): answered later
    message_id: int | None = None


@dataclass
class _Line:
    pending: list[int] = field(default_factory=list)   # registered ids, ascending
    arriving: threading.Lock = field(default_factory=threading.Lock)


class MemoryQueue:
    def __init__(self, max_backlog: int = MAX_BACKLOG) -> None:
        self.max_backlog = max_backlog
        self._lines: dict[str, _Line] = {}
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)

    def _line(self, key: str) -> _Line:
        with self._lock:
            return self._lines.setdefault(key, _Line())

    @contextmanager
    def arrival(self, key: str, *, defer_when_full: bool = False) -> Iterator[Arrival]:
        """Wrap the INSERT of a message: ``register`` its id inside. Raises Backlog when
        the line is full (unless ``defer_when_full``: the message is then stored and
        marked for later, never registered)."""
        line = self._line(key)
        with line.arriving:
            with self._lock:
                full = len(line.pending) >= self.max_backlog
            if full and not defer_when_full:
                raise Backlog(f"{len(line.pending)} messages of this conversation are still waiting")
            try:
                yield Arrival(deferred=full)
            finally:
                with self._lock:
                    if not line.pending and self._lines.get(key) is line:
                        del self._lines[key]

    def register(self, key: str, message_id: int) -> None:
        """Called inside ``arrival``, after the INSERT gave the message its id."""
        with self._lock:
            line = self._lines.setdefault(key, _Line())
            line.pending.append(message_id)
            line.pending.sort()

    def done(self, key: str, message_id: int) -> None:
        with self._changed:
            line = self._lines.get(key)
            if line is not None and message_id in line.pending:
                line.pending.remove(message_id)
                if not line.pending:
                    del self._lines[key]
            self._changed.notify_all()

    @contextmanager
    def turn(self, key: str, message_id: int, timeout: float = TURN_TIMEOUT) -> Iterator[bool]:
        """Wait until every earlier registered message of the conversation is done.
        Yields True when it is this message's turn, False after ``timeout`` (the caller
        answers "try later"); the message leaves the line either way."""
        deadline = time.monotonic() + timeout
        ready = False
        with self._changed:
            while True:
                line = self._lines.get(key)
                if line is None or not line.pending or line.pending[0] >= message_id:
                    ready = True
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._changed.wait(min(left, 1.0))
        try:
            yield ready
        finally:
            self.done(key, message_id)

    def is_pending(self, key: str, message_id: int) -> bool:
        with self._lock:
            line = self._lines.get(key)
            return bool(line and message_id in line.pending)

    def waiting(self, key: str) -> int:
        with self._lock:
            line = self._lines.get(key)
            return len(line.pending) if line else 0


# --- several processes: Redis ------------------------------------------------------------
#
# Per conversation (its key hashed, app.core.bus.digest): ``<p>q:<h>:ids``, a sorted set
# of the registered message ids scored by id (the line, in order), and ``<p>q:<h>:lease``,
# the same ids scored by the time (Redis's clock, ms) their lease ends. A process renews
# the leases of the messages it holds every third of QUEUE_LEASE_SECONDS; a process that
# dies stops renewing, and its messages are dropped from the line by the next reader once
# their lease has ended, so a crash never blocks a conversation for longer than a lease.
# Every read and write of a line is one Lua script (atomic on the server).

_PURGE = """
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local dead = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ms)
if #dead > 0 then
  redis.call('ZREM', KEYS[1], unpack(dead))
  redis.call('ZREM', KEYS[2], unpack(dead))
end
"""

_WAITING = _PURGE + "return redis.call('ZCARD', KEYS[1])"

# ARGV: lease (ms), ids...
_REGISTER = """
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local lease = tonumber(ARGV[1])
for i = 2, #ARGV do
  redis.call('ZADD', KEYS[1], tonumber(ARGV[i]), ARGV[i])
  redis.call('ZADD', KEYS[2], ms + lease, ARGV[i])
end
redis.call('PEXPIRE', KEYS[1], lease * 2)
redis.call('PEXPIRE', KEYS[2], lease * 2)
return 1
"""

# Renew only ids still in the line (one that was purged stays out). ARGV: lease (ms), ids...
_RENEW = """
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local lease = tonumber(ARGV[1])
local kept = 0
for i = 2, #ARGV do
  if redis.call('ZADD', KEYS[2], 'XX', 'CH', ms + lease, ARGV[i]) == 1 then kept = kept + 1 end
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('PEXPIRE', KEYS[1], lease * 2)
  redis.call('PEXPIRE', KEYS[2], lease * 2)
end
return kept
"""

# 1 when no live id lower than ARGV[1] is in the line. ARGV: id
_TURN = _PURGE + """
local first = redis.call('ZRANGE', KEYS[1], 0, 0)
if #first == 0 or tonumber(first[1]) >= tonumber(ARGV[1]) then return 1 end
return 0
"""

_IS_PENDING = _PURGE + "if redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 1 end return 0"


class RedisQueue:
    """``MemoryQueue``'s interface over Redis, for several gateway processes.

    The ids of a conversation are registered in the order of their INSERTs because the
    INSERT and the registration happen under one Redis lock per conversation (``arrival``,
    with its own expiry, so a process dying inside it frees it). A waiting message wakes
    when an earlier one is done (a notification on the bus, from whichever process
    answered it) and re-checks its turn at least every ``POLL`` seconds anyway (a lease
    that ended sends no notification)."""

    POLL = 0.5
    ARRIVAL_WAIT = 10.0   # seconds to wait for a conversation's arrival lock

    def __init__(self, client: redis.Redis, key_prefix: str, *, max_backlog: int = MAX_BACKLOG,
                 lease_seconds: float = 30.0, bus: notifications.MemoryBus | None = None) -> None:
        self.max_backlog = max_backlog
        self._redis, self._prefix = client, key_prefix
        self._lease_ms = int(lease_seconds * 1000)
        self._bus = bus
        self._waiting = client.register_script(_WAITING)
        self._register = client.register_script(_REGISTER)
        self._renew = client.register_script(_RENEW)
        self._turn = client.register_script(_TURN)
        self._is_pending = client.register_script(_IS_PENDING)
        self._held: dict[str, set[int]] = {}   # this process's registered ids, renewed
        self._held_lock = threading.Lock()
        self._renewer: threading.Thread | None = None
        self._stop = threading.Event()

    def _keys(self, key: str) -> list[str]:
        base = f"{self._prefix}q:{notifications.digest(key)}"
        return [f"{base}:ids", f"{base}:lease"]

    def _topic(self, key: str) -> str:
        return "q:" + notifications.digest(key)

    def _notifications(self) -> notifications.MemoryBus:
        return self._bus if self._bus is not None else notifications.get_bus()

    @contextmanager
    def arrival(self, key: str, *, defer_when_full: bool = False) -> Iterator[Arrival]:
        ids, _lease = keys = self._keys(key)
        lock = self._redis.lock(ids + ":arriving", timeout=max(5.0, self._lease_ms / 1000),
                                blocking_timeout=self.ARRIVAL_WAIT)
        if not lock.acquire():
            # Another process holds this conversation's arrival for far longer than an
            # INSERT takes: treat it as a full line.
            if not defer_when_full:
                raise Backlog("this conversation is busy")
            yield Arrival(deferred=True)
            return
        try:
            waiting = int(self._waiting(keys=keys))
            full = waiting >= self.max_backlog
            if full and not defer_when_full:
                raise Backlog(f"{waiting} messages of this conversation are still waiting")
            yield Arrival(deferred=full)
        finally:
            try:
                lock.release()
            except redis.exceptions.LockError:
                log.warning("a conversation's arrival lock expired before its release")

    def register(self, key: str, message_id: int) -> None:
        with self._held_lock:
            self._held.setdefault(key, set()).add(message_id)
        self._register(keys=self._keys(key), args=[self._lease_ms, message_id])
        self._start_renewer()

    def done(self, key: str, message_id: int) -> None:
        with self._held_lock:
            held = self._held.get(key)
            if held is not None:
                held.discard(message_id)
                if not held:
                    del self._held[key]
        ids, lease = self._keys(key)
        pipe = self._redis.pipeline()
        pipe.zrem(ids, message_id)
        pipe.zrem(lease, message_id)
        pipe.execute()
        self._notifications().publish(self._topic(key))

    @contextmanager
    def turn(self, key: str, message_id: int, timeout: float = TURN_TIMEOUT) -> Iterator[bool]:
        deadline = time.monotonic() + timeout
        ready = False
        woken = threading.Event()
        unsubscribe = self._notifications().subscribe(self._topic(key), woken.set)
        try:
            while True:
                woken.clear()
                if int(self._turn(keys=self._keys(key), args=[message_id])):
                    ready = True
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                woken.wait(min(left, self.POLL))
        except BaseException:
            unsubscribe()
            self.done(key, message_id)
            raise
        unsubscribe()
        try:
            yield ready
        finally:
            self.done(key, message_id)

    def is_pending(self, key: str, message_id: int) -> bool:
        return bool(int(self._is_pending(keys=self._keys(key), args=[message_id])))

    def waiting(self, key: str) -> int:
        return int(self._waiting(keys=self._keys(key)))

    # -- leases -------------------------------------------------------------------------

    def _start_renewer(self) -> None:
        with self._held_lock:
            if self._renewer is None:
                self._renewer = threading.Thread(target=self._renew_loop, name="queue-leases", daemon=True)
                self._renewer.start()

    def renew(self) -> None:
        """Extend the lease of every message this process holds (one round trip per line)."""
        with self._held_lock:
            held = {key: sorted(ids) for key, ids in self._held.items() if ids}
        for key, ids in held.items():
            self._renew(keys=self._keys(key), args=[self._lease_ms, *ids])

    def _renew_loop(self) -> None:
        while not self._stop.wait(self._lease_ms / 3000):
            try:
                self.renew()
            except redis.RedisError:
                log.warning("the conversation queue could not renew its leases (Redis unreachable)")

    def close(self) -> None:
        self._stop.set()


@lru_cache
def get_queue() -> MemoryQueue | RedisQueue:
    client = get_redis()
    if client is None:
        return MemoryQueue()
    return RedisQueue(client, prefix(), lease_seconds=get_settings().queue_lease_seconds)
