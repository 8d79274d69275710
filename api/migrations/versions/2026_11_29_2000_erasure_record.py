"""erasure record

One line per erasure, without what was erased: the door, the admin (console), when,
a keyed hash of the conversation's id and how many rows each part lost.

Revision ID: 2c7a9e4b5d18
Revises: 4b8e2d61f0a7
Create Date: 2026-11-29 20:00:00
"""
import app.core.db
import sqlalchemy as sa
from alembic import op

revision = '2c7a9e4b5d18'
down_revision = '4b8e2d61f0a7'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('erasure_record',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('door', sa.String(length=16), nullable=False),
    sa.Column('counsellor_id', sa.Integer(), nullable=True),
    sa.Column('subject_hash', sa.String(length=64), nullable=False),
    sa.Column('conversations', sa.Integer(), nullable=False),
    sa.Column('messages', sa.Integer(), nullable=False),
    sa.Column('notes', sa.Integer(), nullable=False),
    sa.Column('safety_flags', sa.Integer(), nullable=False),
    sa.Column('appointments_cancelled', sa.Integer(), nullable=False),
    sa.Column('appointments_anonymised', sa.Integer(), nullable=False),
    sa.Column('home_visits', sa.Integer(), nullable=False),
    sa.Column('trackers_reset', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['counsellor_id'], ['counsellor.id'],
                            name=op.f('fk_erasure_record_counsellor_id_counsellor'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_erasure_record'))
    )
    with op.batch_alter_table('erasure_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_erasure_record_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_erasure_record_subject_hash'), ['subject_hash'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('erasure_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_erasure_record_subject_hash'))
        batch_op.drop_index(batch_op.f('ix_erasure_record_at'))
    op.drop_table('erasure_record')
