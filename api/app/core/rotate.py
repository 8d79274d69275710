"""Re-encrypt every stored phone number with the newest key and recompute its keyed hash.

    cd api && ../.venv-api/bin/python -m app.core.rotate            # re-encrypt, re-hash
    cd api && ../.venv-api/bin/python -m app.core.rotate --check    # may the old keys go?
    cd api && ../.venv-api/bin/python -m app.core.rotate --new-key  # print a fresh Fernet key

Run with the environment of the gateway (DATABASE_URL, PHONE_ENCRYPTION_KEYS with the new
key first and the old ones after it, PHONE_HASH_KEY). One transaction: it converts every
row or none. Numbers that no configured key opens are counted, left as they are, and
make the command exit with 1, so an operator never drops the key they still need.
The README's "Phone numbers at rest" gives the whole procedure.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.appointments.models import Appointment, HomeVisitRequest
from app.conversations.models import Conversation
from app.core import crypto
from app.core.db import get_sessionmaker
from app.core.settings import get_settings


@dataclass
class Outcome:
    rotated: int = 0
    unreadable: int = 0
    old_key: int = 0  # --check: rows that the newest key alone cannot open


def _rows(session: Session):
    """(row, encrypted attribute, hash attribute or None for a conversation's key)."""
    for conv in session.scalars(select(Conversation).where(Conversation.phone_enc.is_not(None))):
        yield conv, "phone_enc", None
    for model in (Appointment, HomeVisitRequest):
        for row in session.scalars(select(model).where(model.contact_phone_enc.is_not(None))):
            yield row, "contact_phone_enc", "contact_phone_hash"


def rotate(session: Session) -> Outcome:
    """Re-encrypts and re-hashes in the session; the caller commits."""
    keys = crypto.keys()
    outcome = Outcome()
    for row, encrypted, hashed in list(_rows(session)):
        try:
            number = keys.multi.decrypt(getattr(row, encrypted).encode()).decode()
        except InvalidToken:
            outcome.unreadable += 1
            continue
        setattr(row, encrypted, crypto.encrypt(number))
        if hashed:
            setattr(row, hashed, crypto.phone_hash(number))
        else:
            row.key = crypto.phone_key(number)
        outcome.rotated += 1
    # Numbers inside texts (app.core.sealed_text): read open, written back sealed with
    # the newest key.
    from sqlalchemy.orm.attributes import flag_modified

    from app.console.accounts.models import ConversationNote
    from app.conversations.models import Message
    from app.core.sealed_text import OPEN

    for model, attribute in ((Message, "text"), (Conversation, "pending_text"), (ConversationNote, "text")):
        column = getattr(model, attribute)
        for row in session.scalars(select(model).where(column.contains(OPEN))):
            flag_modified(row, attribute)
            outcome.rotated += 1
    session.flush()
    return outcome


def check(session: Session) -> Outcome:
    newest = Fernet(crypto.encryption_keys(get_settings())[0])
    outcome = Outcome()
    for row, encrypted, _hashed in _rows(session):
        try:
            newest.decrypt(getattr(row, encrypted).encode())
        except InvalidToken:
            outcome.old_key += 1
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.core.rotate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="only count the numbers the newest key cannot open (0: the old keys may go)")
    parser.add_argument("--new-key", action="store_true", help="print a new Fernet key and stop")
    args = parser.parse_args(argv)
    if args.new_key:
        print(Fernet.generate_key().decode())
        return 0
    with get_sessionmaker()() as session:
        if args.check:
            outcome = check(session)
            print(f"{outcome.old_key} phone numbers are not under the newest key")
            return 1 if outcome.old_key else 0
        outcome = rotate(session)
        session.commit()
    print(f"{outcome.rotated} phone numbers re-encrypted with the newest key and re-hashed; "
          f"{outcome.unreadable} could not be decrypted with any configured key")
    return 1 if outcome.unreadable else 0


if __name__ == "__main__":
    sys.exit(main())
