"""Create counsellor and admin accounts from the command line.

    cd api && ../.venv-api/bin/python -m app.console.accounts.cli create-admin \\
        --username marie --name Marie --languages fr,nl,en
    (the password is asked for, or read from CONSOLE_PASSWORD)

Outside development an admin must use a second factor: the command prints the TOTP
secret and its otpauth:// URI to add to an authenticator app.

``dev-admin`` (used by ``make run``) creates a development admin with a random
password, printed once, when no account exists yet.
"""

from __future__ import annotations

import argparse
import getpass
import os
import secrets
import sys

from sqlalchemy import func, select

from app.console.accounts import service as accounts
from app.console.accounts.models import Counsellor, Role
from app.core.db import get_sessionmaker
from app.core.settings import get_settings


def _create(role: Role, args: argparse.Namespace) -> int:
    password = os.environ.get("CONSOLE_PASSWORD") or getpass.getpass("Password (12+ characters): ")
    languages = [c.strip() for c in (args.languages or "").split(",") if c.strip()]
    with get_sessionmaker()() as session:
        try:
            account = accounts.create_account(session, username=args.username, display_name=args.name,
                                              password=password, role=role, languages=languages,
                                              console_language=args.console_language)
        except accounts.AccountError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if role == Role.admin and get_settings().admin_totp_required:
            secret = accounts.new_totp_secret()
            account.totp_secret, account.totp_enabled = secret, True
            print(f"Second factor (add it to an authenticator app): {accounts.totp_uri(account, secret)}")
        session.commit()
    print(f"Created {role} '{args.username}'.")
    return 0


def _dev_admin() -> int:
    settings = get_settings()
    if not settings.development:
        print("dev-admin is for development only; use create-admin", file=sys.stderr)
        return 2
    with get_sessionmaker()() as session:
        if session.scalar(select(func.count(Counsellor.id))):
            return 0
        password = secrets.token_urlsafe(12)
        accounts.create_account(session, username="admin", display_name="Admin", password=password,
                                role=Role.admin, languages=["fr", "nl", "en"], console_language="en")
        session.commit()
    print(f"Development console login (shown once): admin / {password}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.console.accounts.cli")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("create-admin", "create-counsellor"):
        p = sub.add_parser(name)
        p.add_argument("--username", required=True)
        p.add_argument("--name", required=True, help="First name shown to users")
        p.add_argument("--languages", default="", help="Languages spoken, e.g. fr,nl,ar")
        p.add_argument("--console-language", default="fr", choices=accounts.CONSOLE_LANGUAGES)
    sub.add_parser("dev-admin")
    args = parser.parse_args(argv)
    if args.command == "dev-admin":
        return _dev_admin()
    return _create(Role.admin if args.command == "create-admin" else Role.counsellor, args)


if __name__ == "__main__":
    raise SystemExit(main())
