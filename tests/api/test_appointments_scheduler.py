"""The reminder scheduler: one run queues due reminders in its own transaction, and
the asyncio task the app starts runs until it is stopped."""

from __future__ import annotations

# The fixtures are imported from appointments_support; pytest passes them by name.
# ruff: noqa: F811
import asyncio
from datetime import timedelta

from app.appointments import scheduler
from app.conversations.models import Message
from app.core.db import utcnow
from appointments_support import INTERNAL, api, appointments_env, booking, db, make_conversation  # noqa: F401
from sqlalchemy import select


def test_run_once_queues_a_due_reminder_and_commits(api, db) -> None:
    from app.appointments.clock import get_now

    # Booked "a day and a half ago" for a slot about 20 hours from the real now.
    real_now = utcnow()
    slots = api.get("/api/slots", params={"service": "social"})
    api.app.dependency_overrides[get_now] = lambda: real_now - timedelta(hours=36)
    candidates = api.get("/api/slots", params={"service": "social",
                                               "from": (real_now + timedelta(hours=2)).isoformat(),
                                               "to": (real_now + timedelta(hours=23)).isoformat()}).json()["slots"]
    assert slots.status_code == 200
    if not candidates:  # a weekend or a holiday ahead: nothing is due, which is also right
        assert scheduler.run_once() == 0
        return
    conv = make_conversation(db)
    r = api.post("/api/appointments", json=booking(candidates[0]["start"], conversation_id=conv.id), headers=INTERNAL)
    assert r.status_code == 201, r.text
    assert scheduler.run_once() == 1
    assert scheduler.run_once() == 0
    msg = db.scalars(select(Message)).one()
    assert r.json()["reference"] in msg.text and msg.status == "queued"
    db.commit()


def test_the_task_runs_until_stopped(appointments_env: str, monkeypatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(scheduler, "run_once", lambda: calls.append(1) or 0)

    async def main() -> None:
        task = scheduler.start(0.01)
        await asyncio.sleep(0.1)
        await scheduler.stop(task)
        assert task.cancelled() or task.done()

    asyncio.run(main())
    assert len(calls) >= 2
