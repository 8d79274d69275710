"""The gateway: the only public door (web chat, Twilio, counsellors)."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from redis import RedisError
from sqlalchemy import exc as sa_exc

from app.appointments import scheduler as reminder_scheduler
from app.appointments.router import router as appointments_router
from app.channels import outbox
from app.channels.twilio import workers as twilio_workers
from app.channels.twilio.router import router as twilio_router
from app.channels.web.cors import WidgetCORSMiddleware
from app.channels.web.router import pages as widget_pages
from app.channels.web.router import router as widget_router
from app.console.accounts.router import router as console_accounts_router
from app.console.appointments.router import feed as console_calendar_feed
from app.console.appointments.router import router as console_appointments_router
from app.console.conversations.router import router as console_conversations_router
from app.console.pages.router import SignIn, sign_in_redirect
from app.console.pages.router import assets as console_assets
from app.console.pages.router import router as console_pages
from app.conversations import catch_up, retention
from app.conversations.router import router as chat_router
from app.core import bus
from app.core.headers import SecurityHeadersMiddleware
from app.core.limits import BodyLimitMiddleware
from app.core.logging import configure_logging, route_paths
from app.core.settings import get_settings
from app.handoff import scheduler as handoff_scheduler
from app.handoff.router import router as handoff_router
from app.health.router import router as health_router
from app.language.detect import get_detector
from app.nlg.router import router as nlg_router
from app.safety.screen import screen

log = logging.getLogger(__name__)


@asynccontextmanager
async def lifespan(app: FastAPI):  # noqa: ANN201
    # Access lines keep only the words of these routes' paths (app.core.logging).
    configure_logging(paths=route_paths(app.routes))
    settings = get_settings()
    # Each chat request holds a worker thread while Rasa answers, and Rasa's answer calls
    # back into the gateway (the NLG endpoint, the actions' booking calls), which needs
    # worker threads too: with anyio's default of 40, about 35 conversations at once
    # starved the callbacks until Rasa's timeout (bench/load.py). Threads mostly wait on
    # the network here, so many are cheap.
    anyio.to_thread.current_default_thread_limiter().total_tokens = settings.worker_threads
    get_detector().warm_up()
    # The danger screen's phrase lists load at start-up: a broken list stops the gateway
    # here, never one message at a time; its model is trained here too (a few seconds).
    screen("warm up")
    sender = outbox.start_sender(settings) if settings.scheduler_enabled else None
    reminders = (reminder_scheduler.start(settings.scheduler_interval_seconds)
                 if settings.scheduler_enabled else None)
    purge = asyncio.create_task(retention.loop()) if settings.scheduler_enabled else None
    handoffs = asyncio.create_task(handoff_scheduler.loop()) if settings.scheduler_enabled else None
    late = (asyncio.create_task(catch_up.loop(settings.catch_up_interval_seconds))
            if settings.scheduler_enabled else None)
    yield
    if late is not None:
        late.cancel()
    if handoffs is not None:
        handoffs.cancel()
    if purge is not None:
        purge.cancel()
    if reminders is not None:
        await reminder_scheduler.stop(reminders)
    # Late Twilio answers still being computed reach the outbox before it stops (in a
    # thread: both calls block while they wait).
    await asyncio.to_thread(twilio_workers.shutdown)
    if sender is not None:
        await asyncio.to_thread(sender.stop)


def create_app() -> FastAPI:
    # The interactive docs and the schema are for developers: on a public gateway they
    # are a map for attackers and /docs loads a CDN script. Tests read app.openapi().
    docs = get_settings().environment == "development"
    # Every committed outbound message and console event wakes the streams waiting for
    # it, in this process or (with REDIS_URL) any other.
    bus.install()
    app = FastAPI(title="Hirondelle assistant gateway", version="1.0.0", lifespan=lifespan,
                  docs_url="/docs" if docs else None, redoc_url="/redoc" if docs else None,
                  openapi_url="/openapi.json" if docs else None)

    @app.exception_handler(RequestValidationError)
    async def _clear_422(_: Request, exc: RequestValidationError) -> JSONResponse:
        # One plain sentence per problem; never echo the user's text back.
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
            msg = err.get("msg", "invalid").removeprefix("Value error, ")
            problems.append(f"{where}: {msg}" if where else msg)
        return JSONResponse(status_code=422, content={"detail": "; ".join(problems) or "invalid request"})

    @app.exception_handler(sa_exc.OperationalError)
    @app.exception_handler(sa_exc.TimeoutError)
    @app.exception_handler(RedisError)
    async def _database_unavailable(_: Request, exc: Exception) -> JSONResponse:
        # The database is down, full (too many connections) or every pooled connection is
        # busy: a clear, retryable answer instead of a bare 500. Only the type is logged
        # (a driver message can quote parameters, that is user data).
        log.error("database or Redis unavailable: %s", type(exc).__name__)
        return JSONResponse(status_code=503, headers={"Retry-After": "5"},
                            content={"detail": "the service is busy or its database is unreachable just now: "
                                               "please try again in a moment"})

    @app.exception_handler(sa_exc.DataError)
    async def _value_out_of_range(_: Request, exc: Exception) -> JSONResponse:
        # The database refused a value (a number beyond its column, bytes it cannot store):
        # the input's fault, whichever route let it through. The routes bound what they read
        # (app.core.bounds); this is the last line, so a new route never answers a 500 for it.
        log.warning("a value the database refused: %s", type(exc).__name__)
        return JSONResponse(status_code=422, content={"detail": "a value is out of range"})

    app.include_router(chat_router)
    app.include_router(nlg_router)
    app.include_router(health_router)
    app.include_router(widget_router)
    app.include_router(widget_pages)
    app.include_router(twilio_router)
    app.include_router(appointments_router)
    app.include_router(console_appointments_router)
    app.include_router(console_calendar_feed)
    app.include_router(console_accounts_router)
    app.include_router(console_conversations_router)
    app.include_router(handoff_router)
    app.include_router(console_pages)
    app.include_router(console_assets)
    app.add_exception_handler(SignIn, sign_in_redirect)
    # The last added runs first: CORS answers a widget's preflight, then the body limit
    # counts what every route reads (its 413 still carries the CORS headers).
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(WidgetCORSMiddleware)
    # Outermost: every answer gets the headers, a 413 or a CORS preflight included.
    app.add_middleware(SecurityHeadersMiddleware)
    return app


app = create_app()
