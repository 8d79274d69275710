"""handoff and counsellor accounts

The handoff state of each conversation (a conditional UPDATE on it makes a take
exclusive), who wrote each message, counsellor accounts with server-side sessions,
login throttling, the audit log, internal notes and the console's event stream.

Revision ID: bb4076a97d41
Revises: dc9fb33bdd11
Create Date: 2026-11-28 16:45:35.725180
"""
from alembic import op
import sqlalchemy as sa
import app.core.db


revision = 'bb4076a97d41'
down_revision = 'dc9fb33bdd11'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('console_event',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('conversation_id', sa.String(length=36), nullable=True),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('counsellor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_console_event'))
    )
    op.create_table('counsellor',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=40), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('languages', sa.String(length=64), nullable=False),
    sa.Column('console_language', sa.String(length=2), nullable=False),
    sa.Column('totp_secret', sa.String(length=64), nullable=True),
    sa.Column('totp_enabled', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('feed_token_hash', sa.String(length=64), nullable=True),
    sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_counsellor')),
    sa.UniqueConstraint('feed_token_hash', name=op.f('uq_counsellor_feed_token_hash')),
    sa.UniqueConstraint('username', name=op.f('uq_counsellor_username'))
    )
    op.create_table('login_throttle',
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_login_throttle'))
    )
    op.create_table('audit_entry',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('counsellor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('conversation_id', sa.String(length=36), nullable=True),
    sa.Column('at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['counsellor_id'], ['counsellor.id'], name=op.f('fk_audit_entry_counsellor_id_counsellor'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entry'))
    )
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entry_conversation_id'), ['conversation_id'], unique=False)

    op.create_table('console_session',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('counsellor_id', sa.Integer(), nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['counsellor_id'], ['counsellor.id'], name=op.f('fk_console_session_counsellor_id_counsellor'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_console_session'))
    )
    with op.batch_alter_table('console_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_console_session_counsellor_id'), ['counsellor_id'], unique=False)

    op.create_table('conversation_note',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('conversation_id', sa.String(length=36), nullable=False),
    sa.Column('counsellor_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'], name=op.f('fk_conversation_note_conversation_id_conversation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['counsellor_id'], ['counsellor.id'], name=op.f('fk_conversation_note_counsellor_id_counsellor'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversation_note'))
    )
    with op.batch_alter_table('conversation_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conversation_note_conversation_id'), ['conversation_id'], unique=False)

    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('handoff_state', sa.String(length=16), server_default='bot', nullable=False))
        batch_op.add_column(sa.Column('handoff_reason', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('urgent', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('danger_category', sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column('waiting_since', app.core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('counsellor_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('taken_at', app.core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_alert_at', app.core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('discreet', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('asked_safe_to_contact', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('safe_to_contact', sa.Boolean(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_conversation_counsellor_id_counsellor'), 'counsellor', ['counsellor_id'], ['id'], ondelete='SET NULL')
        batch_op.create_index(batch_op.f('ix_conversation_handoff_state'), ['handoff_state'], unique=False)

    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('counsellor_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('intent', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('media', sa.Text(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_message_counsellor_id_counsellor'), 'counsellor', ['counsellor_id'], ['id'], ondelete='SET NULL')



def downgrade() -> None:
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_message_counsellor_id_counsellor'), type_='foreignkey')
        batch_op.drop_column('media')
        batch_op.drop_column('intent')
        batch_op.drop_column('counsellor_id')
        batch_op.drop_column('kind')

    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversation_handoff_state'))
        batch_op.drop_constraint(batch_op.f('fk_conversation_counsellor_id_counsellor'), type_='foreignkey')
        batch_op.drop_column('safe_to_contact')
        batch_op.drop_column('asked_safe_to_contact')
        batch_op.drop_column('discreet')
        batch_op.drop_column('last_alert_at')
        batch_op.drop_column('taken_at')
        batch_op.drop_column('counsellor_id')
        batch_op.drop_column('waiting_since')
        batch_op.drop_column('danger_category')
        batch_op.drop_column('urgent')
        batch_op.drop_column('handoff_reason')
        batch_op.drop_column('handoff_state')

    with op.batch_alter_table('conversation_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversation_note_conversation_id'))

    op.drop_table('conversation_note')
    with op.batch_alter_table('console_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_console_session_counsellor_id'))

    op.drop_table('console_session')
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entry_conversation_id'))

    op.drop_table('audit_entry')
    op.drop_table('login_throttle')
    op.drop_table('counsellor')
    op.drop_table('console_event')
