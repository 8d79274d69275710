"""Server-sent events: later messages to a widget conversation (a counsellor's reply
after a handoff, a reminder), pushed as they are stored.

Each stream reads the database for the conversation's outbound messages with an id
above the last one sent, when the bus (app.core.bus) says one was committed: every
writer (the bot's replies, the console, the scheduler), in any gateway process when
Redis is configured, announces it through a session hook, without code of its own. A
slow fallback read (WIDGET_POLL_SECONDS in memory, PUSH_FALLBACK_SECONDS with Redis)
covers a notification lost on the way. The browser's
EventSource reconnects on its own with Last-Event-ID, so a stream may end at any time
without losing a message. The response (sse-starlette, ``streams.LeasedEventSourceResponse``)
formats the events, sends the keep-alive pings, and ends the stream when the client
leaves or the server stops.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.concurrency import run_in_threadpool

from app.channels.web import repository
from app.core import bus
from app.core.db import get_sessionmaker
from app.core.redis_client import get_redis
from app.core.settings import Settings

# Tells EventSource how long to wait before reconnecting (milliseconds).
RETRY_MS = 2000
BATCH = 100


def _fetch(key: str, after_id: int) -> list[dict[str, Any]]:
    # A short session per poll: a stream must never hold a connection (or an SQLite
    # read snapshot) open for minutes.
    with get_sessionmaker()() as session:
        return repository.as_dicts(session, repository.outbound_after(session, key, after_id, BATCH))


def last_id(key: str) -> int:
    with get_sessionmaker()() as session:
        return repository.last_message_id(session, key)


def format_event(message: dict[str, Any]) -> dict[str, str]:
    # JSON escapes newlines, so the data always fits on one "data:" line.
    return {"id": str(message["id"]), "data": json.dumps(message, ensure_ascii=False)}


def fallback_seconds(settings: Settings) -> float:
    """How often a stream reads the database without being told to: in one process every
    writer notifies it at once, with Redis a notification can be lost (Redis restarting)."""
    return settings.push_fallback_seconds if get_redis() is not None else settings.widget_poll_seconds


async def stream(key: str, after_id: int, settings: Settings,
                 notifications: bus.MemoryBus | None = None) -> AsyncIterator[dict[str, Any]]:
    """The conversation's outbound messages after ``after_id``, read when the bus says one
    was committed (by any writer, in any gateway process) or after the fallback delay."""
    started = time.monotonic()
    signal = bus.Signal(notifications or bus.get_bus(), bus.conversation_topic(key))
    try:
        yield {"retry": RETRY_MS}
        while True:
            for message in await run_in_threadpool(_fetch, key, after_id):
                after_id = message["id"]
                yield format_event(message)
            left = settings.widget_stream_seconds - (time.monotonic() - started)
            if left <= 0:
                return
            await signal.wait(min(left, fallback_seconds(settings)))
    finally:
        signal.close()
