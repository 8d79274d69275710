"""Phone numbers at rest: encrypted (Fernet: AES-128-CBC with HMAC-SHA256, from the
`cryptography` library), looked up by a keyed hash (HMAC-SHA256) that is useless
without its key.

- ``PHONE_ENCRYPTION_KEYS``: Fernet keys, comma-separated, newest first. The first one
  encrypts; every one of them decrypts, so a new key is added in front, every row is
  re-encrypted (``python -m app.core.rotate``), then the old key is dropped.
- ``PHONE_HASH_KEY``: the HMAC key of the lookups (conversation keys ``tel:h:<hash>``,
  the ``*_hash`` columns). Changing it means recomputing every hash: the same command
  does it (README, "Phone numbers at rest").

In development and test, a missing key is derived from ``SECRET_KEY``, so `make run`
works as it is; elsewhere the settings refuse to start without both (settings.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from app.core.settings import Settings, get_settings

log = logging.getLogger("app.core.crypto")

# A conversation of a phone number is found by this key, never by the number itself.
PHONE_KEY_PREFIX = "tel:h:"


class Keys:
    def __init__(self, encryption: tuple[bytes, ...], hashing: bytes) -> None:
        self.multi = MultiFernet([Fernet(k) for k in encryption])
        self.hash_key = hashing


def _derived(settings: Settings, purpose: str) -> bytes:
    """A development key: derived from SECRET_KEY, one per purpose."""
    secret = settings.secret_key.get_secret_value().encode()
    return hmac.new(secret, f"hirondelle {purpose}".encode(), hashlib.sha256).digest()


def encryption_keys(settings: Settings) -> list[bytes]:
    given = settings.phone_encryption_keys.get_secret_value().strip() if settings.phone_encryption_keys else ""
    if given:
        return [k.strip().encode() for k in given.split(",") if k.strip()]
    return [base64.urlsafe_b64encode(_derived(settings, "phone encryption"))]


def hash_key(settings: Settings) -> bytes:
    given = settings.phone_hash_key.get_secret_value().strip() if settings.phone_hash_key else ""
    return given.encode() if given else _derived(settings, "phone hash")


@lru_cache(maxsize=8)
def _keys(encryption: tuple[bytes, ...], hashing: bytes) -> Keys:
    return Keys(encryption, hashing)


def keys() -> Keys:
    # Read from the settings each time (tests change them), built once per key set.
    settings = get_settings()
    return _keys(tuple(encryption_keys(settings)), hash_key(settings))


def encrypt(value: str) -> str:
    return keys().multi.encrypt(value.encode()).decode()


def decrypt(token: str | None) -> str | None:
    """The number, or None when no configured key opens it (a key dropped before its
    rows were re-encrypted, or a development database from a run with another
    SECRET_KEY): the row reads as having no number rather than breaking every page
    that shows it. Logged without the token."""
    if not token:
        return None
    try:
        return keys().multi.decrypt(token.encode()).decode()
    except InvalidToken:
        log.warning("a stored phone number cannot be decrypted with PHONE_ENCRYPTION_KEYS")
        return None


def reencrypt(token: str) -> str:
    """The same number under the newest key (raises InvalidToken when no key opens it)."""
    return keys().multi.rotate(token.encode()).decode()


def phone_hash(number: str, settings: Settings | None = None) -> str:
    """The keyed hash of a number (E.164 where the caller has it): equal numbers give
    equal hashes, and nobody without PHONE_HASH_KEY can test a guess. ``settings``:
    another process's (a test reading a running stack's database)."""
    key = hash_key(settings) if settings is not None else keys().hash_key
    return hmac.new(key, number.encode(), hashlib.sha256).hexdigest()


def phone_key(number: str, settings: Settings | None = None) -> str:
    """The conversation key of a phone number (SMS and WhatsApp share it)."""
    return PHONE_KEY_PREFIX + phone_hash(number, settings)


class EncryptedPhone(property):
    """A model's phone number in clear, read and written through an encrypted column and
    (optionally) its hash column. Not a column itself: SQL can never compare it (the
    stored value is randomised), so comparing it at class level raises instead of
    silently matching nothing; compare the hash column with ``phone_hash(number)``."""

    def __init__(self, encrypted: str, hashed: str | None = None) -> None:
        def read(obj: object) -> str | None:
            return decrypt(getattr(obj, encrypted))

        def write(obj: object, number: str | None) -> None:
            setattr(obj, encrypted, encrypt(number) if number else None)
            if hashed:
                setattr(obj, hashed, phone_hash(number) if number else None)

        super().__init__(read, write, doc=f"the number in clear ({encrypted}, {hashed})")

    def __eq__(self, other: object) -> bool:
        raise TypeError("an encrypted phone cannot be compared in SQL: compare its hash column "
                        "with app.core.crypto.phone_hash(number)")

    __hash__ = property.__hash__


def check(settings: Settings) -> None:
    """Raises ValueError when a configured key is unusable (a clear start-up error)."""
    for key in encryption_keys(settings):
        try:
            Fernet(key)
        except ValueError as exc:
            raise ValueError("PHONE_ENCRYPTION_KEYS: every key must be a Fernet key (32 url-safe "
                             "base64-encoded bytes; python -c 'from cryptography.fernet import Fernet; "
                             "print(Fernet.generate_key().decode())')") from exc
    if settings.phone_hash_key and 0 < len(settings.phone_hash_key.get_secret_value().strip()) < 32:
        raise ValueError("PHONE_HASH_KEY must be at least 32 characters")
