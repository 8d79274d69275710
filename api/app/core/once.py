"""A claim that only one gateway process wins, for work that has no row of its own to
claim with a conditional UPDATE (the end of a permanence, seen by every process's
scheduler within one interval of each other).

With Redis (several processes), ``SET NX`` on the claim's name, kept a day so a process
that ticks later does not win it again. Without Redis there is one process, whose
scheduler sees each such moment once by construction: the claim is always won.
"""

from __future__ import annotations

from app.core.redis_client import get_redis, prefix


def claim(name: str, ttl_seconds: int = 24 * 3600) -> bool:
    client = get_redis()
    if client is None:
        return True
    return bool(client.set(f"{prefix()}once:{name}", "1", nx=True, ex=ttl_seconds))
