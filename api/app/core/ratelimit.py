"""Rate limits and the client address behind a conversation, in memory, behind a small
interface: one gateway process holds them now; the scale issue moves them to Redis so
that several processes share them (same methods, another class).

Keys are keyed hashes: no client address or phone number is kept in clear, and a
restart forgets everything (the limits are per hour).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from functools import lru_cache

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


@lru_cache
def get_limiter() -> MemoryLimiter:
    return MemoryLimiter()


@lru_cache
def get_origins() -> MemoryOrigins:
    return MemoryOrigins()
