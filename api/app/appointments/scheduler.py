"""The reminder scheduler: an asyncio task that, every SCHEDULER_INTERVAL_SECONDS,
queues due reminders in a worker thread with its own session (one transaction per
run). Several gateway processes may run it at once: the claim makes that safe."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from app.appointments.reminders import queue_reminder, run_due_reminders
from app.core.db import get_sessionmaker, utcnow

log = logging.getLogger("app.appointments.scheduler")


def run_once() -> int:
    with get_sessionmaker()() as session:
        count = run_due_reminders(session, utcnow(), queue_reminder)
        session.commit()
    if count:
        log.info("queued %d reminder(s)", count)
    return count


async def _loop(interval: float) -> None:
    while True:
        try:
            await asyncio.to_thread(run_once)
        except Exception:
            log.exception("reminder run failed")
        await asyncio.sleep(interval)


def start(interval: float) -> asyncio.Task[None]:
    return asyncio.create_task(_loop(interval), name="appointment-reminders")


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
