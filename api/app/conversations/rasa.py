"""Client for the internal Rasa server (our custom `gateway` channel)."""

from __future__ import annotations

import logging
import re
from typing import Any

import httpx

from app.core.settings import get_settings

log = logging.getLogger("app.conversations")


class RasaUnavailable(Exception):
    """Rasa did not answer (down, loading a model, timed out or failed)."""


_LEADING_SLASHES = re.compile(r"^[\s/]+")


def nlu_text(text: str) -> str:
    """User text is always text: Rasa would read a leading '/' as an intent with entities."""
    return _LEADING_SLASHES.sub("", text)


_client: httpx.Client | None = None


def _http() -> httpx.Client:
    global _client
    if _client is None:
        _client = httpx.Client(timeout=get_settings().rasa_timeout_seconds,
                               limits=httpx.Limits(max_connections=50, max_keepalive_connections=20))
    return _client


def send(conversation_id: str, text: str, language: str, channel: str) -> list[dict[str, Any]]:
    settings = get_settings()
    try:
        resp = _http().post(
            f"{settings.rasa_url}/webhooks/gateway/webhook",
            json={"sender": conversation_id, "message": text,
                  "metadata": {"language": language, "channel": channel}},
            headers={"Authorization": f"Bearer {settings.rasa_channel_token.get_secret_value()}"},
        )
    except httpx.HTTPError as exc:
        raise RasaUnavailable(type(exc).__name__) from exc
    if resp.status_code != 200:
        raise RasaUnavailable(f"HTTP {resp.status_code}")
    return resp.json()


def status() -> str:
    settings = get_settings()
    try:
        resp = _http().get(f"{settings.rasa_url}/status", timeout=2.0,
                           params={"token": settings.rasa_api_token.get_secret_value()})
    except httpx.HTTPError:
        return "down"
    if resp.status_code == 200 and resp.json().get("model_file"):
        return "ok"
    return "loading" if resp.status_code in (200, 503) else "down"


def clear_form(conversation_id: str) -> None:
    """Drop a form in progress (a handoff starts). Best effort: Rasa may be down, and the
    next turn's rules cope with a form that was left open."""
    settings = get_settings()
    events = [{"event": "active_loop", "name": None},
              {"event": "slot", "name": "requested_slot", "value": None}]
    try:
        _http().post(f"{settings.rasa_url}/conversations/{conversation_id}/tracker/events",
                     params={"token": settings.rasa_api_token.get_secret_value()},
                     json=events, timeout=2.0)
    except httpx.HTTPError:
        pass


def forget(conversation_id: str) -> bool:
    """Erasure: replace the conversation's tracker in Rasa's store with an empty one
    (PUT /conversations/{id}/tracker/events with no events: Rasa 3.6 builds a tracker
    from the list and saves it over the old one, under the conversation's lock, so a
    turn being processed finishes first). A `restart` event appended instead would keep
    every earlier event, texts included. True when Rasa confirmed; best effort: a Rasa
    that is down keeps its in-memory tracker only until it restarts."""
    settings = get_settings()
    try:
        resp = _http().put(f"{settings.rasa_url}/conversations/{conversation_id}/tracker/events",
                           params={"token": settings.rasa_api_token.get_secret_value()}, json=[],
                           timeout=min(5.0, settings.rasa_timeout_seconds))
    except httpx.HTTPError:
        log.warning("could not erase the conversation from Rasa's tracker store")
        return False
    if resp.status_code != 200:
        log.warning("Rasa refused to erase a tracker: HTTP %s", resp.status_code)
        return False
    return True


def offer_counsellor(conversation_id: str) -> None:
    """The gateway offered a counsellor (a long message): a yes or no to it is then
    handled by the assistant's own rules for that offer. Best effort."""
    settings = get_settings()
    try:
        _http().post(f"{settings.rasa_url}/conversations/{conversation_id}/tracker/events",
                     params={"token": settings.rasa_api_token.get_secret_value()},
                     json=[{"event": "slot", "name": "counsellor_offered", "value": True}], timeout=2.0)
    except httpx.HTTPError:
        log.warning("could not mark the counsellor offer in Rasa's tracker")
