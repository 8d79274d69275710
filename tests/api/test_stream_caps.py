"""Open event streams are capped per token (conversation or console session) and per
client address: 429 with Retry-After beyond, and every slot comes back when a stream ends."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from app.core import streams
from app.core.streams import MemoryStreamSlots


@pytest.fixture
def short_streams(client, monkeypatch: pytest.MonkeyPatch):
    from app.core import settings

    monkeypatch.setenv("WIDGET_STREAM_SECONDS", "1.5")
    monkeypatch.setenv("WIDGET_POLL_SECONDS", "0.1")
    settings.get_settings.cache_clear()
    streams.get_stream_slots.cache_clear()
    yield client
    settings.get_settings.cache_clear()
    streams.get_stream_slots.cache_clear()


def test_slots_are_all_or_nothing_and_released_once() -> None:
    slots = MemoryStreamSlots()
    a = slots.acquire([("t", 1), ("ip", 2)])
    assert a is not None
    assert slots.acquire([("t", 1), ("ip", 2)]) is None
    assert slots.open_count("ip") == 1  # the refused acquire took nothing
    b = slots.acquire([("u", 1), ("ip", 2)])
    assert b is not None and slots.acquire([("v", 1), ("ip", 2)]) is None
    a.release()
    a.release()
    assert slots.open_count("ip") == 1 and slots.open_count("t") == 0
    b.release()
    assert slots.open_count("ip") == 0


def _open_at_once(client, requests: list[tuple[str, dict]]) -> list:
    with ThreadPoolExecutor(len(requests)) as pool:
        return list(pool.map(lambda req: client.get(req[0], **req[1]), requests))


def test_a_fourth_stream_of_one_widget_conversation_is_429(short_streams) -> None:
    client = short_streams
    token = client.post("/api/widget/session").json()["token"]
    answers = _open_at_once(client, [("/api/widget/events", {"params": {"token": token}})] * 4)
    codes = sorted(r.status_code for r in answers)
    assert codes == [200, 200, 200, 429]
    [refused] = [r for r in answers if r.status_code == 429]
    assert int(refused.headers["Retry-After"]) > 0 and "too many open event streams" in refused.json()["detail"]
    # Every stream has ended: its slots are back, a new one opens.
    assert client.get("/api/widget/events", params={"token": token}).status_code == 200
    assert streams.get_stream_slots().open_count("ip:testclient") == 0


def test_streams_from_one_address_are_capped_across_tokens(short_streams, monkeypatch) -> None:
    monkeypatch.setattr(streams, "PER_ADDRESS", 4)
    client = short_streams
    tokens = [client.post("/api/widget/session").json()["token"] for _ in range(5)]
    answers = _open_at_once(client, [("/api/widget/events", {"params": {"token": t}}) for t in tokens])
    assert sorted(r.status_code for r in answers) == [200, 200, 200, 200, 429]


def test_the_console_stream_is_capped_per_session(short_streams) -> None:
    from console_support import sign_in

    client = short_streams
    sign_in(client)
    answers = _open_at_once(client, [("/api/console/events", {})] * 4)
    assert sorted(r.status_code for r in answers) == [200, 200, 200, 429]
    assert client.get("/api/console/events", headers={"Last-Event-ID": "9" * 18}).status_code == 200
