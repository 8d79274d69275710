"""Security headers on every response; the API docs only in development."""

from __future__ import annotations

import re

import pytest
from app.core.headers import style_hash
from conftest import clear_caches
from fastapi.testclient import TestClient


def _check_common(r) -> None:
    assert r.headers["x-content-type-options"] == "nosniff", r.url
    assert r.headers["referrer-policy"] == "no-referrer", r.url
    assert r.headers["x-frame-options"] == "DENY", r.url
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"], r.url


def test_every_kind_of_answer_has_the_headers(client) -> None:
    token = client.post("/api/widget/session").json()["token"]
    answers = [
        client.post("/api/widget/session"),                                   # 201 JSON
        client.get("/api/widget/privacy"),                                    # 200 JSON
        client.get("/no/such/page"),                                          # 404
        client.post("/api/chat", json={"sender": "x", "text": ""}),           # 422
        client.post("/api/chat", content=b"x" * 70000, headers={"Content-Type": "application/json"}),  # 413
        client.post("/webhooks/twilio/sms", data={"Body": "hi"}),            # 403 unsigned
        client.get("/api/console/me"),                                        # 401
        client.get("/api/widget/history", params={"token": token}),
        client.options("/api/widget/messages", headers={"Origin": "https://a.example",
                                                         "Access-Control-Request-Method": "POST"}),  # preflight
        client.get("/widget.js"),
        client.get("/"),
        client.get("/console/login"),
    ]
    for r in answers:
        _check_common(r)
    api_csp = client.get("/api/widget/privacy").headers["content-security-policy"]
    assert api_csp.startswith("default-src 'none'")


def test_the_demo_page_allows_its_own_style_and_the_gateways_script_only(client) -> None:
    r = client.get("/")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "'unsafe-inline'" not in csp and "connect-src 'self'" in csp
    [css] = re.findall(r"<style>(.*?)</style>", r.text, re.S)
    assert style_hash(css) in csp
    assert "<script>" not in r.text  # no inline script to allow


def test_the_widget_script_can_be_loaded_by_any_site(client) -> None:
    r = client.get("/widget.js", headers={"Origin": "https://another-site.example"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
    assert "cross-origin-resource-policy" not in r.headers


def test_console_pages_keep_their_own_policy(client) -> None:
    from app.console.pages.router import CSP

    assert client.get("/console/login").headers["content-security-policy"] == CSP


@pytest.mark.parametrize("environment", ["test", "production"])
def test_no_docs_outside_development(base_env: None, app_db: str, monkeypatch, environment: str) -> None:
    monkeypatch.setenv("ENVIRONMENT", environment)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "a-real-looking-token")
    monkeypatch.setenv("RASA_API_TOKEN", "a-rasa-api-token-distinct-from-the-channel")
    monkeypatch.setenv("PHONE_ENCRYPTION_KEYS", "Zm9yLXRlc3RzLW9ubHktbm90LWEtcmVhbC1rZXktISE=")
    monkeypatch.setenv("PHONE_HASH_KEY", "for-tests-only-not-a-real-hash-key-000")
    clear_caches()
    from app.main import create_app

    app = create_app()
    c = TestClient(app)
    for path in ("/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"):
        assert c.get(path).status_code == 404, path
    assert "/api/chat" in app.openapi()["paths"]  # still there for tests and tools


def test_docs_in_development_with_a_policy_for_their_cdn(base_env: None, app_db: str, monkeypatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "development")
    clear_caches()
    from app.main import create_app

    c = TestClient(create_app())
    r = c.get("/docs")
    assert r.status_code == 200 and "https://cdn.jsdelivr.net" in r.headers["content-security-policy"]
    _check_common(r)
    assert c.get("/openapi.json").status_code == 200
