"""The hub's first schema: stations, health, telemetry, events, positions, documents, deliveries,
commands, rejects, users and console sessions.

Revision ID: 0001
Revises: (none)
"""

import sqlalchemy as sa
from alembic import op

from district.db.schema import Moment


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    _tables_without_references()
    _commands_deliveries_events()
    _health_positions_telemetry()
    _console_sessions()


def _tables_without_references() -> None:
    op.create_table('documents',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('target', sa.String(length=64), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('created_at', Moment(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents')),
    sa.UniqueConstraint('kind', 'version', name='uq_documents_kind_version')
    )
    op.create_table('rejects',
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('station', sa.String(length=64), nullable=False),
    sa.Column('count', sa.BigInteger(), nullable=False),
    sa.Column('first_at', Moment(), nullable=False),
    sa.Column('last_at', Moment(), nullable=False),
    sa.Column('last_topic', sa.String(length=300), nullable=False),
    sa.Column('last_detail', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'station', name=op.f('pk_rejects'))
    )
    op.create_table('stations',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('command_key', sa.String(length=128), nullable=False),
    sa.Column('added_at', Moment(), nullable=False),
    sa.Column('removed_at', Moment(), nullable=True),
    sa.Column('keys_rotated_at', Moment(), nullable=True),
    sa.Column('online', sa.Boolean(), nullable=False),
    sa.Column('online_changed_at', Moment(), nullable=True),
    sa.Column('last_seen_at', Moment(), nullable=True),
    sa.Column('version', sa.String(length=40), nullable=True),
    sa.Column('session', sa.BigInteger(), nullable=True),
    sa.Column('started', sa.String(length=40), nullable=True),
    sa.Column('epoch', sa.BigInteger(), nullable=True),
    sa.Column('previous_epoch', sa.BigInteger(), nullable=True),
    sa.Column('restored_at', Moment(), nullable=True),
    sa.Column('sessions_missed', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stations'))
    )
    op.create_table('users',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', Moment(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('locked_until', Moment(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )


def _commands_deliveries_events() -> None:
    op.create_table('commands',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('station_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('args', sa.JSON(), nullable=False),
    sa.Column('created_at', Moment(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('expires_at', Moment(), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('sent_at', Moment(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('result_at', Moment(), nullable=True),
    sa.ForeignKeyConstraint(['station_id'], ['stations.id'], name=op.f('fk_commands_station_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commands'))
    )
    with op.batch_alter_table('commands', schema=None) as batch_op:
        batch_op.create_index('ix_commands_station_time', ['station_id', 'created_at'], unique=False)

    op.create_table('deliveries',
    sa.Column('station_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('published_version', sa.BigInteger(), nullable=True),
    sa.Column('published_at', Moment(), nullable=True),
    sa.Column('applied_version', sa.BigInteger(), nullable=True),
    sa.Column('applied_at', Moment(), nullable=True),
    sa.Column('rejected_version', sa.BigInteger(), nullable=True),
    sa.Column('rejected_at', Moment(), nullable=True),
    sa.Column('reasons', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['station_id'], ['stations.id'], name=op.f('fk_deliveries_station_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('station_id', 'kind', name=op.f('pk_deliveries'))
    )
    op.create_table('events',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('station_id', sa.String(length=64), nullable=False),
    sa.Column('epoch', sa.BigInteger(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('type', sa.String(length=64), nullable=False),
    sa.Column('ts', sa.String(length=40), nullable=False),
    sa.Column('received_at', Moment(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['station_id'], ['stations.id'], name=op.f('fk_events_station_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events')),
    sa.UniqueConstraint('station_id', 'epoch', 'seq', name='uq_events_station_epoch_seq')
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_station_time', ['station_id', 'received_at'], unique=False)
        batch_op.create_index('ix_events_type', ['type'], unique=False)



def _health_positions_telemetry() -> None:
    op.create_table('health',
    sa.Column('station_id', sa.String(length=64), nullable=False),
    sa.Column('received_at', Moment(), nullable=False),
    sa.Column('station_ts', sa.String(length=40), nullable=True),
    sa.Column('clock_skew_s', sa.Float(), nullable=True),
    sa.Column('printer', sa.String(length=20), nullable=True),
    sa.Column('printer_since', Moment(), nullable=True),
    sa.Column('reader', sa.String(length=20), nullable=True),
    sa.Column('lockers', sa.JSON(), nullable=True),
    sa.Column('locker_faults', sa.Integer(), nullable=False),
    sa.Column('faults_since', Moment(), nullable=True),
    sa.Column('tickets_waiting', sa.Integer(), nullable=True),
    sa.Column('outbox_depth', sa.BigInteger(), nullable=True),
    sa.Column('outbox_oldest_age_s', sa.Float(), nullable=True),
    sa.Column('acked_seq', sa.BigInteger(), nullable=True),
    sa.Column('last_seq', sa.BigInteger(), nullable=True),
    sa.Column('sync_error', sa.Text(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['station_id'], ['stations.id'], name=op.f('fk_health_station_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('station_id', name=op.f('pk_health'))
    )
    op.create_table('positions',
    sa.Column('station_id', sa.String(length=64), nullable=False),
    sa.Column('epoch', sa.BigInteger(), nullable=False),
    sa.Column('first_seq', sa.BigInteger(), nullable=False),
    sa.Column('upto_seq', sa.BigInteger(), nullable=False),
    sa.Column('max_seq', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', Moment(), nullable=False),
    sa.Column('replay_from', sa.BigInteger(), nullable=True),
    sa.Column('replay_asked_at', Moment(), nullable=True),
    sa.ForeignKeyConstraint(['station_id'], ['stations.id'], name=op.f('fk_positions_station_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('station_id', 'epoch', name=op.f('pk_positions'))
    )
    op.create_table('telemetry',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('station_id', sa.String(length=64), nullable=False),
    sa.Column('received_at', Moment(), nullable=False),
    sa.Column('station_ts', sa.String(length=40), nullable=True),
    sa.Column('printer', sa.String(length=20), nullable=True),
    sa.Column('tickets_waiting', sa.Integer(), nullable=True),
    sa.Column('outbox_depth', sa.BigInteger(), nullable=True),
    sa.Column('outbox_oldest_age_s', sa.Float(), nullable=True),
    sa.Column('cpu_temp_c', sa.Float(), nullable=True),
    sa.Column('load1', sa.Float(), nullable=True),
    sa.Column('mem_available_kb', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['station_id'], ['stations.id'], name=op.f('fk_telemetry_station_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_telemetry'))
    )
    with op.batch_alter_table('telemetry', schema=None) as batch_op:
        batch_op.create_index('ix_telemetry_station_time', ['station_id', 'received_at'], unique=False)



def _console_sessions() -> None:
    op.create_table('web_sessions',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', Moment(), nullable=False),
    sa.Column('last_seen_at', Moment(), nullable=False),
    sa.Column('expires_at', Moment(), nullable=False),
    sa.Column('revoked_at', Moment(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_web_sessions_user_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_web_sessions'))
    )


def downgrade() -> None:
    op.drop_table('web_sessions')
    with op.batch_alter_table('telemetry', schema=None) as batch_op:
        batch_op.drop_index('ix_telemetry_station_time')

    op.drop_table('telemetry')
    op.drop_table('positions')
    op.drop_table('health')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_type')
        batch_op.drop_index('ix_events_station_time')

    op.drop_table('events')
    op.drop_table('deliveries')
    with op.batch_alter_table('commands', schema=None) as batch_op:
        batch_op.drop_index('ix_commands_station_time')

    op.drop_table('commands')
    op.drop_table('users')
    op.drop_table('stations')
    op.drop_table('rejects')
    op.drop_table('documents')
