"""A background job run every so often in a worker thread; a failure is logged and the
loop goes on (a database hiccup must not stop it)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable


async def every(interval_seconds: float, job: Callable[[], object], log: logging.Logger, what: str) -> None:
    while True:
        try:
            await asyncio.to_thread(job)
        except Exception:  # noqa: BLE001
            log.exception("%s failed", what)
        await asyncio.sleep(interval_seconds)
