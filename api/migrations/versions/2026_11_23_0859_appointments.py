"""appointments

Appointments (a partial unique index on service, start and seat among booked rows is
what prevents double booking), home-visit requests and admin closure days.

Revision ID: dc9fb33bdd11
Revises: f41f0991ca0b
Create Date: 2026-11-23 08:59:10.128780
"""
from alembic import op
import sqlalchemy as sa
import app.core.db


revision = 'dc9fb33bdd11'
down_revision = 'f41f0991ca0b'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('closure_day',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_closure_day')),
    sa.UniqueConstraint('date', name=op.f('uq_closure_day_date'))
    )
    op.create_table('appointment',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('reference', sa.String(length=6), nullable=False),
    sa.Column('service', sa.String(length=16), nullable=False),
    sa.Column('starts_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('seat', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('first_name', sa.String(length=40), nullable=False),
    sa.Column('contact_phone', sa.String(length=16), nullable=True),
    sa.Column('conversation_id', sa.String(length=36), nullable=True),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=True),
    sa.Column('idempotency_hash', sa.String(length=64), nullable=True),
    sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reminder_claimed_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reminder_sent_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("service IN ('social', 'legal')", name=op.f('ck_appointment_service')),
    sa.CheckConstraint("status IN ('booked', 'cancelled')", name=op.f('ck_appointment_status')),
    sa.CheckConstraint('seat >= 1', name=op.f('ck_appointment_seat')),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'], name=op.f('fk_appointment_conversation_id_conversation'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointment')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_appointment_idempotency_key')),
    sa.UniqueConstraint('reference', name=op.f('uq_appointment_reference'))
    )
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appointment_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appointment_starts_at'), ['starts_at'], unique=False)
        batch_op.create_index('uq_appointment_service_starts_at_seat', ['service', 'starts_at', 'seat'], unique=True, sqlite_where=sa.text("status = 'booked'"), postgresql_where=sa.text("status = 'booked'"))

    op.create_table('home_visit_request',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('conversation_id', sa.String(length=36), nullable=True),
    sa.Column('first_name', sa.String(length=40), nullable=False),
    sa.Column('contact_phone', sa.String(length=16), nullable=True),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('requested', 'confirmed', 'declined')", name=op.f('ck_home_visit_request_status')),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'], name=op.f('fk_home_visit_request_conversation_id_conversation'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_home_visit_request'))
    )
    with op.batch_alter_table('home_visit_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_home_visit_request_conversation_id'), ['conversation_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('home_visit_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_home_visit_request_conversation_id'))

    op.drop_table('home_visit_request')
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.drop_index('uq_appointment_service_starts_at_seat', sqlite_where=sa.text("status = 'booked'"), postgresql_where=sa.text("status = 'booked'"))
        batch_op.drop_index(batch_op.f('ix_appointment_starts_at'))
        batch_op.drop_index(batch_op.f('ix_appointment_conversation_id'))

    op.drop_table('appointment')
    op.drop_table('closure_day')
