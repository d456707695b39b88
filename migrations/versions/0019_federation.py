"""federation sources, their slots and the bookings they confirmed (docs/federation.md)

Revision ID: 0019_federation
Revises: 0018_ratings
Create Date: 2026-12-04 01:06:27.957112

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0019_federation"
down_revision = "0018_ratings"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('federation_sources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('token', sa.String(length=200), nullable=True),
    sa.Column('max_age_minutes', sa.Integer(), nullable=False),
    sa.Column('paused', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('etag', sa.String(length=200), nullable=True),
    sa.Column('last_modified', sa.String(length=100), nullable=True),
    sa.Column('last_attempt_at', sa.DateTime(), nullable=True),
    sa.Column('last_success_at', sa.DateTime(), nullable=True),
    sa.Column('last_error_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('consecutive_failures', sa.Integer(), nullable=False),
    sa.Column('skipped_resources', sa.Integer(), nullable=False),
    sa.Column('circuit_open_until', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_federation_sources')),
    sa.UniqueConstraint('name', name=op.f('uq_federation_sources_name'))
    )
    op.create_table('external_slots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('remote_id', sa.String(length=64), nullable=False),
    sa.Column('start', sa.DateTime(), nullable=False),
    sa.Column('end', sa.DateTime(), nullable=False),
    sa.Column('specialty_code', sa.String(length=64), nullable=True),
    sa.Column('specialty_name', sa.String(length=120), nullable=True),
    sa.Column('visit_type', sa.String(length=64), nullable=True),
    sa.Column('practitioner', sa.String(length=200), nullable=True),
    sa.Column('practitioner_ref', sa.String(length=100), nullable=True),
    sa.Column('location', sa.String(length=200), nullable=True),
    sa.Column('location_ref', sa.String(length=100), nullable=True),
    sa.Column('booking_link', sa.String(length=1000), nullable=True),
    sa.Column('fetched_at', sa.DateTime(), nullable=False),
    sa.Column('hidden', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['source_id'], ['federation_sources.id'], name=op.f('fk_external_slots_source_id_federation_sources'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_external_slots')),
    sa.UniqueConstraint('source_id', 'remote_id', name='uq_external_slots_remote')
    )
    with op.batch_alter_table('external_slots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_external_slots_source_id'), ['source_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_external_slots_specialty_code'), ['specialty_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_external_slots_start'), ['start'], unique=False)

    op.create_table('external_bookings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('remote_id', sa.String(length=64), nullable=False),
    sa.Column('start', sa.DateTime(), nullable=False),
    sa.Column('end', sa.DateTime(), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=True),
    sa.Column('practitioner', sa.String(length=200), nullable=True),
    sa.Column('specialty_name', sa.String(length=120), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_external_bookings_patient_id_patients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_id'], ['federation_sources.id'], name=op.f('fk_external_bookings_source_id_federation_sources'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_external_bookings'))
    )
    with op.batch_alter_table('external_bookings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_external_bookings_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_external_bookings_source_id'), ['source_id'], unique=False)


def downgrade():
    # dropping a table drops its indexes (MariaDB refuses to drop an index a foreign key still needs)
    op.drop_table('external_bookings')
    op.drop_table('external_slots')
    op.drop_table('federation_sources')
