"""The little personal data a booking keeps: a first name (or initials) and a phone."""

from __future__ import annotations

import re

import phonenumbers

_NAME = re.compile(r"[^\W\d_]+(?:[ .'\-]+[^\W\d_]+)*\.?")
_PHONE_CHARS = re.compile(r"[+\d\s().\-/]+")
NOT_A_PHONE = ("not a phone number: write it with digits, e.g. 0470 12 34 56, +32 470 12 34 56, "
               "or with its country code, e.g. +39 333 123 4567")
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


# The country a conversation's language most often means among the service's users,
# tried after Belgium for a number written without its country code ("3331234567" in
# Italian is an Italian mobile). A number with its + or 00 prefix needs none of this.
REGION_BY_LANGUAGE = {"fr": "FR", "nl": "NL", "en": "GB", "es": "ES", "de": "DE", "ru": "RU", "tr": "TR",
                      "it": "IT", "ar": "MA"}
PHONE_MAX = 40


def normalise_phone(text: str, language: str | None = None) -> str:
    """E.164 ("+32470123456") from what people type: "0470 12 34 56", "0032 470...",
    "+32 (0)470 12.34.56", "+39 333 123 4567"; a number without a country code is tried
    as Belgian, then as a number of the country the language suggests. Checked with
    the phonenumbers library (length and ranges per country). ValueError otherwise."""
    raw = text.strip()
    if not raw or len(raw) > PHONE_MAX or not _PHONE_CHARS.fullmatch(raw):
        raise ValueError(NOT_A_PHONE)
    regions = ["BE"] + ([REGION_BY_LANGUAGE[language]] if language in REGION_BY_LANGUAGE else [])
    for region in regions:
        try:
            number = phonenumbers.parse(raw, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    raise ValueError(NOT_A_PHONE)


def international(e164: str) -> str:
    """'+39 333 123 4567': how the number is read back to the user to check it."""
    number = phonenumbers.parse(e164, None)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
