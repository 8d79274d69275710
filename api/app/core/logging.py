"""Logging without personal data: no phone numbers, message texts, references or conversation ids.

The gateway's own log calls never pass a text, a phone number, an appointment reference or a
conversation id. Everything else is caught here, for every logger of the process (uvicorn's,
SQLAlchemy's, httpx's...), because the redaction happens where log records are made
(`logging.setLogRecordFactory`), before any handler or formatter sees them:

- anything shaped like a phone number, a conversation id (UUID) or an appointment reference
  is masked, in the message and in each of its arguments;
- a traceback keeps its frames (file, line, code) and the exception types, never the
  exceptions' messages: a driver's error quotes its SQL parameters, a ValueError the value
  it refused, both user data that no pattern can recognise;
- uvicorn's access lines keep the route's shape only: path segments that are not words of
  the application's own routes (a sender, a reference, a token) become `{…}`, and the query
  string goes (the calendar feed's token travels there).
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Iterable, Iterator
from types import TracebackType

_PHONE = re.compile(r"(?<![\w-])\+?\d[\d \-().]{6,}\d(?![\w-])")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# app.appointments.service: 6 characters of an alphabet without 0/O/1/I/L, at least one digit.
_REFERENCE = re.compile(r"(?<![A-Za-z0-9])(?=[A-HJKMNP-Z2-9]{0,5}[2-9])[A-HJKMNP-Z2-9]{6}(?![A-Za-z0-9])")

# Path words of the application's routes (set by configure_logging); None: every segment
# after the first two is masked.
_route_words: frozenset[str] | None = None


def redact(text: str) -> str:
    text = _UUID.sub("[id]", text)
    text = _PHONE.sub("[redacted]", text)
    return _REFERENCE.sub("[ref]", text)


def route_words(paths: Iterable[str]) -> frozenset[str]:
    """The literal segments of route templates ("/api/chat/{sender}" gives api, chat)."""
    return frozenset(seg for p in paths for seg in p.strip("/").split("/") if seg and "{" not in seg)


def route_paths(routes: Iterable[object]) -> Iterator[str]:
    """Every path template of an application's routes, included routers walked (FastAPI
    includes a router lazily: its routes sit under `original_router`, its prefix in
    `include_context`)."""
    for route in routes:
        path = getattr(route, "path", None)
        if isinstance(path, str):
            yield path
        context = getattr(route, "include_context", None)
        prefix = getattr(context, "prefix", None)
        if isinstance(prefix, str):
            yield prefix
        inner = getattr(route, "original_router", None) or getattr(route, "app", None)
        if inner is not None and hasattr(inner, "routes"):
            yield from route_paths(inner.routes)


def path_shape(path: str) -> str:
    """/api/appointments/8AGQ9M?x=1 -> /api/appointments/{…}?…"""
    path, query = path.partition("?")[::2]
    segments = path.split("/")
    shaped = []
    for i, seg in enumerate(segments):
        known = seg == "" or (seg in _route_words if _route_words is not None else i <= 2)
        shaped.append(seg if known else "{…}")
    return "/".join(shaped) + ("?…" if query else "")


def safe_traceback(exc_info: tuple[type[BaseException], BaseException, TracebackType | None]) -> str:
    """Frames and exception types, never the exceptions' messages (they may quote user data)."""
    exc: BaseException | None = exc_info[1]
    blocks: list[str] = []
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        kind = type(exc)
        name = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
        frames = "".join(traceback.format_tb(exc.__traceback__))
        blocks.append(f"Traceback (most recent call last):\n{frames}{name} "
                      "(message withheld: it may hold personal data)")
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    return "\n\nThe above was raised while handling:\n".join(blocks)


def _redact_arg(value: object) -> object:
    return redact(value) if isinstance(value, str) else value


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    if record.name == "uvicorn.access" and isinstance(record.args, tuple) and len(record.args) == 5:
        # uvicorn's AccessFormatter unpacks exactly (client, method, path, version, status).
        client, method, path, version, status = record.args
        record.args = (client, method, path_shape(str(path)), version, status)
    if isinstance(record.msg, str):
        record.msg = redact(record.msg)
    if isinstance(record.args, tuple):
        record.args = tuple(_redact_arg(a) for a in record.args)
    elif isinstance(record.args, dict):
        record.args = {k: _redact_arg(v) for k, v in record.args.items()}
    try:
        message = record.getMessage()
    except Exception:  # a malformed call: logging reports it as usual
        message = None
    if message is not None and redact(message) != message:
        # An argument that is not a string (an object, a list) carried the data.
        record.msg, record.args = redact(message), None
    if record.exc_info and record.exc_info[1] is not None:
        record.exc_text = safe_traceback(record.exc_info)  # type: ignore[arg-type]
        record.exc_info = None
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


class RedactingFilter(logging.Filter):
    """The same redaction as a handler filter, for handlers fed by records made elsewhere."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


_base_factory = logging.getLogRecordFactory()


def _redacting_factory(*args: object, **kwargs: object) -> logging.LogRecord:
    return redact_record(_base_factory(*args, **kwargs))


def install_redaction(paths: Iterable[str] | None = None) -> None:
    """Every record of every logger in this process is redacted as it is made."""
    global _route_words
    if paths is not None:
        _route_words = route_words(paths)
    logging.setLogRecordFactory(_redacting_factory)


_handler: logging.Handler | None = None


def configure_logging(level: str = "INFO", paths: Iterable[str] | None = None) -> None:
    global _handler
    install_redaction(paths)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    handler.addFilter(RedactingFilter())
    app = logging.getLogger("app")
    app.handlers[:] = [handler]
    app.setLevel(level)
    app.propagate = False
    # Libraries' warnings went to logging's last-resort handler; they now go through the
    # filtered handler too (added, not replacing: a test runner's capture handlers stay).
    root = logging.getLogger()
    if _handler is not None and _handler in root.handlers:
        root.removeHandler(_handler)
    root.addHandler(handler)
    _handler = handler
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        for h in logging.getLogger(name).handlers:
            if not any(isinstance(f, RedactingFilter) for f in h.filters):
                h.addFilter(RedactingFilter())
