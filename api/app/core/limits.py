"""A size limit on every request body (64 KB), counted on the body as it streams in.

Content-Length alone proves nothing: a chunked request has none, and a client may
announce less than it sends. So the limit is enforced twice: a declared length over
the limit is refused before the application runs, and the ASGI ``receive`` the
application reads from counts the bytes and stops at the limit. The stop is an
HTTPException(413), which FastAPI lets through its body parsing (it turns other errors
there into a 400) and its exception middleware turns into the answer; should the
response have started already, nothing more is sent.

Nothing the gateway accepts comes near the limit: a chat message is 2,000 characters
(8 KB in UTF-8 at most, twice that JSON-escaped) and Twilio's webhooks are a few KB.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 64 * 1024
# Rasa's calls to the NLG endpoint carry the whole tracker, which grows with the
# conversation (past 64 KB after a few dozen turns). Only a caller holding NLG_TOKEN
# (checked here, before any byte of the body is read) gets this larger limit.
NLG_PATH = "/internal/nlg"
MAX_NLG_BODY_BYTES = 16 * 1024 * 1024


def _limit_for(scope: Scope, default: int) -> int:
    if scope.get("path") != NLG_PATH:
        return default
    import hmac
    from urllib.parse import parse_qs

    from app.core.settings import get_settings

    given = (parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token") or [""])[0]
    expected = get_settings().nlg_token.get_secret_value()
    if given and expected and hmac.compare_digest(given.encode(), expected.encode()):
        return MAX_NLG_BODY_BYTES
    return default


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is too large (at most {limit // 1024} KB)")


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = _limit_for(scope, self.max_bytes)
        declared = _header(scope, b"content-length")
        if declared is not None:
            if not declared.isdigit() or len(declared) > 18:
                await _answer(scope, receive, send, 400, "Content-Length is not a number")
                return
            if int(declared) > limit:
                await _answer(scope, receive, send, 413, BodyTooLarge(limit).detail)
                return

        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge as exc:
            # Raised where nothing turned it into a response (outside FastAPI's routes).
            if not started:
                await _answer(scope, receive, send, 413, exc.detail)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1").strip()
    return None


async def _answer(scope: Scope, receive: Receive, send: Send, status: int, detail: str) -> None:
    # The client may still be sending: closing the connection after the answer is the
    # server's job (uvicorn does when the body was not read).
    await JSONResponse({"detail": detail}, status_code=status, headers={"Connection": "close"})(scope, receive, send)
