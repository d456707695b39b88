"""recurring series of appointments (docs/series.md)

Revision ID: 0017_series
Revises: 0016_totals
Create Date: 2026-12-04 01:20:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0017_series"
down_revision = "0016_totals"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('series',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('hospital_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('doctor_id', sa.Integer(), nullable=True),
    sa.Column('specialty_id', sa.Integer(), nullable=True),
    sa.Column('appointment_type', sa.String(length=40), nullable=True),
    sa.Column('first_day', sa.Date(), nullable=False),
    sa.Column('every', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=5), nullable=False),
    sa.Column('count', sa.Integer(), nullable=True),
    sa.Column('until', sa.Date(), nullable=True),
    sa.Column('window_start', sa.Time(), nullable=False),
    sa.Column('window_end', sa.Time(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['doctor_id'], ['doctors.id'], ),
    sa.ForeignKeyConstraint(['hospital_id'], ['hospitals.id'], ),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], ),
    sa.ForeignKeyConstraint(['specialty_id'], ['specialties.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('series', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_series_hospital_id'), ['hospital_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_series_patient_id'), ['patient_id'], unique=False)
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('series_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_appointments_series_id'), ['series_id'], unique=False)
        batch_op.create_foreign_key('fk_appointments_series_id_series', 'series', ['series_id'], ['id'])


def downgrade():
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_constraint('fk_appointments_series_id_series', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_appointments_series_id'))
        batch_op.drop_column('series_id')
    op.drop_table('series')  # its indexes go with it (MariaDB refuses to drop one a foreign key uses)
