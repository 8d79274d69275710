"""Rasa's tracker stores (in memory; SQL), with each conversation's history bounded.

The stock InMemoryTrackerStore serialises the whole tracker to JSON on every save and
parses and replays all of it on every retrieve (and more than once a turn): a turn costs
more with every message. This one saves the compacted tracker (history/compaction.py)
once a session holds more than `max_turns` user messages, so what is stored, loaded,
replayed and sent on stays bounded.

endpoints.yml:
    tracker_store:
      type: bot.history.tracker_store.BoundedInMemoryTrackerStore
      max_turns: 20
      keep_turns: 8
"""

from __future__ import annotations

import json
from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import InMemoryTrackerStore, SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from bot.history.compaction import compact


class BoundedInMemoryTrackerStore(InMemoryTrackerStore):
    def __init__(self, domain: Domain, event_broker: EventBroker | None = None,
                 max_turns: int = 20, keep_turns: int = 8, **kwargs: Any) -> None:
        if not 2 <= int(keep_turns) <= int(max_turns):
            # The gateway reads the last two user messages; the actions the previous one.
            raise ValueError("tracker store: need 2 <= keep_turns <= max_turns")
        self.max_turns, self.keep_turns = int(max_turns), int(keep_turns)
        super().__init__(domain, event_broker, **kwargs)

    async def save(self, tracker: DialogueStateTracker) -> None:
        compacted = compact(tracker, self.domain, self.max_turns, self.keep_turns)
        await super().save(compacted or tracker)


class BoundedSQLTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store (PostgreSQL with several Rasa processes), with the same bound.

    The stock store only appends: every save adds the tracker's new events, every retrieve
    reads the rows since the latest session start, and nothing is ever deleted. Here, when
    a conversation is compacted (the same rule as in memory), its rows are replaced by the
    compacted session in one transaction: what a turn reads stays bounded, and so does the
    table. Rows are only written under the conversation's lock (the Redis lock store with
    several processes), so nobody appends between the delete and the insert.

    An empty tracker saved (the gateway's erasure: PUT /conversations/<id>/tracker/events
    with no events) deletes the conversation's rows: the stock store would keep them all.

    Selected by bot/scripts/launch.py when DATABASE_URL / RASA_TRACKER_DB_URL say so;
    `make run` keeps the in-memory store above.
    """

    def __init__(self, domain: Domain | None = None, host: str | None = None,
                 event_broker: EventBroker | None = None, max_turns: int = 20, keep_turns: int = 8,
                 **kwargs: Any) -> None:
        if not 2 <= int(keep_turns) <= int(max_turns):
            raise ValueError("tracker store: need 2 <= keep_turns <= max_turns")
        self.max_turns, self.keep_turns = int(max_turns), int(keep_turns)
        super().__init__(domain=domain, host=host, event_broker=event_broker, **kwargs)

    async def save(self, tracker: DialogueStateTracker) -> None:
        if not tracker.events:
            self._replace(tracker.sender_id, [])
            return
        compacted = compact(tracker, self.domain, self.max_turns, self.keep_turns)
        if compacted is None:
            await super().save(tracker)
            return
        await self.stream_events(tracker)
        self._replace(tracker.sender_id, list(compacted.events))

    def _replace(self, sender_id: str, events: list[Event]) -> None:
        # The stock query finds the latest session by its SessionStarted row's timestamp
        # and reads the rows at or after it: that row gets the session's earliest time.
        floor = min((e.timestamp for e in events), default=0.0)
        with self.session_scope() as session:
            session.query(self.SQLEvent).filter(self.SQLEvent.sender_id == sender_id).delete(
                synchronize_session=False)
            for event in events:
                data = event.as_dict()
                session.add(self.SQLEvent(
                    sender_id=sender_id, type_name=event.type_name,
                    timestamp=floor if isinstance(event, SessionStarted) else data.get("timestamp"),
                    intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                    action_name=data.get("name"), data=json.dumps(data)))
            session.commit()
