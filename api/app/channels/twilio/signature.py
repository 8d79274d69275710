"""Every Twilio webhook is signed (X-Twilio-Signature); nothing else gets in.

The signature covers the URL Twilio called, so it is checked against PUBLIC_BASE_URL
plus the route's path and the query string, never against the request's own scheme
and host: behind a proxy those are the proxy's. There is no setting to turn the check
off, in any environment.
"""

from __future__ import annotations

from fastapi import HTTPException, Request, status
from starlette.datastructures import FormData
from twilio.request_validator import RequestValidator

from app.core.limits import MAX_BODY_BYTES
from app.core.settings import Settings, get_settings

SIGNATURE_HEADER = "X-Twilio-Signature"
FORM = "application/x-www-form-urlencoded"


def public_url(settings: Settings, path: str, query: str = "") -> str:
    url = settings.public_base_url.rstrip("/") + path
    return f"{url}?{query}" if query else url


def is_valid(settings: Settings, url: str, params: FormData, signature: str | None) -> bool:
    token = settings.twilio_auth_token.get_secret_value()
    if not token or not signature:
        return False
    return RequestValidator(token).validate(url, params, signature)


async def verified_form(request: Request, path: str) -> FormData:
    """The request's form fields, once its signature is proven; 403 otherwise.

    Twilio posts application/x-www-form-urlencoded, always: anything else (a multipart
    upload above all, which would be parsed into temporary files) is refused before a
    byte of the body is read. The body itself is capped at 64 KB as it streams in
    (app.core.limits), so checking a signature never means reading more than that.
    """
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != FORM:
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, f"Twilio webhooks are {FORM}")
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_BODY_BYTES:
        raise HTTPException(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "request too large")
    form = await request.form()
    settings = get_settings()
    url = public_url(settings, path, request.url.query)
    if not is_valid(settings, url, form, request.headers.get(SIGNATURE_HEADER)):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "missing or invalid Twilio signature")
    return form
