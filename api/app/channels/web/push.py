"""Server-sent events: later messages to a widget conversation (a counsellor's reply
after a handoff, a reminder), pushed as they are stored.

Each stream polls the database for the conversation's outbound messages with an id
above the last one sent. Polling sees every writer (the bot's replies, the console,
the scheduler) without any of them having to publish anything, and one indexed
query per stream per second is cheap at the service's scale. The browser's
EventSource reconnects on its own with Last-Event-ID, so a stream may end at any time
without losing a message.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import AsyncIterator, Callable
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


def _server_exiting() -> Callable[[], bool]:
    """True once uvicorn has been asked to stop.

    uvicorn waits for open responses before it stops, and a stream never ends by
    itself, so without this a single open browser tab would hold up every restart.
    uvicorn installs its bound ``Server.handle_exit`` as the SIGTERM handler; reading
    ``should_exit`` from it is the only hook it offers. Under another server the
    streams simply end after ``widget_stream_seconds``.
    """
    server = getattr(signal.getsignal(signal.SIGTERM), "__self__", None)
    if server is not None and hasattr(server, "should_exit"):
        return lambda: bool(server.should_exit)
    return lambda: False


def format_event(message: dict[str, Any]) -> str:
    # JSON escapes newlines, so the data always fits on one "data:" line.
    return f"id: {message['id']}\ndata: {json.dumps(message, ensure_ascii=False)}\n\n"


async def stream(key: str, after_id: int, settings: Settings) -> AsyncIterator[str]:
    exiting = _server_exiting()
    started = last_write = time.monotonic()
    yield f"retry: {RETRY_MS}\n\n"
    while True:
        for message in await run_in_threadpool(_fetch, key, after_id):
            after_id = message["id"]
            last_write = time.monotonic()
            yield format_event(message)
        now = time.monotonic()
        if exiting() or now - started >= settings.widget_stream_seconds:
            return
        if now - last_write >= settings.widget_heartbeat_seconds:
            # A comment line: keeps proxies from closing an idle connection.
            last_write = now
            yield ": keep-alive\n\n"
        await asyncio.sleep(settings.widget_poll_seconds)
