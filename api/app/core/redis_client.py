"""The Redis connection shared by the gateway's cross-process state (the conversation
queue, rate limits, stream caps, pushes), or None when REDIS_URL is empty: then each of
them keeps its state in this process's memory, as one process needs.

The client is created on first use, never at import time, and holds a small pool of
connections; a Redis outage makes the calls that need it raise (redis.RedisError), which
the callers treat as a dependency being down.
"""

from __future__ import annotations

from functools import lru_cache

import redis

from app.core.settings import get_settings


def connect(url: str) -> redis.Redis:
    # Short timeouts: a request must not hang on a Redis that went away; the health
    # check re-validates a pooled connection that sat idle (a Redis restart).
    return redis.Redis.from_url(url, decode_responses=True, socket_timeout=5, socket_connect_timeout=5,
                                health_check_interval=30)


@lru_cache
def get_redis() -> redis.Redis | None:
    url = get_settings().redis_url.get_secret_value().strip()
    return connect(url) if url else None


def prefix() -> str:
    return get_settings().redis_prefix
