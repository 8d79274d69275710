"""Security headers on every response, as an ASGI middleware.

Defaults fill in whatever a route did not set itself, so a page with needs of its own
(the console's pages, the demo page, the API docs in development) sets its own
Content-Security-Policy and keeps it:

- Content-Security-Policy: an API answer (JSON, TwiML, an event stream, a file) loads
  nothing and is framed by nobody: ``default-src 'none'; frame-ancestors 'none'``.
- X-Content-Type-Options: nosniff; X-Frame-Options: DENY (for browsers without
  frame-ancestors); Referrer-Policy: no-referrer (URLs carry tokens: the calendar feed,
  the widget's event stream).

The widget script (/widget.js) is embedded by other sites with a <script> tag: a CSP or
X-Frame-Options on the script's own response does not apply to the page that embeds
it, and no Cross-Origin-Resource-Policy is set, so any site can still load it.
"""

from __future__ import annotations

import base64
import hashlib

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

DEFAULTS = {
    "Content-Security-Policy": API_CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}

# FastAPI's /docs and /redoc pages (development only) load their scripts and styles
# from jsDelivr and start them with an inline script.
DOCS_CSP = ("default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
            "font-src https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com "
            "https://cdn.redoc.ly; connect-src 'self'; worker-src blob:; frame-ancestors 'none'; base-uri 'none'")
DOCS_PATHS = ("/docs", "/redoc")


def style_hash(css: str) -> str:
    """The CSP source allowing one inline <style> element with exactly this content."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode() + "'"


def page_csp(*, inline_styles: tuple[str, ...] = ()) -> str:
    """A page of the gateway's own: its scripts, styles and images from the gateway
    only, its calls to the gateway only, never framed."""
    styles = " ".join(("'self'", *(style_hash(css) for css in inline_styles)))
    return (f"default-src 'none'; script-src 'self'; style-src {styles}; img-src 'self' data:; "
            "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = scope["path"] in DOCS_PATHS or scope["path"].startswith("/docs/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in DEFAULTS.items():
                    if name not in headers:
                        headers[name] = DOCS_CSP if docs and name == "Content-Security-Policy" else value
            await send(message)

        await self.app(scope, receive, with_headers)
