"""The actions talk to the gateway over HTTP only (never the database)."""

from __future__ import annotations

import os
from typing import Any

import httpx


class GatewayError(Exception):
    pass


def _base() -> str:
    return os.environ.get("GATEWAY_URL", "http://127.0.0.1:8000")


def _headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {os.environ.get('INTERNAL_API_TOKEN', '')}"}


async def call(method: str, path: str, **kwargs: Any) -> httpx.Response:
    headers = {**_headers(), **kwargs.pop("headers", {})}
    try:
        async with httpx.AsyncClient(base_url=_base(), timeout=10.0) as client:
            return await client.request(method, path, headers=headers, **kwargs)
    except httpx.HTTPError as exc:
        raise GatewayError(type(exc).__name__) from exc
