"""message ids never reused

SQLite gives a new row the highest id + 1, so deleting the newest message (an erasure,
the retention purge) let the next one take its id, and a late Twilio status callback
or an open event stream that finds rows by id could land on the wrong message. The
message table is rebuilt with AUTOINCREMENT (sqlite_sequence remembers the highest id
ever given; the copied rows set it). PostgreSQL's sequences never reuse an id: nothing
to do there.

Revision ID: f673ef8ddd73
Revises: 90b79545628b
Create Date: 2026-11-30 09:30:00
"""
from alembic import op

revision = 'f673ef8ddd73'
down_revision = '90b79545628b'
branch_labels = None
depends_on = None


def _rebuild(autoincrement: bool) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    # The gateway's connections enforce foreign keys, and SQLite cannot turn that off
    # inside the migration's transaction: dropping the old table deletes its rows first,
    # which would cascade to the danger screen's flags. They are kept aside and put back.
    bind.exec_driver_sql("CREATE TEMP TABLE _safety_flag_kept AS SELECT * FROM safety_flag")
    with op.batch_alter_table('message', schema=None, recreate="always",
                              table_kwargs={"sqlite_autoincrement": autoincrement}):
        pass
    bind.exec_driver_sql("INSERT INTO safety_flag SELECT * FROM _safety_flag_kept "
                         "WHERE id NOT IN (SELECT id FROM safety_flag)")
    bind.exec_driver_sql("DROP TABLE _safety_flag_kept")


def upgrade() -> None:
    _rebuild(True)


def downgrade() -> None:
    _rebuild(False)
