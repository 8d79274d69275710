"""Client for the internal Rasa server (our custom `gateway` channel).

RASA_URL may name several Rasa replicas (comma-separated). Each call goes to the next one
in turn (round-robin), and to the one after it when a replica refuses the connection (the
request never reached it, so nothing is done twice). A conversation may then be answered
by a different replica at every message: they share its tracker through the SQL tracker
store and lock it through the Redis lock store (bot/scripts/launch.py), and the gateway's
per-conversation queue hands Rasa one message of a conversation at a time, in order.
"""

from __future__ import annotations

import itertools
import logging
import re
import threading
from collections.abc import Callable
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


_turn = itertools.count()
_turn_lock = threading.Lock()


def _replicas() -> list[str]:
    """The replicas in the order to try them: the next one in turn first."""
    urls = get_settings().rasa_urls
    with _turn_lock:
        start = next(_turn) % len(urls)
    return urls[start:] + urls[:start]


def _call(request: Callable[[str], httpx.Response]) -> httpx.Response:
    """`request(base_url)` on the next replica, on the following ones while the connection is
    refused; any other failure (a timeout: the replica may be working on it) is raised."""
    *first, last = _replicas()
    for base in first:
        try:
            return request(base)
        except httpx.ConnectError:
            continue
    return request(last)


def send(conversation_id: str, text: str, language: str, channel: str) -> list[dict[str, Any]]:
    settings = get_settings()
    try:
        resp = _call(lambda base: _http().post(
            f"{base}/webhooks/gateway/webhook",
            json={"sender": conversation_id, "message": text,
                  "metadata": {"language": language, "channel": channel}},
            headers={"Authorization": f"Bearer {settings.rasa_channel_token.get_secret_value()}"},
        ))
    except httpx.HTTPError as exc:
        raise RasaUnavailable(type(exc).__name__) from exc
    if resp.status_code != 200:
        raise RasaUnavailable(f"HTTP {resp.status_code}")
    return resp.json()


def replica_status(base: str) -> str:
    settings = get_settings()
    try:
        resp = _http().get(f"{base}/status", timeout=2.0,
                           params={"token": settings.rasa_api_token.get_secret_value()})
    except httpx.HTTPError:
        return "down"
    if resp.status_code == 200 and resp.json().get("model_file"):
        return "ok"
    return "loading" if resp.status_code in (200, 503) else "down"


def status() -> str:
    """"ok" while one replica answers (the others' messages go to it), else "loading" or "down"."""
    found = {replica_status(base) for base in get_settings().rasa_urls}
    if "ok" in found:
        return "ok"
    return "loading" if "loading" in found else "down"


def clear_form(conversation_id: str) -> None:
    """Drop a form in progress (a handoff starts). Best effort: Rasa may be down, and the
    next turn's rules cope with a form that was left open."""
    settings = get_settings()
    events = [{"event": "active_loop", "name": None},
              {"event": "slot", "name": "requested_slot", "value": None}]
    try:
        _call(lambda base: _http().post(f"{base}/conversations/{conversation_id}/tracker/events",
                                        params={"token": settings.rasa_api_token.get_secret_value()},
                                        json=events, timeout=2.0))
    except httpx.HTTPError:
        pass


def forget(conversation_id: str) -> bool:
    """Erasure: replace the conversation's tracker in Rasa's store with an empty one
    (PUT /conversations/{id}/tracker/events with no events: Rasa 3.6 builds a tracker
    from the list and saves it over the old one, under the conversation's lock, so a
    turn being processed finishes first). A `restart` event appended instead would keep
    every earlier event, texts included. True when Rasa confirmed; best effort: a Rasa
    that is down keeps its in-memory tracker only until it restarts. On the SQL tracker
    store the bounded store deletes the conversation's rows for this empty tracker, and
    erasure deletes them itself too (rasa_store.py), Rasa up or not."""
    settings = get_settings()
    try:
        resp = _call(lambda base: _http().put(
            f"{base}/conversations/{conversation_id}/tracker/events",
            params={"token": settings.rasa_api_token.get_secret_value()}, json=[],
            timeout=min(5.0, settings.rasa_timeout_seconds)))
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
        _call(lambda base: _http().post(
            f"{base}/conversations/{conversation_id}/tracker/events",
            params={"token": settings.rasa_api_token.get_secret_value()},
            json=[{"event": "slot", "name": "counsellor_offered", "value": True}], timeout=2.0))
    except httpx.HTTPError:
        log.warning("could not mark the counsellor offer in Rasa's tracker")
