"""CORS for the widget's own endpoints only.

Any site may embed the widget, so its endpoints answer cross-origin requests; the rest
of the gateway (the console, the internal API, Twilio's webhooks) stays same-origin.
Widget calls carry their token in the request, never in a cookie, so no credentials
are allowed and "*" gives a page nothing it could not do with its own token.
"""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.settings import get_settings

WIDGET_PATHS = ("/api/widget/", "/widget.js")


class WidgetCORSMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=get_settings().widget_allowed_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Content-Type", "Last-Event-ID"],
            allow_credentials=False,
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(WIDGET_PATHS):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
