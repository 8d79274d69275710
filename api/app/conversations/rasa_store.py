"""Rasa's own stores, reached by erasure and retention: its SQL tracker database and its Redis locks.

Rasa 3.6's SQL tracker store only appends and has no delete, so erasure deletes a
conversation's rows from Rasa's `events` table itself (after asking Rasa to forget it,
which waits for a turn in progress under Rasa's lock), and the conversation's Redis lock
key, which names it. Direct access, rather than one more endpoint on Rasa: it works with
Rasa down or restarting, whichever replica wrote the rows. The gateway never reads these
tables; it only deletes one conversation's rows there, or (retention, ``purge_idle``) the
rows of conversations idle for longer than the retention period.

Which database: the rule of bot/scripts/launch.py (RASA_TRACKER_DB_URL, else the database
RASA_TRACKER_DB, default "<DATABASE_URL's database>_rasa", when DATABASE_URL is
PostgreSQL, else none: Rasa keeps its trackers in memory and forget() empties them).
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from app.core import redis_client
from app.core.settings import Settings, get_settings

log = logging.getLogger("app.conversations.rasa_store")

# Rasa's SQLTrackerStore.SQLEvent (rasa/core/tracker_store.py, 3.6): only what is deleted by.
_EVENTS = sa.Table("events", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                   sa.Column("sender_id", sa.String(255)), sa.Column("timestamp", sa.Float))


def tracker_db_url(settings: Settings) -> str:
    """Rasa's tracker database for this gateway's driver, or "" when Rasa keeps them in memory."""
    url = settings.rasa_tracker_db_url.get_secret_value().strip()
    if not url:
        gateway = settings.database_url.strip()
        if not gateway.startswith("postgresql"):
            return ""
        parts = urlsplit(gateway)
        name = settings.rasa_tracker_db.strip() or f"{parts.path.lstrip('/')}_rasa"
        url = parts._replace(path=f"/{name}").geturl()
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":  # Rasa's is psycopg2, this environment's psycopg 3
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


@lru_cache
def _engine(url: str) -> Engine:
    # Erasures are rare: no pool kept open on Rasa's database between them.
    return sa.create_engine(url, poolclass=sa.pool.NullPool)


def lock_key(conversation_id: str, settings: Settings) -> str:
    """Rasa's RedisLockStore key: its alphanumeric prefix (launch.py gives it the gateway's
    REDIS_PREFIX without punctuation), then "lock:" and the conversation's id."""
    prefix = re.sub(r"[^A-Za-z0-9]", "", settings.redis_prefix)
    return f"{prefix}:lock:{conversation_id}" if prefix else f"lock:{conversation_id}"


def erase(conversation_ids: list[str]) -> bool | None:
    """Delete the conversations' rows in Rasa's tracker database and their lock keys.
    None when Rasa has no such database (in memory), else whether it all went."""
    settings = get_settings()
    done: bool | None = None
    url = tracker_db_url(settings)
    if url and conversation_ids:
        try:
            with _engine(url).begin() as conn:
                conn.execute(sa.delete(_EVENTS).where(_EVENTS.c.sender_id.in_(conversation_ids)))
            done = True
        except sa.exc.SQLAlchemyError as exc:
            # No events table, or no database yet: Rasa never stored a tracker there.
            done = getattr(exc.orig, "sqlstate", None) == "42P01" or (
                isinstance(exc, sa.exc.OperationalError) and f'database "{make_url(url).database}" does not exist'
                in str(exc.orig))
            if not done:
                log.warning("could not delete the conversation's rows in Rasa's tracker database (%s)",
                            type(exc.orig).__name__)
    client = redis_client.get_redis()
    if client is not None and conversation_ids:
        try:
            client.delete(*(lock_key(c, settings) for c in conversation_ids))
        except Exception:  # redis.RedisError and connection errors alike
            log.warning("could not delete Rasa's lock keys in Redis")
            done = False
    return done


def purge_idle(cutoff_epoch: float) -> int | None:
    """Retention in Rasa's tracker database: every row of each conversation whose latest
    event is older than the cutoff (idle for the whole retention period; a conversation in
    use keeps its bounded history whole, never half of it). The number of rows deleted, or
    None when Rasa has no such database (in memory: gone at restart, bounded meanwhile)."""
    url = tracker_db_url(get_settings())
    if not url:
        return None
    idle = (sa.select(_EVENTS.c.sender_id).group_by(_EVENTS.c.sender_id)
            .having(sa.func.max(_EVENTS.c.timestamp) < cutoff_epoch))
    try:
        with _engine(url).begin() as conn:
            return conn.execute(sa.delete(_EVENTS).where(_EVENTS.c.sender_id.in_(idle))).rowcount or 0
    except sa.exc.SQLAlchemyError as exc:
        if getattr(exc.orig, "sqlstate", None) == "42P01" or (
                isinstance(exc, sa.exc.OperationalError) and "does not exist" in str(exc.orig)):
            return 0  # Rasa never stored a tracker there
        log.warning("retention: could not delete idle conversations in Rasa's tracker database (%s)",
                    type(exc.orig).__name__)
        return None
