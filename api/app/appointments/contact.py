"""The little personal data a booking keeps: a first name (or initials) and a phone."""

from __future__ import annotations

import re

_NAME = re.compile(r"[^\W\d_]+(?:[ .'\-]+[^\W\d_]+)*\.?")
_NOT_DIGITS = re.compile(r"[\s().\-/]")
_E164 = re.compile(r"\+[1-9]\d{7,14}")
FIRST_NAME_MAX = 40


def clean_first_name(text: str) -> str:
    """A first name or initials ("Amina", "A.B.", "Jean-Luc"); ValueError otherwise.

    Only letters and the marks names use: a counsellor needs to greet the person,
    not to identify them, so no digits, no addresses, no sentences.
    """
    name = " ".join(text.split())
    if not name:
        raise ValueError("a first name or initials is needed")
    if len(name) > FIRST_NAME_MAX:
        raise ValueError(f"a first name or initials only, at most {FIRST_NAME_MAX} characters")
    if not _NAME.fullmatch(name):
        raise ValueError("a first name or initials only (letters, spaces, . ' -)")
    return name


def normalise_phone(text: str) -> str:
    """E.164 ("+32470123456") from what people type: "0470 12 34 56", "0032 470...",
    "+32 (0)470 12.34.56". Belgian national numbers get +32. ValueError otherwise."""
    raw = text.strip().replace("(0)", "")
    digits = _NOT_DIGITS.sub("", raw)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif digits.startswith("0"):
        digits = "+32" + digits[1:]
    if not _E164.fullmatch(digits) or (digits.startswith("+32") and not 10 <= len(digits) <= 12):
        raise ValueError("not a phone number: write it with digits, e.g. 0470 12 34 56 or +32 470 12 34 56")
    return digits
