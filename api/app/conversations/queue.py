"""One conversation, one line: the messages of a conversation reach Rasa one at a time,
in the order they were stored.

Rasa keeps a lock per conversation and polls it once a second; a burst of messages to
one conversation made the gateway's calls time out (503s) and Rasa processed them in
another order than the gateway stored them. Here each message, once stored, waits for
its turn: every earlier stored message of the conversation has been answered (or has
given up). A message id is registered under a per-conversation lock together with its
INSERT, so ids are registered in the order they were assigned.

Above a bounded backlog a new message is refused before it is stored (the API and the
widget answer 429, the client keeps the text) or, for Twilio, which must never get a
429, stored and answered later by the catch-up (``catch_up``), through the outbox.

In memory, behind a small interface (``arrival``, ``turn``, ``done``): one gateway
process now; the scale issue puts the same interface on Redis for several processes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache

MAX_BACKLOG = 8          # messages of one conversation stored and not yet answered
TURN_TIMEOUT = 90.0      # seconds a message waits for the ones before it


class Backlog(Exception):
    """Too many messages of this conversation are waiting: this one is not taken."""

    retry_after = 5


@dataclass
class Arrival:
    deferred: bool = False   # stored beyond the backlog (Twilio): answered later
    message_id: int | None = None


@dataclass
class _Line:
    pending: list[int] = field(default_factory=list)   # registered ids, ascending
    arriving: threading.Lock = field(default_factory=threading.Lock)


class MemoryQueue:
    def __init__(self, max_backlog: int = MAX_BACKLOG) -> None:
        self.max_backlog = max_backlog
        self._lines: dict[str, _Line] = {}
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)

    def _line(self, key: str) -> _Line:
        with self._lock:
            return self._lines.setdefault(key, _Line())

    @contextmanager
    def arrival(self, key: str, *, defer_when_full: bool = False) -> Iterator[Arrival]:
        """Wrap the INSERT of a message: ``register`` its id inside. Raises Backlog when
        the line is full (unless ``defer_when_full``: the message is then stored and
        marked for later, never registered)."""
        line = self._line(key)
        with line.arriving:
            with self._lock:
                full = len(line.pending) >= self.max_backlog
            if full and not defer_when_full:
                raise Backlog(f"{len(line.pending)} messages of this conversation are still waiting")
            try:
                yield Arrival(deferred=full)
            finally:
                with self._lock:
                    if not line.pending and self._lines.get(key) is line:
                        del self._lines[key]

    def register(self, key: str, message_id: int) -> None:
        """Called inside ``arrival``, after the INSERT gave the message its id."""
        with self._lock:
            line = self._lines.setdefault(key, _Line())
            line.pending.append(message_id)
            line.pending.sort()

    def done(self, key: str, message_id: int) -> None:
        with self._changed:
            line = self._lines.get(key)
            if line is not None and message_id in line.pending:
                line.pending.remove(message_id)
                if not line.pending:
                    del self._lines[key]
            self._changed.notify_all()

    @contextmanager
    def turn(self, key: str, message_id: int, timeout: float = TURN_TIMEOUT) -> Iterator[bool]:
        """Wait until every earlier registered message of the conversation is done.
        Yields True when it is this message's turn, False after ``timeout`` (the caller
        answers "try later"); the message leaves the line either way."""
        deadline = time.monotonic() + timeout
        ready = False
        with self._changed:
            while True:
                line = self._lines.get(key)
                if line is None or not line.pending or line.pending[0] >= message_id:
                    ready = True
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._changed.wait(min(left, 1.0))
        try:
            yield ready
        finally:
            self.done(key, message_id)

    def is_pending(self, key: str, message_id: int) -> bool:
        with self._lock:
            line = self._lines.get(key)
            return bool(line and message_id in line.pending)

    def waiting(self, key: str) -> int:
        with self._lock:
            line = self._lines.get(key)
            return len(line.pending) if line else 0


@lru_cache
def get_queue() -> MemoryQueue:
    return MemoryQueue()
