from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from app.conversations import rasa
from app.core.db import get_engine

router = APIRouter(tags=["health"])


@router.get("/health")
def health() -> JSONResponse:
    try:
        with get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
        database = "ok"
    except Exception:  # noqa: BLE001
        database = "down"
    bot = rasa.status()
    ok = database == "ok" and bot == "ok"
    return JSONResponse(status_code=200 if ok else 503,
                        content={"gateway": "ok", "database": database, "rasa": bot,
                                 "status": "ok" if ok else "degraded"})
