"""Server-sent events: later messages to a widget conversation (a counsellor's reply
after a handoff, a reminder), pushed as they are stored.

Each stream polls the database for the conversation's outbound messages with an id
above the last one sent. Polling sees every writer (the bot's replies, the console,
the scheduler) without any of them having to publish anything, and one indexed
query per stream per second is cheap at the service's scale. The browser's
EventSource reconnects on its own with Last-Event-ID, so a stream may end at any time
without losing a message. The response (sse-starlette, ``streams.LeasedEventSourceResponse``)
formats the events, sends the keep-alive pings, and ends the stream when the client
leaves or the server stops.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.concurrency import run_in_threadpool

from app.channels.web import repository
from app.core.db import get_sessionmaker
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


async def stream(key: str, after_id: int, settings: Settings) -> AsyncIterator[dict[str, Any]]:
    started = time.monotonic()
    yield {"retry": RETRY_MS}
    while True:
        for message in await run_in_threadpool(_fetch, key, after_id):
            after_id = message["id"]
            yield format_event(message)
        if time.monotonic() - started >= settings.widget_stream_seconds:
            return
        await asyncio.sleep(settings.widget_poll_seconds)
