"""Rate limits and the client address behind a conversation, behind a small interface:
in memory for one gateway process, in Redis when REDIS_URL is set, so that several
processes share them (same methods, another class).

Keys are keyed hashes: no client address or phone number is kept in clear, and a
restart (of the process, or of Redis) forgets everything (the limits are per hour).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import threading
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable
from functools import lru_cache

import redis

from app.core.redis_client import get_redis, prefix
from app.core.settings import get_settings


def pseudonym(value: str) -> str:
    """A keyed hash of a client address (or any identifier), for counting, not for finding."""
    key = get_settings().secret_key.get_secret_value().encode()
    return hmac.new(key, b"ratelimit." + value.encode(), hashlib.sha256).hexdigest()[:32]


class MemoryLimiter:
    """Sliding-window counters: at most ``limit`` hits per ``window`` seconds per key."""

    MAX_KEYS = 100_000  # a flood of new keys cannot grow memory without bound

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()
        self._clock = clock

    def hit(self, key: str, limit: int, window: float) -> int | None:
        """Count one hit. None if it is allowed, else the seconds until one would be."""
        now = self._clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            self._hits.move_to_end(key)
            while hits and hits[0] <= now - window:
                hits.popleft()
            if len(hits) >= limit:
                return max(1, math.ceil(hits[0] + window - now))
            hits.append(now)
            while len(self._hits) > self.MAX_KEYS:
                self._hits.popitem(last=False)
            return None

    def refund(self, key: str) -> None:
        """Take back the latest hit (the action it allowed did not happen)."""
        with self._lock:
            hits = self._hits.get(key)
            if hits:
                hits.pop()

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()


class MemoryOrigins:
    """Which client (a pseudonym of its address) wrote a conversation's latest message: the
    assistant books on the conversation's behalf, from the action server's address, and the
    booking limits per client still apply to the person behind it."""

    MAX_KEYS = 100_000

    def __init__(self) -> None:
        self._by_key: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, conversation_key: str, client_address: str | None) -> None:
        if not client_address:
            return
        with self._lock:
            self._by_key[conversation_key] = pseudonym(client_address)
            self._by_key.move_to_end(conversation_key)
            while len(self._by_key) > self.MAX_KEYS:
                self._by_key.popitem(last=False)

    def of(self, conversation_key: str) -> str | None:
        with self._lock:
            return self._by_key.get(conversation_key)

    def forget(self, conversation_key: str) -> None:
        with self._lock:
            self._by_key.pop(conversation_key, None)


# A sliding window in one sorted set per key: members are hits, scored by Redis's clock
# (so every process counts on the same clock). KEYS: the window; ARGV: limit, window
# (seconds), a unique member. Returns 0 when the hit counts, else the seconds to wait.
_HIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(1, math.ceil(tonumber(oldest[2]) + window - now))
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('EXPIRE', KEYS[1], math.ceil(window) + 1)
return 0
"""


class RedisLimiter:
    """``MemoryLimiter`` shared by every gateway process."""

    def __init__(self, client: redis.Redis, key_prefix: str) -> None:
        self._redis, self._prefix = client, key_prefix + "rl:"
        self._hit = client.register_script(_HIT)

    def hit(self, key: str, limit: int, window: float) -> int | None:
        wait = int(self._hit(keys=[self._prefix + key], args=[limit, window, uuid.uuid4().hex]))
        return wait or None

    def refund(self, key: str) -> None:
        # The latest hit of the window (another process's, maybe: the count is what matters).
        self._redis.zpopmax(self._prefix + key)

    def reset(self) -> None:
        for name in self._redis.scan_iter(match=self._prefix + "*", count=500):
            self._redis.delete(name)


class RedisOrigins:
    """``MemoryOrigins`` shared by every gateway process; an entry lasts a day after the
    conversation's latest message (the bookings it serves come within minutes)."""

    TTL_SECONDS = 24 * 3600

    def __init__(self, client: redis.Redis, key_prefix: str) -> None:
        self._redis, self._prefix = client, key_prefix + "origin:"

    def _name(self, conversation_key: str) -> str:
        from app.core.bus import digest

        return self._prefix + digest(conversation_key)

    def remember(self, conversation_key: str, client_address: str | None) -> None:
        if client_address:
            self._redis.set(self._name(conversation_key), pseudonym(client_address), ex=self.TTL_SECONDS)

    def of(self, conversation_key: str) -> str | None:
        return self._redis.get(self._name(conversation_key))

    def forget(self, conversation_key: str) -> None:
        self._redis.delete(self._name(conversation_key))


@lru_cache
def get_limiter() -> MemoryLimiter | RedisLimiter:
    client = get_redis()
    return RedisLimiter(client, prefix()) if client is not None else MemoryLimiter()


@lru_cache
def get_origins() -> MemoryOrigins | RedisOrigins:
    client = get_redis()
    return RedisOrigins(client, prefix()) if client is not None else MemoryOrigins()
