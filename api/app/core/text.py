"""The one rule for a person's text, whatever door it came in by (API, widget, console,
SMS, WhatsApp).

- Control characters go: NUL (PostgreSQL refuses it in text), the C0 and C1 controls,
  DEL, lone surrogates (a JSON "\\ud800" decodes to one; no database or encoder takes
  it) and the two non-characters XML cannot carry (TwiML). Line breaks stay as "\\n"
  ("\\r\\n" and "\\r" included); a tab becomes a space.
- Text made only of invisible characters (spaces, zero-width spaces and joiners, the
  BOM, bidi marks, Hangul fillers, the braille blank...) is empty: it is not a message.
  These characters are kept inside real text, where they matter (a zero-width joiner
  in an emoji, a non-joiner in Persian).
- At most ``max_message_chars`` (2,000) characters, counted once cleaned.
"""

from __future__ import annotations

import re
import unicodedata

from app.core.settings import get_settings

# C0 controls except \t \n \r, DEL, C1 controls, surrogates, U+FFFE/U+FFFF.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_LINE_BREAKS = re.compile("\r\n?")

# Not whitespace nor format characters to Unicode, yet they show nothing on their own.
_BLANK_LOOKING = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u180e\u2800\u3164\uffa0"
    + "".join(chr(c) for c in range(0xFE00, 0xFE10))       # variation selectors
    + "".join(chr(c) for c in range(0xE0100, 0xE01F0))     # variation selectors supplement
)


class BadText(ValueError):
    """The text breaks the rule; the message says why, in a sentence for the client."""


class EmptyText(BadText):
    pass


class TooLong(BadText):
    def __init__(self, length: int, limit: int) -> None:
        super().__init__(f"the message is too long ({length} characters, at most {limit})")
        self.length, self.limit = length, limit


def is_invisible(ch: str) -> bool:
    return ch.isspace() or ch in _BLANK_LOOKING or unicodedata.category(ch) in ("Cf", "Zs", "Zl", "Zp", "Cc")


def strip_controls(text: str) -> str:
    """The text without control characters (line breaks kept, tabs as spaces)."""
    return _CONTROLS.sub("", _LINE_BREAKS.sub("\n", text).replace("\t", " "))


def has_content(text: str) -> bool:
    return not all(is_invisible(ch) for ch in text)


def clean_text(text: str, limit: int | None = None) -> str:
    """The text as stored and answered; EmptyText or TooLong (ValueErrors) otherwise."""
    cleaned = strip_controls(text)
    if not has_content(cleaned):
        raise EmptyText("the message is empty")
    limit = get_settings().max_message_chars if limit is None else limit
    if len(cleaned) > limit:
        raise TooLong(len(cleaned), limit)
    return cleaned


def cut(text: str, limit: int | None = None) -> str:
    """The cleaned text cut to the limit (for a door that cannot refuse: Twilio)."""
    limit = get_settings().max_message_chars if limit is None else limit
    return strip_controls(text)[:limit]
