"""Errors a caller can act on, and the route class that turns them into responses.

The services raise these; ``ErrorRoute`` answers them (422 / 409 / 404) after the
request's session has rolled back, so a refused request writes nothing. Routers use
it with ``APIRouter(route_class=ErrorRoute)``, which keeps main.py untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute


class AppointmentError(Exception):
    status_code = 422
    headers: dict[str, str] | None = None

    def __init__(self, detail: str, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code

    def body(self) -> dict[str, Any]:
        return {"detail": self.detail, **({"code": self.code} if self.code else {})}


class Refused(AppointmentError):
    """Input that can never succeed as sent: a past time, a closed day, a bad phone."""


class NotFound(AppointmentError):
    status_code = 404


class NotYours(AppointmentError):
    """Seen, moved or cancelled from outside the conversation that booked it, without
    proof (``code``: proof_required, proof_wrong, no_phone)."""

    status_code = 403


class TooManyAttempts(AppointmentError):
    status_code = 429

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail, "too_many_attempts")
        self.headers = {"Retry-After": str(max(1, retry_after))}


class TooManyBookings(AppointmentError):
    """Too many bookings from one client address or one conversation in the last hour."""

    status_code = 429

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail, "too_many_bookings")
        self.headers = {"Retry-After": str(max(1, retry_after))}


class Conflict(AppointmentError):
    """The state forbids it (moving a cancelled appointment)."""

    status_code = 409


class QuotaReached(Conflict):
    """The person (phone number or conversation) already holds the most upcoming appointments."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, "quota")


class SlotTaken(Conflict):
    """Every seat of the slot is booked; the body offers the nearest free ones."""

    def __init__(self, detail: str, next_free_slots: list[dict[str, Any]]) -> None:
        super().__init__(detail)
        self.next_free_slots = next_free_slots

    def body(self) -> dict[str, Any]:
        return {"detail": self.detail, "next_free_slots": self.next_free_slots}


class ErrorRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except AppointmentError as exc:
                return JSONResponse(status_code=exc.status_code, content=exc.body(), headers=exc.headers)

        return handle
