"""Phone numbers inside free text (a message, a counsellor's note with a call-back
number, a home-visit note) are stored encrypted, the rest of the text as written.

``SealedText`` is a column type: on the way in, every run of 8 to 15 digits that looks
like a phone number ("0470 12 34 56", "+32470123456", "0032 470 12.34.56") is replaced by
its Fernet token (app.core.crypto, the phone keys) between two private-use marks; on
the way out the tokens are decrypted again. Every reader (the transcript, the widget's
history, the SMS the outbox sends) sees the text as written; the database files and
their backups hold no number in clear. A date or an amount with as many digits is
sealed too: harmless, it reads back the same.

A token no configured key opens reads back as "[number]" (a key dropped too early).
"""

from __future__ import annotations

import re

from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator

OPEN, CLOSE = "\ue000", "\ue001"
# 8-15 digits, with the separators people type between them; not inside a longer word.
_NUMBER = re.compile(r"(?<![\w+])(?:\+|00)?\d(?:[ \u00a0.\-/()]{0,2}\d){7,14}(?![\w])")
_SEALED = re.compile(OPEN + r"([A-Za-z0-9_\-=]+)" + CLOSE)


def seal(text: str | None) -> str | None:
    if not text or not any(ch.isdigit() for ch in text):
        return text
    from app.core import crypto

    return _NUMBER.sub(lambda m: OPEN + crypto.encrypt(m.group(0)) + CLOSE, text)


def unseal(text: str | None) -> str | None:
    if not text or OPEN not in text:
        return text
    from app.core import crypto

    return _SEALED.sub(lambda m: crypto.decrypt(m.group(1)) or "[number]", text)


def resealed(text: str | None) -> str | None:
    """The stored form under the newest key (key rotation)."""
    return seal(unseal(text))


class SealedText(TypeDecorator):
    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):  # noqa: ANN001, ANN201
        return seal(value)

    def process_result_value(self, value, dialect):  # noqa: ANN001, ANN201
        return unseal(value)
