"""Reports read the events of a few types in a range of days: index them by type and the station's time, so a
month's report reads that month's rows, not every row of those types since the district began
(bench/district_reports.py).

Revision ID: 0005
Revises: 0004
"""

from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_type_ts', ['type', 'ts'], unique=False)
        batch_op.drop_index('ix_events_type')


def downgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_type', ['type'], unique=False)
        batch_op.drop_index('ix_events_type_ts')
