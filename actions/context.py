"""What the gateway told the bot about the conversation (sent as message metadata)."""

from __future__ import annotations

from typing import Any, Text

from rasa_sdk import Tracker


def _metadata(tracker: Tracker) -> dict[Text, Any]:
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return event.get("metadata") or {}
    return {}


def language_of(tracker: Tracker) -> str:
    return _metadata(tracker).get("language") or "en"


def channel_of(tracker: Tracker) -> str:
    return _metadata(tracker).get("channel") or "web"


def latest_text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""
