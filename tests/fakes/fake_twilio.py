"""Twilio's side of the wire, for tests.

``FakeTwilio`` is a real HTTP server on a free localhost port, in a thread, standing in
for Twilio's REST API (point TWILIO_API_BASE_URL at ``fake.url``). It records every
request and answers from a programmable list of responses (429 then 201, a 500, a
dropped connection), then 201 with a fresh MessageSid.

``TwilioWebhooks`` builds and signs webhook requests the way Twilio sends them, with
the official library's ``RequestValidator.compute_signature``.
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, urlencode

from twilio.request_validator import RequestValidator

DROP = "drop"  # a programmed response that closes the connection without answering


@dataclass
class Recorded:
    method: str
    path: str
    form: dict[str, str]
    auth: tuple[str, str] | None


@dataclass
class Reply:
    status: int
    body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


class FakeTwilio:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._replies: deque[Reply | str] = deque()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def respond(self, *replies: Reply | str | int) -> None:
        """Queue the next answers: a status (with Twilio's error shape), a Reply, or DROP."""
        with self._lock:
            for reply in replies:
                self._replies.append(Reply(reply, {"code": 20429 if reply == 429 else 20500,
                                                   "message": "fake", "status": reply})
                                     if isinstance(reply, int) else reply)

    def messages(self) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/Messages.json")]

    def _next(self, form: dict[str, str]) -> Reply | str:
        with self._lock:
            if self._replies:
                return self._replies.popleft()
        sid = f"SM{uuid.uuid4().hex}"  # unique, like Twilio's
        return Reply(201, {"sid": sid, "status": "queued", "to": form.get("To"), "from": form.get("From"),
                           "body": form.get("Body"), "num_segments": "1"})

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True))
                auth = None
                header = self.headers.get("Authorization", "")
                if header.startswith("Basic "):
                    user, _, password = base64.b64decode(header[6:]).decode().partition(":")
                    auth = (user, password)
                with fake._lock:
                    fake.requests.append(Recorded("POST", self.path, form, auth))
                reply = fake._next(form)
                if reply == DROP:
                    # The request arrived, the answer never comes: the client cannot
                    # know whether the message was created.
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                assert isinstance(reply, Reply)
                payload = json.dumps(reply.body).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

        return Handler


class TwilioWebhooks:
    """Signed webhook requests, as Twilio sends them to PUBLIC_BASE_URL."""

    def __init__(self, auth_token: str, public_base_url: str, account_sid: str,
                 sms_number: str, whatsapp_number: str) -> None:
        self.validator = RequestValidator(auth_token)
        self.base = public_base_url.rstrip("/")
        self.account_sid = account_sid
        self.sms_number = sms_number
        self.whatsapp_number = whatsapp_number

    @staticmethod
    def new_sid() -> str:
        return f"SM{uuid.uuid4().hex}"

    def inbound(self, sender: str, body: str = "", *, channel: str = "sms", sid: str | None = None,
                **extra: str) -> dict[str, str]:
        """The form of an inbound message from ``sender`` (E.164) on "sms" or "whatsapp"."""
        whatsapp = channel == "whatsapp"
        params = {
            "ToCountry": "BE", "ToState": "", "SmsMessageSid": "", "NumMedia": "0", "ToCity": "",
            "FromZip": "", "SmsSid": "", "FromState": "", "SmsStatus": "received", "FromCity": "",
            "Body": body, "FromCountry": "BE", "NumSegments": "1", "ApiVersion": "2010-04-01",
            "To": f"whatsapp:{self.whatsapp_number}" if whatsapp else self.sms_number,
            "ToZip": "", "MessageSid": sid or self.new_sid(), "AccountSid": self.account_sid,
            "From": f"whatsapp:{sender}" if whatsapp else sender,
        }
        params["SmsMessageSid"] = params["SmsSid"] = params["MessageSid"]
        if whatsapp:
            params.update({"ProfileName": "Test User", "WaId": sender.lstrip("+"), "MessageType": "text"})
        params.update(extra)
        return params

    def status(self, sid: str, status: str, error_code: str | None = None) -> dict[str, str]:
        params = {"MessageSid": sid, "SmsSid": sid, "MessageStatus": status, "SmsStatus": status,
                  "AccountSid": self.account_sid, "ApiVersion": "2010-04-01"}
        if error_code:
            params["ErrorCode"] = error_code
        return params

    def sign(self, url: str, params: dict[str, str]) -> str:
        return self.validator.compute_signature(url, params)

    def post(self, client: Any, path: str, params: dict[str, str], *, query: dict[str, str] | None = None,
             signed_url: str | None = None, signature: str | None = None) -> Any:
        """POST like Twilio: form-encoded, signed for PUBLIC_BASE_URL + path (+ query),
        whatever host the test client itself uses."""
        qs = urlencode(query) if query else ""
        url = self.base + path + (f"?{qs}" if qs else "")
        headers = {"X-Twilio-Signature": signature if signature is not None
                   else self.sign(signed_url or url, params)}
        return client.post(path + (f"?{qs}" if qs else ""), data=params, headers=headers)
