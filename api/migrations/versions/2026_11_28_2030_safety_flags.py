"""safety flags

Counsellors flag a danger alert as wrong, or a message the danger screen missed; the
team reads the list to grow the danger dev set. The message is referenced, not copied:
erasing a conversation erases its flags.

Revision ID: 5e2a9c1d7f30
Revises: bb4076a97d41
Create Date: 2026-11-28 20:30:00
"""
from alembic import op
import sqlalchemy as sa
import app.core.db


revision = '5e2a9c1d7f30'
down_revision = 'bb4076a97d41'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('safety_flag',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('category', sa.String(length=24), nullable=True),
    sa.Column('counsellor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'], name=op.f('fk_safety_flag_conversation_id_conversation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['counsellor_id'], ['counsellor.id'], name=op.f('fk_safety_flag_counsellor_id_counsellor'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['message_id'], ['message.id'], name=op.f('fk_safety_flag_message_id_message'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_safety_flag')),
    sa.UniqueConstraint('message_id', name='uq_safety_flag_message')
    )
    with op.batch_alter_table('safety_flag', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_safety_flag_conversation_id'), ['conversation_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('safety_flag', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_safety_flag_conversation_id'))
    op.drop_table('safety_flag')
