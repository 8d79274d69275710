"""Logging without personal data: no phone numbers, no message texts."""

from __future__ import annotations

import logging
import re

_PHONE = re.compile(r"(?<![\w-])\+?\d[\d \-().]{6,}\d(?![\w-])")


class RedactingFilter(logging.Filter):
    """Last line of defence: masks anything shaped like a phone number."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        redacted = _PHONE.sub("[redacted]", msg)
        if redacted != msg:
            record.msg, record.args = redacted, None
        return True


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger("app")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
