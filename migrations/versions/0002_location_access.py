"""location access

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 19:19:19.038843

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('location_access',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=8), nullable=False),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.id'], name=op.f('fk_location_access_room_id_rooms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_location_access_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_location_access')),
    sa.UniqueConstraint('room_id', 'user_id', name=op.f('uq_location_access_room_id_user_id'))
    )
    with op.batch_alter_table('location_access', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_location_access_room_id'), ['room_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_location_access_user_id'), ['user_id'], unique=False)



def downgrade():
    op.drop_table('location_access')
