"""overbooking rules at three levels (docs/overbooking.md)

Revision ID: 0012_overbook
Revises: 0011_index
Create Date: 2026-12-03 21:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012_overbook'
down_revision = '0011_index'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('overbook_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=80), nullable=False),
    sa.Column('doctor_id', sa.Integer(), nullable=True),
    sa.Column('appointment_type', sa.String(length=40), nullable=True),
    sa.Column('max_extra', sa.Integer(), nullable=False),
    sa.Column('alpha', sa.Float(), nullable=False),
    sa.Column('low_risk', sa.Float(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['doctor_id'], ['doctors.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('scope')
    )
    with op.batch_alter_table('overbook_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_overbook_rules_doctor_id'), ['doctor_id'], unique=False)


def downgrade():
    op.drop_table('overbook_rules')
