"""The only way into the bot: the gateway's private channel.

Like Rasa's REST channel, but
- it requires the shared token (Rasa's channel webhooks are otherwise open);
- it passes the gateway's metadata (the conversation's language) on to the tracker;
- it never logs the user's text, and answers 500 when the turn failed, so the
  gateway can tell the user and keep the message for a retry instead of silence.
"""

from __future__ import annotations

import hmac
import logging
import os
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)


class GatewayInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "gateway"

    def __init__(self, token: Optional[Text] = None) -> None:
        self.token = token or os.environ.get("RASA_CHANNEL_TOKEN", "")

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "GatewayInput":
        return cls((credentials or {}).get("token"))

    def _authorised(self, request: Request) -> bool:
        given = request.headers.get("Authorization", "")
        expected = f"Bearer {self.token}"
        return bool(self.token) and hmac.compare_digest(given.encode(), expected.encode())

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("gateway_webhook", __name__)

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self._authorised(request):
                return response.json({"error": "unauthorised"}, status=401)
            body = request.json or {}
            sender, text = body.get("sender"), body.get("message")
            if not isinstance(sender, str) or not isinstance(text, str) or not text:
                return response.json({"error": "sender and message are required"}, status=400)
            if text.lstrip().startswith("/"):
                # Defence in depth: the gateway already strips these; never let user
                # text be parsed as an intent with entities.
                text = text.lstrip().lstrip("/") or "?"
            collector = CollectingOutputChannel()
            try:
                await on_new_message(UserMessage(text, collector, sender, input_channel=self.name(),
                                                 metadata=body.get("metadata") or {}))
            except Exception as exc:  # noqa: BLE001
                logger.error("gateway turn failed: %s", type(exc).__name__)
                return response.json({"error": "turn failed"}, status=500)
            return response.json(collector.messages)

        return bp
