"""POST /api/chat as a real API client uses it: the first message of a conversation
returns a token, every later one sends it back (a sender name alone never continues a
conversation). Tokens are remembered per server (a TestClient, or a running Stack) and
per sender, and forgotten with the server."""

from __future__ import annotations

import weakref
from typing import Any

import httpx

# By the server object's id, dropped when the object goes (a Stack is not hashable).
_TOKENS: dict[int, dict[str, str]] = {}


def _tokens(server: Any) -> dict[str, str]:
    key = id(server)
    if key not in _TOKENS:
        _TOKENS[key] = {}
        weakref.finalize(server, _TOKENS.pop, key, None)
    return _TOKENS[key]


def token_of(server: Any, sender: str) -> str | None:
    return _TOKENS.get(id(server), {}).get(sender)


def send(server: Any, sender: str, text: str, timeout: float = 30, **extra: Any) -> httpx.Response:
    """``server``: a TestClient, or anything with a ``url`` (a tools.stack.Stack)."""
    body: dict[str, Any] = {"sender": sender, "text": text, **extra}
    known = token_of(server, sender)
    if known and "token" not in extra:
        body["token"] = known
    if hasattr(server, "url") and isinstance(getattr(server, "url"), str):
        r = httpx.post(f"{server.url}/api/chat", json=body, timeout=timeout)
    else:
        r = server.post("/api/chat", json=body)
    if r.headers.get("content-type", "").startswith("application/json") and r.status_code in (200, 503):
        body = r.json()
        token = body.get("token")
        tokens = _tokens(server)
        if token:
            tokens[sender] = token
        elif r.status_code == 200 and "token" in body:
            tokens.pop(sender, None)  # erased on request: the next message starts a new conversation
        # A 503 without a token (the database was down, nothing stored) changes nothing.
    return r


def auth(server: Any, sender: str) -> dict[str, str]:
    """The header that reads (GET /api/chat/{sender}) or erases (DELETE) the conversation."""
    token = token_of(server, sender)
    return {"Authorization": f"Bearer {token}"} if token else {}


def chat(server: Any, sender: str, text: str) -> dict[str, Any]:
    """send(), expecting the assistant's answer (200); returns the body."""
    r = send(server, sender, text)
    assert r.status_code == 200, r.text
    return r.json()
