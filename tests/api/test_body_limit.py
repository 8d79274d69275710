"""Every request body is capped at 64 KB, counted as it streams in (not from
Content-Length alone); Twilio's webhooks refuse multipart before reading a byte."""

from __future__ import annotations

import json

import pytest
from app.core.limits import MAX_BODY_BYTES, BodyLimitMiddleware

from tests.fakes.fake_twilio import TwilioWebhooks

AUTH_TOKEN = "twilio-test-auth-token"
ACCOUNT_SID = "AC" + "1" * 32
PUBLIC = "https://assistant.example.be"


@pytest.fixture
def api(base_env: None, client, monkeypatch: pytest.MonkeyPatch):
    return client


@pytest.fixture
def tw(monkeypatch: pytest.MonkeyPatch) -> TwilioWebhooks:
    from app.core import settings

    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setenv("PUBLIC_BASE_URL", PUBLIC)
    settings.get_settings.cache_clear()
    return TwilioWebhooks(AUTH_TOKEN, PUBLIC, ACCOUNT_SID, "+3228800000", "+3228800001")


BIG = json.dumps({"sender": "big", "text": "x" * (MAX_BODY_BYTES + 10)}).encode()


@pytest.mark.parametrize("path", ["/api/chat", "/api/widget/messages", "/api/slots/resolve", "/api/appointments",
                                  "/api/console/login", "/api/phone", "/nlg"])
def test_a_json_body_over_64_kb_is_413_on_every_endpoint(api, path: str) -> None:
    r = api.post(path, content=BIG, headers={"Content-Type": "application/json"})
    assert r.status_code == 413, r.text
    assert "at most 64 KB" in r.json()["detail"]


def test_a_chunked_body_without_content_length_is_counted(api) -> None:
    def chunks():
        for _ in range(20):
            yield b"x" * 8192

    r = api.post("/api/chat", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413, r.text


def test_a_body_under_the_limit_reaches_the_route(api) -> None:
    r = api.post("/api/chat", json={"sender": "big", "text": "x" * 20000})
    assert r.status_code == 422 and "at most 2000" in r.json()["detail"]


def test_the_widget_gets_cors_headers_on_a_413(api) -> None:
    r = api.post("/api/widget/messages", content=BIG,
                 headers={"Content-Type": "application/json", "Origin": "https://elsewhere.example"})
    assert r.status_code == 413
    assert r.headers["access-control-allow-origin"] == "*"


async def _run_path(app, path: str, headers, chunks) -> tuple[int, int]:
    """Drive an ASGI app by hand: a client that may lie about Content-Length; returns the
    status and how many body chunks the application pulled before answering."""
    pulled = 0
    sent: list[dict] = []

    async def receive() -> dict:
        nonlocal pulled
        pulled += 1
        if pulled <= len(chunks):
            return {"type": "http.request", "body": chunks[pulled - 1], "more_body": pulled < len(chunks)}
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": path, "raw_path": path.encode(), "query_string": b"",
             "headers": headers, "http_version": "1.1", "scheme": "http", "server": ("testserver", 80),
             "client": ("127.0.0.1", 5000), "root_path": "", "app": app}
    await app(scope, receive, send)
    return sent[0]["status"], pulled


async def _run(app, headers: list[tuple[bytes, bytes]], chunks: list[bytes]) -> tuple[int, int]:
    return await _run_path(app, "/api/chat", headers, chunks)


@pytest.mark.asyncio
async def test_a_lying_content_length_is_caught_by_counting(base_env: None) -> None:
    async def reads_everything(scope, receive, send) -> None:
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    app = BodyLimitMiddleware(reads_everything)
    status, pulled = await _run(app, [(b"content-length", b"10")], [b"x" * 16384] * 10)
    assert status == 413 and pulled == 5  # stopped at the chunk that crossed 64 KB
    status, pulled = await _run(app, [(b"content-length", b"999999")], [b"x"])
    assert (status, pulled) == (413, 0)  # a declared excess is refused unread


def test_twilio_multipart_is_415_before_the_body_is_read(api, tw) -> None:
    params = tw.inbound("+32470123456", "hello")
    r = api.post("/webhooks/twilio/sms", data=params, files={"upload": ("x.bin", b"\0" * 1000)},
                 headers={"X-Twilio-Signature": "anything"})
    assert r.status_code == 415, r.text
    r = api.post("/webhooks/twilio/sms", content=b"{}", headers={"Content-Type": "application/json"})
    assert r.status_code == 415


@pytest.mark.asyncio
async def test_twilio_multipart_pulls_no_body_chunk(base_env: None) -> None:
    from app.main import create_app

    headers = [(b"content-type", b"multipart/form-data; boundary=xyz"), (b"x-twilio-signature", b"x")]
    status, pulled = await _run_path(create_app(), "/webhooks/twilio/sms", headers, [b"--xyz\r\n" * 100] * 200)
    assert (status, pulled) == (415, 0)


def test_a_signed_twilio_body_over_64_kb_is_413(api, tw) -> None:
    params = tw.inbound("+32470123456", "x" * (MAX_BODY_BYTES + 1))
    r = tw.post(api, "/webhooks/twilio/sms", params)
    assert r.status_code == 413


def test_rasas_nlg_call_may_carry_a_long_tracker_only_with_the_nlg_token(api) -> None:
    """Rasa sends the whole tracker to the NLG endpoint: past 64 KB after a few dozen
    turns (every long conversation answered 503). The larger limit needs NLG_TOKEN,
    checked before the body is read."""
    events = [{"event": "user", "text": "x" * 1000, "metadata": {"language": "en"}} for _ in range(100)]
    body = json.dumps({"response": "utter_greet", "arguments": {}, "tracker": {"events": events}})
    assert len(body) > MAX_BODY_BYTES
    headers = {"content-type": "application/json"}
    r = api.post("/internal/nlg?token=nlg-test-token", content=body, headers=headers)
    assert r.status_code == 200 and r.json()["text"], r.text
    assert api.post("/internal/nlg?token=wrong", content=body, headers=headers).status_code == 413
    assert api.post("/internal/nlg", content=body, headers=headers).status_code == 413
