"""Rasa's in-memory tracker store, with each conversation's history bounded.

The stock InMemoryTrackerStore serialises the whole tracker to JSON on every save and
parses and replays all of it on every retrieve (and more than once a turn): a turn costs
more with every message. This one saves the compacted tracker (history/compaction.py)
once a session holds more than `max_turns` user messages, so what is stored, loaded,
replayed and sent on stays bounded.

endpoints.yml:
    tracker_store:
      type: history.tracker_store.BoundedInMemoryTrackerStore
      max_turns: 20
      keep_turns: 8
"""

from __future__ import annotations

from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from history.compaction import compact


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
