"""Help requests as the stations report them (one row each, with its steps) and the dispatcher's return visits.

Revision ID: 0003
Revises: 0002
"""

from alembic import op
import sqlalchemy as sa

from district.db.schema import Moment


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    _steps()
    _requests()
    _visits()


def _steps() -> None:
    op.create_table('request_steps',
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('at', Moment(), nullable=False),
    sa.Column('member_id', sa.String(length=32), nullable=True),
    sa.Column('detail', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_request_steps'))
    )
    with op.batch_alter_table('request_steps', schema=None) as batch_op:
        batch_op.create_index('ix_request_steps_request', ['request_id', 'at'], unique=False)


def _requests() -> None:
    op.create_table('help_requests',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('station_id', sa.String(length=64), nullable=False),
    sa.Column('number', sa.String(length=16), nullable=True),
    sa.Column('category', sa.String(length=64), nullable=True),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.Column('preferred_time', sa.String(length=16), nullable=True),
    sa.Column('building', sa.String(length=64), nullable=True),
    sa.Column('lang', sa.String(length=8), nullable=True),
    sa.Column('created_at', Moment(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('state_epoch', sa.BigInteger(), nullable=False),
    sa.Column('state_seq', sa.BigInteger(), nullable=False),
    sa.Column('member_id', sa.String(length=32), nullable=True),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('dispatched_at', Moment(), nullable=True),
    sa.Column('accepted_at', Moment(), nullable=True),
    sa.Column('done_at', Moment(), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('handed_back_at', Moment(), nullable=True),
    sa.Column('handed_back_reason', sa.String(length=32), nullable=True),
    sa.Column('handed_back_by', sa.String(length=32), nullable=True),
    sa.Column('rated_at', Moment(), nullable=True),
    sa.Column('stars', sa.Integer(), nullable=True),
    sa.Column('dispatch_command_id', sa.String(length=64), nullable=True),
    sa.Column('dispatch_member_id', sa.String(length=32), nullable=True),
    sa.Column('dispatch_by', sa.String(length=64), nullable=True),
    sa.Column('dispatch_asked_at', Moment(), nullable=True),
    sa.Column('updated_at', Moment(), nullable=False),
    sa.ForeignKeyConstraint(['station_id'], ['stations.id'], name=op.f('fk_help_requests_station_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_help_requests'))
    )
    with op.batch_alter_table('help_requests', schema=None) as batch_op:
        batch_op.create_index('ix_help_requests_member', ['member_id'], unique=False)
        batch_op.create_index('ix_help_requests_state_created', ['state', 'created_at'], unique=False)
        batch_op.create_index('ix_help_requests_station_created', ['station_id', 'created_at'], unique=False)


def _visits() -> None:
    op.create_table('return_visits',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('reached', sa.Boolean(), nullable=False),
    sa.Column('satisfaction', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('by', sa.String(length=64), nullable=False),
    sa.Column('at', Moment(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['help_requests.id'], name=op.f('fk_return_visits_request_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_return_visits'))
    )
    with op.batch_alter_table('return_visits', schema=None) as batch_op:
        batch_op.create_index('ix_return_visits_at', ['at'], unique=False)
        batch_op.create_index('ix_return_visits_request', ['request_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('return_visits', schema=None) as batch_op:
        batch_op.drop_index('ix_return_visits_request')
        batch_op.drop_index('ix_return_visits_at')

    op.drop_table('return_visits')
    with op.batch_alter_table('help_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_help_requests_station_created')
        batch_op.drop_index('ix_help_requests_state_created')
        batch_op.drop_index('ix_help_requests_member')

    op.drop_table('help_requests')
    with op.batch_alter_table('request_steps', schema=None) as batch_op:
        batch_op.drop_index('ix_request_steps_request')

    op.drop_table('request_steps')
