"""The points supermarket from the district: each station's stock of each good (with the count that set it),
and its redemptions.

Revision ID: 0004
Revises: 0003
"""

from alembic import op
import sqlalchemy as sa

from district.db.schema import Moment


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('station_redemptions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('station_id', sa.String(length=64), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('epoch', sa.BigInteger(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('at', Moment(), nullable=False),
    sa.Column('voided', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['station_id'], ['stations.id'], name=op.f('fk_station_redemptions_station_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_station_redemptions'))
    )
    with op.batch_alter_table('station_redemptions', schema=None) as batch_op:
        batch_op.create_index('ix_station_redemptions_station_at', ['station_id', 'at'], unique=False)

    op.create_table('station_stock',
    sa.Column('station_id', sa.String(length=64), nullable=False),
    sa.Column('goods_id', sa.String(length=32), nullable=False),
    sa.Column('stock', sa.BigInteger(), nullable=False),
    sa.Column('set_epoch', sa.BigInteger(), nullable=False),
    sa.Column('set_seq', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', Moment(), nullable=False),
    sa.ForeignKeyConstraint(['station_id'], ['stations.id'], name=op.f('fk_station_stock_station_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('station_id', 'goods_id', name=op.f('pk_station_stock'))
    )


def downgrade() -> None:
    op.drop_table('station_stock')
    with op.batch_alter_table('station_redemptions', schema=None) as batch_op:
        batch_op.drop_index('ix_station_redemptions_station_at')

    op.drop_table('station_redemptions')
