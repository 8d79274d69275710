"""Notifications between the writers of the database and the readers waiting on it: an
open event stream (the widget's, the console's) or a message waiting for its turn in its
conversation's line wakes up when something it waits for was committed, instead of
polling the database every second.

A notification carries nothing but its topic ("something changed for this conversation",
"a console event"): the reader then reads the database, which stays the only source of
what happened. So a lost notification costs only time: every waiter keeps a slow
fallback poll.

In memory (one process) the bus calls the waiters directly; with REDIS_URL it goes
through Redis pub/sub, so a message stored by one gateway process wakes a stream held by
another. Each process holds one subscription (a pattern over the bus's channels) and one
listener thread, whatever the number of open streams.

Publishing is automatic: ``install`` hooks SQLAlchemy's session so that every committed
outbound message and console event is announced (whoever wrote it: the bot's reply, a
counsellor, the scheduler), and a rollback announces nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import redis
from sqlalchemy import event, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from app.core.redis_client import get_redis, prefix
from app.core.settings import get_settings

log = logging.getLogger(__name__)

Callback = Callable[[], None]
CONSOLE = "console"


def digest(key: str) -> str:
    """A keyed hash of a conversation key: no key (a phone number's hash, a widget's id)
    is written into Redis key or channel names."""
    secret = get_settings().secret_key.get_secret_value().encode()
    return hmac.new(secret, b"bus." + key.encode(), hashlib.sha256).hexdigest()[:32]


def conversation_topic(key: str) -> str:
    """Something for this conversation's widget streams (an outbound message)."""
    return "conv:" + digest(key)


class MemoryBus:
    def __init__(self) -> None:
        self._subscribers: dict[str, set[Callback]] = defaultdict(set)
        self._lock = threading.Lock()

    def subscribe(self, topic: str, callback: Callback) -> Callback:
        """Call ``callback`` (from any thread) on each notification of ``topic``; returns
        the function that stops it."""
        with self._lock:
            self._subscribers[topic].add(callback)
        self._started()

        def unsubscribe() -> None:
            with self._lock:
                callbacks = self._subscribers.get(topic)
                if callbacks is not None:
                    callbacks.discard(callback)
                    if not callbacks:
                        del self._subscribers[topic]
        return unsubscribe

    def publish(self, topic: str) -> None:
        self._dispatch(topic)

    def _dispatch(self, topic: str) -> None:
        with self._lock:
            callbacks = list(self._subscribers.get(topic, ()))
        for callback in callbacks:
            try:
                callback()
            except Exception:
                log.exception("a bus subscriber failed")

    def _started(self) -> None:
        pass

    def close(self) -> None:
        pass


class RedisBus(MemoryBus):
    """The same bus across processes: PUBLISH on ``<prefix>bus:<topic>``, one PSUBSCRIBE
    per process on ``<prefix>bus:*`` read by one daemon thread that calls the local
    subscribers. A lost Redis connection is retried with backoff; meanwhile the waiters'
    fallback polls carry on."""

    def __init__(self, client: redis.Redis, key_prefix: str) -> None:
        super().__init__()
        self._client, self._channel = client, f"{key_prefix}bus:"
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._start_lock = threading.Lock()

    def publish(self, topic: str) -> None:
        try:
            self._client.publish(self._channel + topic, "1")
        except redis.RedisError:
            # The database holds the change; the waiters' fallback poll will find it.
            log.warning("a notification could not be published (Redis unreachable)")

    def _started(self) -> None:
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._listen, name="bus-listener", daemon=True)
                self._thread.start()
        # Wait (briefly) until the subscription is in place, so a notification published
        # right after ``subscribe`` returns is not missed.
        self._ready.wait(2.0)

    def _listen(self) -> None:
        backoff = 0.1
        while not self._stop.is_set():
            pubsub = self._client.pubsub()
            try:
                pubsub.psubscribe(self._channel + "*")
                # psubscribe only sends the command: its confirmation is the first message.
                while not self._stop.is_set() and not self._ready.is_set():
                    reply = pubsub.get_message(timeout=1.0)
                    if reply is not None and reply.get("type") == "psubscribe":
                        self._ready.set()
                backoff = 0.1
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    if message is not None and message.get("type") == "pmessage":
                        self._dispatch(str(message["channel"])[len(self._channel):])
            except (redis.RedisError, OSError, ValueError):
                if self._stop.is_set():
                    break
                log.warning("the bus lost Redis; subscribing again in %.1f s", backoff)
                self._ready.clear()
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                try:
                    pubsub.close()
                except Exception:
                    pass

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(3.0)


@lru_cache
def get_bus() -> MemoryBus:
    client = get_redis()
    return RedisBus(client, prefix()) if client is not None else MemoryBus()


class Signal:
    """An asyncio waiter fed by the bus: ``await signal.wait(timeout)`` returns as soon
    as a notification came since the last wait, or after ``timeout`` (the fallback
    poll). Notifications that arrive while the stream is busy are kept, never lost."""

    def __init__(self, bus: MemoryBus, topic: str) -> None:
        self._event = asyncio.Event()
        loop = asyncio.get_running_loop()
        self._unsubscribe = bus.subscribe(topic, lambda: loop.call_soon_threadsafe(self._event.set))

    async def wait(self, timeout: float) -> bool:
        try:
            await asyncio.wait_for(self._event.wait(), timeout)
            woken = True
        except TimeoutError:
            woken = False
        self._event.clear()
        return woken

    def close(self) -> None:
        self._unsubscribe()


# --- publishing what the database committed -------------------------------------------

_TOPICS = "bus.topics"


def _collect(session: Session, _flush_context: Any) -> None:
    from app.console.accounts.models import ConsoleEvent
    from app.conversations.models import Conversation, Direction, Message

    topics: set[str] = session.info.setdefault(_TOPICS, set())
    missing: set[str] = set()
    for obj in session.new:
        if isinstance(obj, ConsoleEvent):
            topics.add(CONSOLE)
        elif isinstance(obj, Message) and obj.direction == Direction.outbound:
            conv = session.identity_map.get(identity_key(Conversation, obj.conversation_id))
            if conv is not None:
                topics.add(conversation_topic(conv.key))
            else:
                missing.add(obj.conversation_id)
    if missing:
        keys = session.connection().execute(select(Conversation.key).where(Conversation.id.in_(missing)))
        topics.update(conversation_topic(key) for (key,) in keys)


def _publish(session: Session) -> None:
    topics = session.info.pop(_TOPICS, None)
    if topics:
        bus = get_bus()
        for topic in topics:
            bus.publish(topic)


def _forget(session: Session, previous: Any) -> None:
    # Only the outermost transaction's rollback drops what it would have announced (a
    # savepoint's rollback may leave the rest to commit; a spare notification is harmless).
    if previous.parent is None:
        session.info.pop(_TOPICS, None)


_installed = False


def install() -> None:
    """Announce every committed outbound message and console event (idempotent)."""
    global _installed
    if not _installed:
        _installed = True
        event.listen(Session, "after_flush", _collect)
        event.listen(Session, "after_commit", _publish)
        event.listen(Session, "after_soft_rollback", _forget)
