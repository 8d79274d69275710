"""Threads that process inbound Twilio messages.

The webhook waits for its worker only a few seconds (TwiML if the answer is ready,
an empty acknowledgement otherwise); the worker goes on and queues a late answer in
the outbox. Threads, not the event loop: the conversation service is synchronous
(SQLAlchemy sessions, the Rasa client) and may wait on Rasa for seconds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any, TypeVar

T = TypeVar("T")

# Enough that a message starts being stored at once even while many others wait on
# a slow assistant (the webhook does not acknowledge before the message is stored).
MAX_WORKERS = 32

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None
_pending: set[Future[Any]] = set()


def submit(fn: Callable[..., T], *args: Any) -> Future[T]:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="twilio-inbound")
        future = _executor.submit(fn, *args)
        _pending.add(future)
    future.add_done_callback(_forget)
    return future


def _forget(future: Future[Any]) -> None:
    with _lock:
        _pending.discard(future)


def drain(timeout: float | None = None) -> bool:
    """Wait for the messages being processed; True if none is left."""
    with _lock:
        pending = set(_pending)
    _, not_done = wait(pending, timeout=timeout)
    return not not_done


def shutdown(timeout: float | None = 30.0) -> None:
    """At shutdown: let running workers finish, so late answers reach the outbox."""
    global _executor
    drain(timeout)
    with _lock:
        executor, _executor = _executor, None
    if executor is not None:
        executor.shutdown(wait=False)
