"""Bringing in a person: the user asks for one, or accepts one after the assistant
failed to understand twice in a row. The gateway owns the queue and says who will
answer and when; these actions ask it over HTTP and say what it answered."""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import gateway

logger = logging.getLogger(__name__)

# Slots of the forms a handoff clears (a booking in progress is dropped).
FORM_SLOTS = ("service", "slot_choice", "first_name", "contact", "offered_slots", "booking_mode",
              "pending_action", "reference", "phone_last4", "requested_slot")


def previous_turn_not_understood(events: List[Dict[Text, Any]]) -> bool:
    """Whether the assistant's answer to the user's previous message was 'not understood'."""
    seen_current = False
    for event in reversed(events):
        if event.get("event") == "user":
            if seen_current:
                return False
            seen_current = True
        elif seen_current and event.get("event") == "action" and event.get("name") == ActionNotUnderstood.NAME:
            return True
    return False


class ActionRequestHandoff(Action):
    def name(self) -> Text:
        return "action_request_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        reason = "not_understood" if tracker.get_slot("counsellor_offered") else "asked"
        events: List[EventType] = [SlotSet(s, None) for s in FORM_SLOTS] + [SlotSet("counsellor_offered", False)]
        try:
            resp = await gateway.call("POST", "/internal/handoff",
                                      json={"conversation_id": tracker.sender_id, "reason": reason})
            resp.raise_for_status()
            body = resp.json()
        except Exception as exc:  # noqa: BLE001 - the user must hear something true
            logger.error("handoff request failed: %s", type(exc).__name__)
            dispatcher.utter_message(response="utter_counsellor")
            return events
        arguments = {k: v for k, v in (body.get("arguments") or {}).items() if isinstance(v, (str, int, float))}
        dispatcher.utter_message(response=body.get("response") or "handoff_waiting_unknown", **arguments)
        return events


class ActionNotUnderstood(Action):
    """First miss: say what the assistant can do. A second miss in a row: offer a
    counsellor (yes/no) instead of the same fallback again."""

    NAME = "action_not_understood"

    def name(self) -> Text:
        return self.NAME

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        if previous_turn_not_understood(tracker.events):
            dispatcher.utter_message(response="utter_offer_counsellor")
            return [SlotSet("counsellor_offered", True)]
        dispatcher.utter_message(response="utter_default")
        return [SlotSet("counsellor_offered", False)]


class ActionDeclineCounsellor(Action):
    def name(self) -> Text:
        return "action_decline_counsellor"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        dispatcher.utter_message(response="utter_offer_declined")
        return [SlotSet("counsellor_offered", False)]
