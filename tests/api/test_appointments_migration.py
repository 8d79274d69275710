"""The appointments migration matches the models and goes down and up again, and
the partial unique index is really partial (cancelled rows do not hold a seat)."""

from __future__ import annotations

# The fixtures are imported from appointments_support; pytest passes them by name.
# ruff: noqa: F811
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from appointments_support import appointments_env  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]


def alembic_config(url: str) -> Config:
    cfg = Config(str(ROOT / "api" / "alembic.ini"))
    cfg.attributes["database_url"] = url
    return cfg


def test_models_and_migrations_agree_and_downgrade_works(appointments_env: str) -> None:
    cfg = alembic_config(appointments_env)
    command.check(cfg)  # raises if autogenerate would find a difference
    command.downgrade(cfg, "f41f0991ca0b")
    engine = sa.create_engine(appointments_env)
    assert "appointment" not in sa.inspect(engine).get_table_names()
    engine.dispose()
    command.upgrade(cfg, "head")
    command.check(cfg)


def test_one_booked_row_per_seat_but_cancelled_rows_may_repeat(appointments_env: str) -> None:
    engine = sa.create_engine(appointments_env)
    insert = sa.text(
        "INSERT INTO appointment (reference, service, starts_at, ends_at, seat, status, first_name, language, "
        "channel, created_at) VALUES (:ref, 'social', '2026-12-15 09:00:00', '2026-12-15 09:30:00', 1, :status, "
        "'A', 'fr', 'api', '2026-12-14 08:00:00')")
    with engine.begin() as conn:
        conn.execute(insert, {"ref": "AAAA22", "status": "cancelled"})
        conn.execute(insert, {"ref": "AAAA23", "status": "cancelled"})
        conn.execute(insert, {"ref": "AAAA24", "status": "booked"})
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(insert, {"ref": "AAAA25", "status": "booked"})
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(insert, {"ref": "AAAA26", "status": "maybe"})
    engine.dispose()
