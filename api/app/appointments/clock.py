"""The current time as a dependency, so tests can fix "now" (app.dependency_overrides)."""

from __future__ import annotations

from datetime import datetime

from app.core.db import utcnow


def get_now() -> datetime:
    return utcnow()
