"""Issue 11, several gateway processes: every process runs the schedulers, and each item of
work is done once. The outbox, the reminders, the catch-up and the handoff requeue claim
their rows with conditional UPDATEs (their own tests); here the re-alert of urgent cases,
which did not (two processes texted the on-call person twice), on PostgreSQL with two
sessions at once, and the end of a permanence, which has no row to claim."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.api.conftest import clear_caches, migrate


@pytest.fixture
def pg(base_env: None, postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    monkeypatch.setenv("ON_CALL_NUMBER", "+32470000001")
    clear_caches()
    migrate(postgres_url)
    yield postgres_url
    clear_caches()


def test_an_urgent_case_still_waiting_is_alerted_again_once_by_two_processes(pg: str) -> None:
    from app.channels.outbox import Message
    from app.console.accounts.models import ConsoleEvent
    from app.conversations import repository
    from app.conversations.models import Channel, Conversation, Direction, HandoffState
    from app.core.db import get_sessionmaker, utcnow
    from app.handoff.alerts import realert_waiting

    now = utcnow()
    with get_sessionmaker()() as session:
        for i in range(5):
            conv = repository.get_or_create(session, f"web:urgent-{i}", Channel.web)
            conv.urgent, conv.handoff_state = True, HandoffState.waiting
            conv.waiting_since = conv.last_alert_at = now - timedelta(minutes=30)
        session.commit()

    start = threading.Barrier(2)
    counts: list[int] = []

    def scheduler() -> None:
        with get_sessionmaker()() as session:
            start.wait()
            counts.append(realert_waiting(session, now))
            session.commit()

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(counts) in ([0, 5], [1, 4], [2, 3]) and sum(counts) == 5
    with get_sessionmaker()() as session:
        assert session.scalar(select(func.count()).select_from(ConsoleEvent)
                              .where(ConsoleEvent.kind == "alert")) == 5
        texts = session.scalar(select(func.count()).select_from(Message).join(Conversation)
                               .where(Conversation.channel == Channel.sms, Message.direction == Direction.outbound))
        assert texts == 5  # one text per case to the on-call person, not two
        # A second round right after: nothing is overdue any more.
        assert realert_waiting(session, now + timedelta(seconds=30)) == 0
