"""Caps on open event streams (the widget's and the console's server-sent events).

A stream holds a connection for minutes: a few per conversation (tabs) and a few dozen
per client address (an office behind one address) are plenty, and a client opening
hundreds must not take the gateway down.

The counters sit behind a small interface (acquire, then release once): in memory for
one gateway process, in Redis when REDIS_URL is set (the caps then hold across every
process). In Redis each open stream is an entry that expires on its own a little after
the longest a stream lives (WIDGET_STREAM_SECONDS), so the slots of a process that died
come back without anyone releasing them.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import redis
from fastapi import HTTPException, status
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.types import Message, Receive, Scope, Send

from app.core.redis_client import get_redis, prefix
from app.core.settings import get_settings

PER_TOKEN = 3     # open streams of one conversation (widget) or one console session
PER_ADDRESS = 20  # open streams from one client address
RETRY_AFTER_SECONDS = 30


class Lease:
    """Slots held by one stream; ``release`` gives them back (once, whatever happens)."""

    def __init__(self, slots: MemoryStreamSlots | RedisStreamSlots, keys: tuple[str, ...], member: str = "") -> None:
        self._slots, self._keys, self._member, self._released = slots, keys, member, False

    def release(self) -> None:
        if not self._released:
            self._released = True
            self._slots.release(self._keys, self._member)


class MemoryStreamSlots:
    def __init__(self) -> None:
        self._open: Counter[str] = Counter()
        self._lock = threading.Lock()

    def acquire(self, limits: Sequence[tuple[str, int]]) -> Lease | None:
        """One slot under every (key, limit), all or none."""
        with self._lock:
            if any(self._open[key] >= limit for key, limit in limits):
                return None
            for key, _ in limits:
                self._open[key] += 1
        return Lease(self, tuple(key for key, _ in limits))

    def release(self, keys: Sequence[str], member: str = "") -> None:
        with self._lock:
            for key in keys:
                self._open[key] -= 1
                if self._open[key] <= 0:
                    del self._open[key]

    def open_count(self, key: str) -> int:
        with self._lock:
            return self._open[key]


# All or none, atomically. KEYS: one sorted set per cap; ARGV: the stream's member, its
# lifetime (seconds), then the limits in KEYS' order. 1 when the slots were taken.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local ttl = tonumber(ARGV[2])
for i = 1, #KEYS do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
  if redis.call('ZCARD', KEYS[i]) >= tonumber(ARGV[i + 2]) then return 0 end
end
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], now + ttl, ARGV[1])
  redis.call('EXPIRE', KEYS[i], math.ceil(ttl) + 1)
end
return 1
"""

_COUNT = """
local t = redis.call('TIME')
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(t[1]) + tonumber(t[2]) / 1000000)
return redis.call('ZCARD', KEYS[1])
"""


class RedisStreamSlots:
    """``MemoryStreamSlots`` shared by every gateway process."""

    MARGIN_SECONDS = 60.0  # beyond a stream's longest life: a stream ending late still holds its slot

    def __init__(self, client: redis.Redis, key_prefix: str, lifetime_seconds: float) -> None:
        self._redis, self._prefix = client, key_prefix + "streams:"
        self._ttl = lifetime_seconds + self.MARGIN_SECONDS
        self._acquire = client.register_script(_ACQUIRE)
        self._count = client.register_script(_COUNT)

    def _name(self, key: str) -> str:
        # Hashed: the caps are keyed by client addresses and conversation keys.
        from app.core.bus import digest

        return self._prefix + digest(key)

    def acquire(self, limits: Sequence[tuple[str, int]]) -> Lease | None:
        member = uuid.uuid4().hex
        taken = self._acquire(keys=[self._name(key) for key, _ in limits],
                              args=[member, self._ttl, *(limit for _, limit in limits)])
        return Lease(self, tuple(key for key, _ in limits), member) if int(taken) else None

    def release(self, keys: Sequence[str], member: str = "") -> None:
        try:
            pipe = self._redis.pipeline()
            for key in keys:
                pipe.zrem(self._name(key), member)
            pipe.execute()
        except redis.RedisError:
            pass  # the entry expires on its own

    def open_count(self, key: str) -> int:
        return int(self._count(keys=[self._name(key)]))


@lru_cache
def get_stream_slots() -> MemoryStreamSlots | RedisStreamSlots:
    client = get_redis()
    if client is None:
        return MemoryStreamSlots()
    return RedisStreamSlots(client, prefix(), get_settings().widget_stream_seconds)


def open_stream(kind: str, token_key: str, address: str | None) -> Lease:
    """A lease for one more stream of this token and address; 429 with Retry-After beyond the caps."""
    lease = get_stream_slots().acquire([(f"{kind}:token:{token_key}", PER_TOKEN),
                                        (f"ip:{address or 'unknown'}", PER_ADDRESS)])
    if lease is None:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS,
                            "too many open event streams for this conversation or address: close one, "
                            "or try again later", headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    return lease


def _keep_alive() -> ServerSentEvent:
    # A comment line: keeps proxies from closing an idle connection.
    return ServerSentEvent(comment="keep-alive", sep="\n")


class LeasedEventSourceResponse(EventSourceResponse):
    """Server-sent events (sse-starlette: event formatting, keep-alive pings, the end of
    the stream when the client leaves or the server is asked to stop, so an open tab
    never holds up a restart) that give the lease back when the response ends, however
    it ends: the generator's own ``finally`` may run late, when the generator is
    collected, this one runs when the response does."""

    def __init__(self, content: Any, *, lease: Lease, **kwargs: Any) -> None:
        # "\n" between lines, as every EventSource and our tests read them.
        super().__init__(content, sep="\n", ping=get_settings().widget_heartbeat_seconds,
                         ping_message_factory=_keep_alive, **kwargs)
        self.lease = lease

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        ended = False

        async def tracked(message: Message) -> None:
            nonlocal ended
            ended = ended or (message["type"] == "http.response.body" and not message.get("more_body", False))
            await send(message)

        try:
            await super().__call__(scope, receive, tracked)
            if not ended:
                # A stream stopped for a server shutdown is cancelled mid-body: end it
                # cleanly, or the server logs "returned without completing response".
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            self.lease.release()
