"""message label

A quick reply tapped in the widget: the message's text is the payload the assistant
got, its label the button's title the person saw and tapped (shown in the history).

Revision ID: 4b8e2d61f0a7
Revises: 9d3f5b7c1e24
Create Date: 2026-11-29 15:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '4b8e2d61f0a7'
down_revision = '9d3f5b7c1e24'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('label', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_column('label')
