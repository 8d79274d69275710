"""Every logger's output is redacted, uvicorn's included (issue 10).

A real uvicorn server runs the gateway's app with a route that fails holding a phone number,
a message text and an appointment reference; what uvicorn's own handlers print (its error
log with the traceback, its access log) is read back.
"""

from __future__ import annotations

import io
import logging
import socket
import threading
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

PHONE = "+32470123456"
TEXT = "mon mari me frappe tous les soirs"
REFERENCE = "8AGQ9M"
CONVERSATION = str(uuid.uuid4())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(app_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, io.StringIO]]:
    import uvicorn
    from app.main import create_app

    app = create_app()

    @app.post("/api/test-failure/{sender}")
    async def fail(sender: str, payload: dict) -> dict:
        # What a careless line deep in a service might do: an exception quoting user data,
        # with a chained driver error quoting its parameters.
        try:
            raise RuntimeError(f"INSERT failed [parameters: ('{payload['phone']}', '{payload['text']}')]")
        except RuntimeError as exc:
            raise ValueError(f"refused {payload['phone']} for {sender} ({payload['reference']}): "
                             f"{payload['text']}") from exc

    @app.get("/api/test-log")
    async def log_things() -> dict:
        logging.getLogger("app.test").warning("booked %s for %s by %s: %s", REFERENCE, CONVERSATION, PHONE, "x")
        logging.getLogger("some.library").warning("calling %s", f"http://x/api/appointments/{REFERENCE}")
        logging.getLogger("some.library").warning("objects %s", {"phone": PHONE})
        return {}

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="info",
                                           access_log=True))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    assert server.started
    # uvicorn's own handlers (error log, access log) and the root's: their output, formatted.
    out = io.StringIO()
    handlers = {h for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "app", "")
                for h in logging.getLogger(name).handlers if isinstance(h, logging.StreamHandler)}
    assert handlers
    previous = [(h, h.setStream(out)) for h in handlers]
    try:
        yield f"http://127.0.0.1:{port}", out
    finally:
        for h, stream in previous:
            h.setStream(stream)
        server.should_exit = True
        thread.join(timeout=10)


def test_a_traceback_and_an_access_line_print_no_number_text_or_reference(served) -> None:
    url, out = served
    r = httpx.post(f"{url}/api/test-failure/{PHONE}?phone={PHONE}&ref={REFERENCE}",
                   json={"phone": PHONE, "text": TEXT, "reference": REFERENCE})
    assert r.status_code == 500
    time.sleep(0.2)
    printed = out.getvalue()
    assert "Exception in ASGI application" in printed, printed
    assert "ValueError" in printed and "RuntimeError" in printed and "fail" in printed, printed  # still useful
    assert "/api/test-failure/{…}?…" in printed, printed  # the access line, shaped
    for secret in (PHONE, PHONE[3:], "470", TEXT, "frappe", REFERENCE):
        assert secret not in printed, (secret, printed)


def test_every_logger_is_redacted(served) -> None:
    url, out = served
    assert httpx.get(f"{url}/api/test-log").status_code == 200
    time.sleep(0.2)
    printed = out.getvalue()
    assert "booked" in printed and "calling" in printed and "objects" in printed, printed
    for secret in (PHONE, REFERENCE, CONVERSATION):
        assert secret not in printed, (secret, printed)


def test_redaction_keeps_ordinary_lines() -> None:
    from app.core.logging import path_shape, redact

    assert redact("queued 3 reminder(s), HTTP 503") == "queued 3 reminder(s), HTTP 503"
    assert redact(f"call {PHONE} or 0470 12 34 56") == "call [redacted] or [redacted]"
    assert redact(f"ref {REFERENCE} of {CONVERSATION}") == "ref [ref] of [id]"
    assert redact("BOOKED STATUS") == "BOOKED STATUS"  # words without a digit stay
    assert path_shape("/health") == "/health"
