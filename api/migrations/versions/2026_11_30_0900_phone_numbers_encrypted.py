"""phone numbers encrypted

Phone numbers leave the database's clear text: appointment and home-visit numbers move
to an encrypted column (Fernet) with a keyed hash beside it for lookups; a phone
conversation's key "tel:+32..." becomes "tel:h:<keyed hash>" and its number is kept
encrypted in conversation.phone_enc. Existing rows are converted with the keys of the
environment the migration runs in (PHONE_ENCRYPTION_KEYS, PHONE_HASH_KEY; derived from
SECRET_KEY in development and test): the gateway must then run with the same keys.
The downgrade decrypts them back.

Revision ID: 90b79545628b
Revises: 2c7a9e4b5d18
Create Date: 2026-11-30 09:00:00
"""
import sqlalchemy as sa
from alembic import op
from app.core import crypto

revision = '90b79545628b'
down_revision = '2c7a9e4b5d18'
branch_labels = None
depends_on = None

CLEAR_PHONE_KEY = "tel:"
PHONE_TABLES = ("appointment", "home_visit_request")


def _table(name: str, *columns: str) -> sa.Table:
    return sa.table(name, sa.column("id"), *(sa.column(c) for c in columns))


def _drop_column(table: str, column: str) -> None:
    # Native DROP COLUMN (SQLite 3.35+, PostgreSQL) rather than batch mode's table copy:
    # with the gateway's foreign keys on, dropping the old conversation table would
    # first delete its rows and cascade to every message. SQLite rewrites each row
    # (secure_delete zeroes the old bytes).
    op.execute(f'ALTER TABLE {table} DROP COLUMN {column}')


def upgrade() -> None:
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone_enc', sa.Text(), nullable=True))
    for name in PHONE_TABLES:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.add_column(sa.Column('contact_phone_enc', sa.Text(), nullable=True))
            batch_op.add_column(sa.Column('contact_phone_hash', sa.String(length=64), nullable=True))
            batch_op.create_index(batch_op.f(f'ix_{name}_contact_phone_hash'), ['contact_phone_hash'], unique=False)

    bind = op.get_bind()
    conv = _table("conversation", "key", "phone_enc")
    rows = bind.execute(sa.select(conv.c.id, conv.c.key).where(
        conv.c.key.startswith(CLEAR_PHONE_KEY), ~conv.c.key.startswith(crypto.PHONE_KEY_PREFIX))).all()
    for row in rows:
        number = row.key.removeprefix(CLEAR_PHONE_KEY)
        bind.execute(conv.update().where(conv.c.id == row.id).values(
            key=crypto.phone_key(number), phone_enc=crypto.encrypt(number)))
    for name in PHONE_TABLES:
        table = _table(name, "contact_phone", "contact_phone_enc", "contact_phone_hash")
        for row in bind.execute(sa.select(table.c.id, table.c.contact_phone).where(
                table.c.contact_phone.is_not(None))).all():
            bind.execute(table.update().where(table.c.id == row.id).values(
                contact_phone=None, contact_phone_enc=crypto.encrypt(row.contact_phone),
                contact_phone_hash=crypto.phone_hash(row.contact_phone)))

    for name in PHONE_TABLES:
        _drop_column(name, 'contact_phone')


def downgrade() -> None:
    for name in PHONE_TABLES:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.add_column(sa.Column('contact_phone', sa.String(length=16), nullable=True))

    bind = op.get_bind()
    for name in PHONE_TABLES:
        table = _table(name, "contact_phone", "contact_phone_enc")
        for row in bind.execute(sa.select(table.c.id, table.c.contact_phone_enc).where(
                table.c.contact_phone_enc.is_not(None))).all():
            bind.execute(table.update().where(table.c.id == row.id).values(
                contact_phone=crypto.decrypt(row.contact_phone_enc)))
    conv = _table("conversation", "key", "phone_enc")
    for row in bind.execute(sa.select(conv.c.id, conv.c.phone_enc).where(
            conv.c.key.startswith(crypto.PHONE_KEY_PREFIX))).all():
        number = crypto.decrypt(row.phone_enc)
        if number:  # a number no key opens keeps its hashed key
            bind.execute(conv.update().where(conv.c.id == row.id).values(key=CLEAR_PHONE_KEY + number))

    for name in PHONE_TABLES:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{name}_contact_phone_hash'))
        _drop_column(name, 'contact_phone_hash')
        _drop_column(name, 'contact_phone_enc')
    _drop_column('conversation', 'phone_enc')
