"""the availability index: free bookable starts the slot search reads (docs/availability-index.md)

Revision ID: 0011_index
Revises: 0010_reads
Create Date: 2026-12-03 17:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011_index'
down_revision = '0010_reads'
branch_labels = None
depends_on = None


def upgrade():
    # derived rows: empty after the upgrade until `flask availability rebuild` runs (docs/availability-index.md)
    op.create_table('slot_index',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('hospital_id', sa.Integer(), nullable=False),
    sa.Column('doctor_id', sa.Integer(), nullable=False),
    sa.Column('specialty_id', sa.Integer(), nullable=True),
    sa.Column('variant', sa.String(length=40), nullable=False),
    sa.Column('start', sa.DateTime(), nullable=False),
    sa.Column('end', sa.DateTime(), nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('label', sa.String(length=40), nullable=False),
    sa.Column('types', sa.String(length=255), nullable=False),
    sa.Column('seats_left', sa.Integer(), nullable=False),
    sa.Column('urgent_hold', sa.Boolean(), nullable=False),
    sa.Column('book_by', sa.DateTime(), nullable=False),
    sa.Column('open_from', sa.DateTime(), nullable=False),
    sa.Column('release_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('slot_index', schema=None) as batch_op:
        batch_op.create_index('ix_slot_index_day', ['resource_id', 'hospital_id', 'local_date'], unique=False)
        batch_op.create_index('ix_slot_index_doctor', ['doctor_id', 'local_date', 'start'], unique=False)
        batch_op.create_index('ix_slot_index_hospital', ['hospital_id', 'local_date', 'start'], unique=False)
        batch_op.create_index('ix_slot_index_specialty', ['specialty_id', 'local_date', 'start'], unique=False)


def downgrade():
    op.drop_table('slot_index')
