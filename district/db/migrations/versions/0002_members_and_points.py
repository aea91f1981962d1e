"""Members and points: the register with its card history, the ledger with its balances, overdrafts,
the rosters last built per station, and each station's grid.

Revision ID: 0002
Revises: 0001
"""

from alembic import op
import sqlalchemy as sa

from district.db.schema import Moment


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    _members()
    _ledger()
    _overdrafts_rosters()


def _ledger() -> None:
    op.create_table('ledger',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('entry_id', sa.String(length=64), nullable=False),
    sa.Column('member_id', sa.String(length=32), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('station_id', sa.String(length=64), nullable=True),
    sa.Column('epoch', sa.BigInteger(), nullable=True),
    sa.Column('seq', sa.BigInteger(), nullable=True),
    sa.Column('event_id', sa.String(length=64), nullable=True),
    sa.Column('ts', sa.String(length=40), nullable=False),
    sa.Column('at', Moment(), nullable=False),
    sa.Column('recorded_at', Moment(), nullable=False),
    sa.Column('author', sa.String(length=64), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('station_balance', sa.BigInteger(), nullable=True),
    sa.Column('counts', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger')),
    sa.UniqueConstraint('entry_id', name=op.f('uq_ledger_entry_id')),
    sa.UniqueConstraint('event_id', name=op.f('uq_ledger_event_id'))
    )
    with op.batch_alter_table('ledger', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_at', ['at'], unique=False)
        batch_op.create_index('ix_ledger_member_at', ['member_id', 'at'], unique=False)
        batch_op.create_index('ix_ledger_station_position', ['station_id', 'epoch', 'seq'], unique=False)

    op.create_table('member_balances',
    sa.Column('member_id', sa.String(length=32), nullable=False),
    sa.Column('balance', sa.BigInteger(), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.Column('updated_at', Moment(), nullable=False),
    sa.PrimaryKeyConstraint('member_id', name=op.f('pk_member_balances'))
    )


def _members() -> None:
    op.create_table('station_points',
    sa.Column('station_id', sa.String(length=64), nullable=False),
    sa.Column('member_id', sa.String(length=32), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('station_id', 'member_id', name=op.f('pk_station_points'))
    )
    op.create_table('members',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('grid', sa.String(length=64), nullable=False),
    sa.Column('card_uid', sa.String(length=20), nullable=True),
    sa.Column('district', sa.String(length=64), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', Moment(), nullable=False),
    sa.Column('updated_at', Moment(), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.Column('deactivated_at', Moment(), nullable=True),
    sa.Column('deactivated_reason', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_members')),
    sa.UniqueConstraint('card_uid', name=op.f('uq_members_card_uid'))
    )
    op.create_table('member_cards',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('member_id', sa.String(length=32), nullable=False),
    sa.Column('card_uid', sa.String(length=20), nullable=False),
    sa.Column('assigned_at', Moment(), nullable=False),
    sa.Column('assigned_by', sa.String(length=64), nullable=False),
    sa.Column('released_at', Moment(), nullable=True),
    sa.Column('released_by', sa.String(length=64), nullable=True),
    sa.Column('released_why', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_member_cards_member_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_cards'))
    )
    with op.batch_alter_table('member_cards', schema=None) as batch_op:
        batch_op.create_index('ix_member_cards_member', ['member_id'], unique=False)

    with op.batch_alter_table('stations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('grid', sa.String(length=64), nullable=True))


def _overdrafts_rosters() -> None:
    op.create_table('overdrafts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('member_id', sa.String(length=32), nullable=False),
    sa.Column('deficit', sa.BigInteger(), nullable=False),
    sa.Column('balance', sa.BigInteger(), nullable=False),
    sa.Column('rule', sa.String(length=16), nullable=False),
    sa.Column('station_id', sa.String(length=64), nullable=False),
    sa.Column('entry_id', sa.String(length=64), nullable=False),
    sa.Column('adjustment_id', sa.String(length=64), nullable=True),
    sa.Column('detected_at', Moment(), nullable=False),
    sa.Column('reviewed_at', Moment(), nullable=True),
    sa.Column('reviewed_by', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_overdrafts'))
    )
    with op.batch_alter_table('overdrafts', schema=None) as batch_op:
        batch_op.create_index('ix_overdrafts_member', ['member_id'], unique=False)

    op.create_table('roster_state',
    sa.Column('station_id', sa.String(length=64), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('epoch', sa.BigInteger(), nullable=True),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('as_of_seq', sa.BigInteger(), nullable=False),
    sa.Column('built_at', Moment(), nullable=False),
    sa.ForeignKeyConstraint(['station_id'], ['stations.id'], name=op.f('fk_roster_state_station_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('station_id', name=op.f('pk_roster_state'))
    )


def downgrade() -> None:
    with op.batch_alter_table('stations', schema=None) as batch_op:
        batch_op.drop_column('grid')

    op.drop_table('roster_state')
    with op.batch_alter_table('member_cards', schema=None) as batch_op:
        batch_op.drop_index('ix_member_cards_member')

    op.drop_table('member_cards')
    with op.batch_alter_table('overdrafts', schema=None) as batch_op:
        batch_op.drop_index('ix_overdrafts_member')

    op.drop_table('overdrafts')
    op.drop_table('members')
    op.drop_table('station_points')
    op.drop_table('member_balances')
    with op.batch_alter_table('ledger', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_station_position')
        batch_op.drop_index('ix_ledger_member_at')
        batch_op.drop_index('ix_ledger_at')

    op.drop_table('ledger')
