"""phone numbers inside texts sealed

Messages, a conversation's text waiting for the language menu and counsellors' notes
keep the words as written, but every phone number in them is now stored encrypted
(app.core.sealed_text, the phone keys). Existing rows are sealed with the keys of the
environment the migration runs in; the downgrade opens them again.

Revision ID: 5e2d8c1f7a90
Revises: f673ef8ddd73
Create Date: 2026-11-30 10:00:00
"""
import sqlalchemy as sa
from alembic import op
from app.core.sealed_text import seal, unseal

revision = '5e2d8c1f7a90'
down_revision = 'f673ef8ddd73'
branch_labels = None
depends_on = None

COLUMNS = (("message", "text"), ("conversation", "pending_text"), ("conversation_note", "text"))
BATCH = 500


def _convert(change) -> None:  # noqa: ANN001
    bind = op.get_bind()
    for table, column in COLUMNS:
        t = sa.table(table, sa.column("id"), sa.column(column))
        last = None
        while True:
            stmt = sa.select(t.c.id, t.c[column]).order_by(t.c.id).limit(BATCH)
            if last is not None:
                stmt = stmt.where(t.c.id > last)
            rows = bind.execute(stmt).all()
            if not rows:
                break
            for row_id, value in rows:
                new = change(value)
                if new != value:
                    bind.execute(sa.update(t).where(t.c.id == row_id).values({column: new}))
            last = rows[-1][0]


def upgrade() -> None:
    _convert(seal)


def downgrade() -> None:
    _convert(unseal)
