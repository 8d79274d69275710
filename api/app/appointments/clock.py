"""The current time as a dependency, so tests can fix "now" (app.dependency_overrides)."""

from __future__ import annotations

from datetime import datetime

from app.core.db import utcnow


async def get_now() -> datetime:
    # Async: a dependency of Rasa's NLG callback, which must never wait for a worker
    # thread (every one of them may be a chat request waiting for that very callback).
    return utcnow()
