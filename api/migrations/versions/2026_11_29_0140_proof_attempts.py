"""proof attempts

Seeing, moving or cancelling an appointment from outside the conversation that booked
it needs the last four digits of its phone number; failed attempts are counted here
(hashes only, kept a day) to stop guessing.

Revision ID: 7c41e0b2a9d5
Revises: 5e2a9c1d7f30
Create Date: 2026-11-29 01:40:00
"""
from alembic import op
import sqlalchemy as sa
import app.core.db


revision = '7c41e0b2a9d5'
down_revision = '5e2a9c1d7f30'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('proof_attempt',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('reference_hash', sa.String(length=64), nullable=False),
    sa.Column('client_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proof_attempt'))
    )
    with op.batch_alter_table('proof_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proof_attempt_reference_hash'), ['reference_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_proof_attempt_client_hash'), ['client_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_proof_attempt_created_at'), ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('proof_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proof_attempt_created_at'))
        batch_op.drop_index(batch_op.f('ix_proof_attempt_client_hash'))
        batch_op.drop_index(batch_op.f('ix_proof_attempt_reference_hash'))
    op.drop_table('proof_attempt')
