"""Start Rasa's server (`rasa run`) with its HTTP API token read from the environment.

`rasa run --auth-token <token>` puts the token in the process list (/proc/<pid>/cmdline is
readable by every local user), and Rasa 3.6 reads the token only from that option. So this
launcher takes the token from RASA_API_TOKEN and calls Rasa's own command-line entry point
in this process with the argument list: the process list shows only
`python bot/scripts/launch.py --model ...`. Rasa 3.6 does not re-exec itself: `rasa run`
serves with one Sanic worker in this process (`SANIC_WORKERS` unset, no debug reloader).

Rasa's HTTP API (`--enable-api`) is on because the gateway needs it, and only for that
(api/app/conversations/rasa.py: /status for the health check, tracker events to drop a form
or mark an offer, and erasure, which empties a tracker). Its token is RASA_API_TOKEN, never
the channel's RASA_CHANNEL_TOKEN: the channel token only lets a message in through
bot/channels/gateway.py, it never reads a tracker.

Usage (from the root): python bot/scripts/launch.py --model models/hirondelle.tar.gz -i 127.0.0.1 -p 5005
  --credentials credentials.yml --endpoints endpoints.yml   (any `rasa run` option but the token)

Where Rasa keeps its state is chosen here from the environment, so one endpoints.yml
serves every setup (Rasa's own ${VAR} substitution cannot change a store's type, and
refuses an unset variable):
- trackers: in memory as endpoints.yml says (`make run`), unless RASA_TRACKER_DB_URL is
  set, or DATABASE_URL is PostgreSQL: then Rasa's SQL tracker store (with the same bounded
  history: bot.history.tracker_store.BoundedSQLTrackerStore) in a database of its own,
  RASA_TRACKER_DB (default `<the gateway's database>_rasa`) on the gateway's server with
  its credentials, created by Rasa at start (its `login_db`) if missing: the gateway's
  migrations and Rasa's `events` table never share a database. The gateway derives the
  same URL to erase a conversation's rows (api/app/conversations/rasa_store.py).
- locks: in memory, unless REDIS_URL is set: then Rasa's Redis lock store, keys
  `<REDIS_PREFIX without punctuation>:lock:<conversation id>`.
The endpoints file given is then rewritten to a private temporary file with those two
sections replaced; passwords stay out of it (`${...}` read from this process's
environment, which Rasa expands itself).
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

TRACKER_PASSWORD_VAR = "HIRONDELLE_RASA_TRACKER_DB_PASSWORD"
LOCK_PASSWORD_VAR = "HIRONDELLE_RASA_LOCK_PASSWORD"


def tracker_db_url(env: dict[str, str]) -> str:
    """Rasa's tracker database, or "" for the in-memory store (the gateway has the same rule:
    app.conversations.rasa_store.tracker_db_url)."""
    explicit = env.get("RASA_TRACKER_DB_URL", "").strip()
    if explicit:
        return explicit
    gateway = env.get("DATABASE_URL", "").strip()
    if not gateway.startswith("postgresql"):
        return ""
    parts = urlsplit(gateway)
    name = env.get("RASA_TRACKER_DB", "").strip() or f"{parts.path.lstrip('/')}_rasa"
    return parts._replace(path=f"/{name}").geturl()


def _identifier(name: str) -> str:
    # Rasa creates the database with an unquoted CREATE DATABASE <name>.
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", name):
        raise SystemExit(f"launch.py: Rasa's tracker database must be a plain name, not {name!r}")
    return name


def tracker_store(url: str, base: dict, env: dict[str, str]) -> dict:
    """The tracker_store section for Rasa's SQL database at `url` (bounds kept from `base`)."""
    parts = urlsplit(url)
    section: dict = {"type": "bot.history.tracker_store.BoundedSQLTrackerStore",
                     **{k: v for k, v in (base or {}).items() if k in ("max_turns", "keep_turns")}}
    if parts.scheme.startswith("sqlite"):
        return {**section, "dialect": "sqlite", "db": unquote(parts.path[1:] if parts.path.startswith("//")
                                                                  else parts.path.lstrip("/"))}
    if not parts.scheme.startswith("postgresql"):
        raise SystemExit("launch.py: Rasa's tracker database must be PostgreSQL (or SQLite)")
    section.update({"dialect": "postgresql", "url": parts.hostname or "localhost", "port": parts.port or 5432,
                    "db": _identifier(unquote(parts.path.lstrip("/")))})
    if parts.username:
        section["username"] = unquote(parts.username)
    if parts.password:
        env[TRACKER_PASSWORD_VAR] = unquote(parts.password)
        section["password"] = f"${{{TRACKER_PASSWORD_VAR}}}"
    # Rasa logs in there first and creates its database if missing: the gateway's own
    # database when derived from DATABASE_URL, else PostgreSQL's maintenance database.
    gateway = urlsplit(env.get("DATABASE_URL", ""))
    same_server = gateway.scheme.startswith("postgresql") and gateway.hostname == parts.hostname
    section["login_db"] = (gateway.path.lstrip("/") if same_server and not env.get("RASA_TRACKER_DB_URL")
                           else env.get("RASA_TRACKER_LOGIN_DB", "postgres"))
    query = dict(parse_qsl(parts.query))
    if query:
        section["query"] = query
    return section


