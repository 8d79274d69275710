"""How long an SMS is, in segments, and how to split a long text into SMS messages.

Pure functions, no I/O. An SMS is GSM-7 encoded when every character is in the GSM
03.38 basic table or its extension table (the extended characters take two septets:
an escape and the character); otherwise the whole message is sent as UCS-2. One
segment holds 160 GSM-7 septets or 70 UCS-2 code units; a concatenated message
spends a few of them on a header, leaving 153 or 67 per segment. An extended
character's two septets, and an emoji's two UTF-16 code units, are never split
between segments, so segments are counted by packing, not by dividing.

French is often UCS-2 because of ê, ç, ô, î (only é è à ù ì ò É Ç are in the table),
so the encoding is decided per message part, not per language.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import StrEnum

# GSM 03.38 basic character set, in table order (0x1B, the escape, is left out:
# it is not a character anyone types).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each costs two septets (escape + character).
GSM7_EXTENDED = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE, GSM7_CONCAT = 160, 153
UCS2_SINGLE, UCS2_CONCAT = 70, 67


class Encoding(StrEnum):
    gsm7 = "GSM-7"
    ucs2 = "UCS-2"


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text)


def encoding(text: str) -> Encoding:
    return Encoding.gsm7 if is_gsm7(text) else Encoding.ucs2


def _widths(text: str) -> tuple[Encoding, list[int]]:
    """The encoding and each character's cost in septets (GSM-7) or code units (UCS-2)."""
    if is_gsm7(text):
        return Encoding.gsm7, [2 if ch in GSM7_EXTENDED else 1 for ch in text]
    # Characters outside the Basic Multilingual Plane (most emoji) are surrogate pairs.
    return Encoding.ucs2, [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def units(text: str) -> int:
    """Septets (GSM-7) or UTF-16 code units (UCS-2) the text takes."""
    return sum(_widths(text)[1])


def segment_count(text: str) -> int:
    """How many SMS segments the text is billed and sent as (0 for an empty text)."""
    if not text:
        return 0
    enc, widths = _widths(text)
    single, concat = (GSM7_SINGLE, GSM7_CONCAT) if enc is Encoding.gsm7 else (UCS2_SINGLE, UCS2_CONCAT)
    if sum(widths) <= single:
        return 1
    count, used = 1, 0
    for width in widths:
        if used + width > concat:  # a two-unit character moves whole to the next segment
            count, used = count + 1, 0
        used += width
    return count


# A word and the whitespace after it; splitting only ever happens between tokens.
_TOKEN = re.compile(r"\S+\s*")
# A token that ends a sentence or a line: the preferred place to cut.
_SENTENCE_END = re.compile(r"(?:[.!?؟…:;]['\")\]»]*\s+|\n\s*)$")


def _split(text: str, fits: Callable[[str], bool]) -> list[str]:
    text = text.strip()
    if not text or fits(text):
        return [text] if text else []
    parts: list[str] = []
    current: list[str] = []

    def close() -> None:
        # Cut at the last sentence end if it keeps at least half of the part; the
        # rest starts the next part. Otherwise cut between the last two words.
        nonlocal current
        joined = "".join(current)
        cut = len(current)
        for i in range(len(current) - 1, 0, -1):
            if _SENTENCE_END.search(current[i - 1]):
                if len("".join(current[:i])) * 2 >= len(joined):
                    cut = i
                break
        parts.append("".join(current[:cut]).rstrip())
        current = current[cut:]

    for token in _TOKEN.findall(text):
        if fits(("".join(current) + token).rstrip()):
            current.append(token)
            continue
        if current:
            close()
            if fits(("".join(current) + token).rstrip()):
                current.append(token)
                continue
            if current:
                parts.append("".join(current).rstrip())
                current = []
        # A single word longer than a whole message (a long link): the only case
        # where a word is cut, at the longest prefix that fits.
        while not fits(token.rstrip()):
            lo, hi = 1, len(token)
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if fits(token[:mid]):
                    lo = mid
                else:
                    hi = mid - 1
            parts.append(token[:lo])
            token = token[lo:]
        current = [token]
    if current and "".join(current).strip():
        parts.append("".join(current).rstrip())
    return [p for p in parts if p]


def split_sms(text: str, max_segments: int = 3) -> list[str]:
    """Split a text into SMS messages of at most ``max_segments`` segments each,
    between words (preferably after a sentence), each part keeping its own encoding."""
    if max_segments < 1:
        raise ValueError("max_segments must be at least 1")
    return _split(text, lambda part: segment_count(part) <= max_segments)


def split_chars(text: str, max_chars: int) -> list[str]:
    """Split a text into messages of at most ``max_chars`` characters, between words."""
    if max_chars < 1:
        raise ValueError("max_chars must be at least 1")
    return _split(text, lambda part: len(part) <= max_chars)
