"""Bounded history: a long conversation is cut to what it must remember.

Every turn Rasa loads the tracker from the store, replays its events, featurizes them for
the policies, and sends them to the action server and the NLG endpoint: a turn's cost
grows with the number of events. What the assistant needs from the past is bounded:
- the slots (language-independent state: a booking in progress, an offered counsellor,
  a pending cancel or move) and the active form;
- the last few turns: the rules look at the current turn, MemoizationPolicy at 5 turns
  at most, the actions at the previous user message ("not understood" twice in a row,
  "move it to Saturday" a few turns before the time is offered), the gateway at the last
  two user messages (language, a "ciao" as a first message).

So once a conversation's current session holds more than `max_turns` user messages, it
is rewritten as Rasa itself writes a session that carries its slots over: a session
start, the slots' values and the active form as they were before the last `keep_turns`
turns, then those turns' events unchanged. Replayed, it gives exactly the same slots,
form and latest message as the full history (checked; the full history is kept if not).
The conversation's transcript is the gateway's (its database), not Rasa's.
"""

from __future__ import annotations

import logging
from typing import List

from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)


def _session(events: List[Event]) -> List[Event]:
    """The events of the latest session (from its `action_session_start`)."""
    for i in range(len(events) - 1, -1, -1):
        if isinstance(events[i], SessionStarted):
            start = i - 1 if i > 0 and _is_action(events[i - 1], ACTION_SESSION_START_NAME) else i
            return events[start:]
    return events


def _is_action(event: Event, name: str) -> bool:
    return isinstance(event, ActionExecuted) and event.action_name == name


def compact(tracker: DialogueStateTracker, domain: Domain, max_turns: int, keep_turns: int
            ) -> DialogueStateTracker | None:
    """The tracker cut to its state plus its last `keep_turns` turns, or None when it is
    short enough or not between two turns (the store then keeps it as it is)."""
    events = _session(list(tracker.events))
    users = [i for i, e in enumerate(events) if isinstance(e, UserUttered)]
    if len(users) <= max_turns or not events or not _is_action(events[-1], ACTION_LISTEN_NAME):
        return None
    cut = users[-keep_turns]
    if cut > 0 and _is_action(events[cut - 1], ACTION_LISTEN_NAME):
        cut -= 1  # a turn starts with the listen that waited for its message
    before = DialogueStateTracker.from_events(tracker.sender_id, events[:cut], domain.slots)
    stamp = events[cut].timestamp
    head: List[Event] = [ActionExecuted(ACTION_SESSION_START_NAME, timestamp=stamp), SessionStarted(timestamp=stamp)]
    head += [SlotSet(slot.name, slot.value, timestamp=stamp) for slot in before.slots.values()
             if slot.value != slot.initial_value]
    if before.active_loop_name:
        # Its trigger message is not kept: nothing in Rasa 3.6 reads it (no
        # from_trigger_intent mapping), and the form goes on from its slots.
        head.append(ActiveLoop(before.active_loop_name, timestamp=stamp))
    compacted = DialogueStateTracker.from_events(tracker.sender_id, head + events[cut:], domain.slots,
                                                 sender_source=tracker.sender_source)
    if (compacted.current_slot_values() != tracker.current_slot_values()
            or compacted.active_loop_name != tracker.active_loop_name
            or compacted.latest_message != tracker.latest_message
            or compacted.latest_action != tracker.latest_action):
        logger.warning("compaction would change the conversation's state; its history is kept whole")
        return None
    return compacted