def lock_store(redis_url: str, env: dict[str, str]) -> dict:
    """Rasa's Redis lock store on REDIS_URL (the gateway's Redis, its key prefix)."""
    parts = urlsplit(redis_url)
    section: dict = {"type": "redis", "url": parts.hostname or "localhost", "port": parts.port or 6379,
                     "db": int(parts.path.lstrip("/") or 0), "use_ssl": parts.scheme == "rediss"}
    if parts.username:
        section["username"] = unquote(parts.username)
    if parts.password:
        env[LOCK_PASSWORD_VAR] = unquote(parts.password)
        section["password"] = f"${{{LOCK_PASSWORD_VAR}}}"
    prefix = re.sub(r"[^A-Za-z0-9]", "", env.get("REDIS_PREFIX", "hirondelle:"))
    if prefix:  # Rasa takes an alphanumeric prefix and adds ":lock:"
        section["key_prefix"] = prefix
    return section


def endpoints(base: dict, env: dict[str, str]) -> dict | None:
    """`base` (endpoints.yml) with its stores chosen by the environment, or None when
    it stays as it is (nothing configured: `make run`)."""
    url, redis_url = tracker_db_url(env), env.get("REDIS_URL", "").strip()
    if not url and not redis_url:
        return None
    result = dict(base)
    if url:
        result["tracker_store"] = tracker_store(url, base.get("tracker_store") or {}, env)
    if redis_url:
        result["lock_store"] = lock_store(redis_url, env)
    return result


def with_stores(args: list[str], env: dict[str, str]) -> list[str]:
    """`args` with --endpoints pointing at the rewritten file when the environment asks."""
    import yaml  # Rasa's own dependency; Rasa is not imported yet (its YAML tags neither)

    flag = next((i for i, a in enumerate(args) if a == "--endpoints"), None)
    path = Path(args[flag + 1]) if flag is not None else Path("endpoints.yml")
    base = yaml.safe_load(path.read_text()) if path.exists() else {}
    chosen = endpoints(base or {}, env)
    if chosen is None:
        return args
    folder = tempfile.mkdtemp(prefix="rasa-endpoints-")  # 0700
    atexit.register(shutil.rmtree, folder, True)
    target = Path(folder) / "endpoints.yml"
    target.write_text(yaml.safe_dump(chosen, sort_keys=False))
    return [*args[:flag], "--endpoints", str(target), *args[flag + 2:]] if flag is not None else \
        [*args, "--endpoints", str(target)]


def rasa_argv(args: list[str], token: str) -> list[str]:
    if any(a == "--auth-token" or a.startswith("--auth-token=") for a in args):
        raise SystemExit("launch.py: the token comes from RASA_API_TOKEN, never from the command line")
    if not token:
        raise SystemExit("launch.py: RASA_API_TOKEN must be set (Rasa's HTTP API is never left open)")
    if token == os.environ.get("RASA_CHANNEL_TOKEN"):
        raise SystemExit("launch.py: RASA_API_TOKEN must differ from RASA_CHANNEL_TOKEN")
    # `--auth-token=<t>` in one item: a token starting with "-" cannot be taken for an option.
    return ["rasa", "run", *args, "--enable-api", f"--auth-token={token}"]


def main() -> None:
    env = dict(os.environ)
    args = with_stores(sys.argv[1:], env)
    # The passwords for the ${...} of the rewritten file, in this process only.
    os.environ.update({k: v for k, v in env.items() if k in (TRACKER_PASSWORD_VAR, LOCK_PASSWORD_VAR)})
    sys.argv = rasa_argv(args, os.environ.get("RASA_API_TOKEN", ""))
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
