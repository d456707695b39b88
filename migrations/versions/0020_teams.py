"""procedure teams: team templates per appointment type, participants of an appointment (docs/teams.md)

Revision ID: 0020_teams
Revises: 0019_federation
Create Date: 2026-12-04 01:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0020_teams"
down_revision = "0019_federation"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('team_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hospital_id', sa.Integer(), nullable=False),
    sa.Column('appointment_type_id', sa.Integer(), nullable=False),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['appointment_type_id'], ['appointment_types.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['hospital_id'], ['hospitals.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('appointment_type_id')
    )
    with op.batch_alter_table('team_templates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_team_templates_hospital_id'), ['hospital_id'], unique=False)
    op.create_table('appointment_participants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=40), nullable=False),
    sa.Column('absent', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resource_id'], ['resources.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('appointment_id', 'resource_id')
    )
    with op.batch_alter_table('appointment_participants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appointment_participants_appointment_id'), ['appointment_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_appointment_participants_resource_id'), ['resource_id'], unique=False)


def downgrade():
    # dropping a table drops its indexes (MariaDB refuses to drop an index a foreign key needs on its own)
    op.drop_table('appointment_participants')
    op.drop_table('team_templates')
