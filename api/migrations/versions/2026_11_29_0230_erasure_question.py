"""erasure question

"Delete my data" in conversation is confirmed by a yes or no: the conversation
remembers that the question is open.

Revision ID: 9d3f5b7c1e24
Revises: 7c41e0b2a9d5
Create Date: 2026-11-29 02:30:00
"""
from alembic import op
import sqlalchemy as sa
import app.core.db


revision = '9d3f5b7c1e24'
down_revision = '7c41e0b2a9d5'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erasure_asked_at', app.core.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.drop_column('erasure_asked_at')
