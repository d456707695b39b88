"""queue and waitlist

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 21:06:10.305723

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('queues',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hospital_id', sa.Integer(), nullable=False),
    sa.Column('doctor_id', sa.Integer(), nullable=False),
    sa.Column('prefix', sa.String(length=3), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['doctor_id'], ['doctors.id'], name=op.f('fk_queues_doctor_id_doctors')),
    sa.ForeignKeyConstraint(['hospital_id'], ['hospitals.id'], name=op.f('fk_queues_hospital_id_hospitals')),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.id'], name=op.f('fk_queues_room_id_rooms')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_queues')),
    sa.UniqueConstraint('hospital_id', 'doctor_id', name=op.f('uq_queues_hospital_id_doctor_id'))
    )
    with op.batch_alter_table('queues', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_queues_doctor_id'), ['doctor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_queues_hospital_id'), ['hospital_id'], unique=False)

    op.create_table('queue_counters',
    sa.Column('queue_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['queue_id'], ['queues.id'], name=op.f('fk_queue_counters_queue_id_queues')),
    sa.PrimaryKeyConstraint('queue_id', 'day', name=op.f('pk_queue_counters'))
    )
    op.create_table('queue_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('queue_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=12), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=12), nullable=False),
    sa.Column('priority', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('manual_offset', sa.Integer(), nullable=False),
    sa.Column('arrived_at', sa.DateTime(), nullable=False),
    sa.Column('called_at', sa.DateTime(), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_queue_entries_appointment_id_appointments')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_queue_entries_created_by_id_users')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_queue_entries_patient_id_patients')),
    sa.ForeignKeyConstraint(['queue_id'], ['queues.id'], name=op.f('fk_queue_entries_queue_id_queues')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_queue_entries')),
    sa.UniqueConstraint('appointment_id', name=op.f('uq_queue_entries_appointment_id')),
    sa.UniqueConstraint('queue_id', 'day', 'number', name=op.f('uq_queue_entries_queue_id_day_number')),
    sa.UniqueConstraint('queue_id', 'day', 'patient_id', name=op.f('uq_queue_entries_queue_id_day_patient_id'))
    )
    with op.batch_alter_table('queue_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_queue_entries_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index('ix_queue_entries_queue_day_status', ['queue_id', 'day', 'status'], unique=False)

    op.create_table('waitlist_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('specialty_id', sa.Integer(), nullable=True),
    sa.Column('doctor_id', sa.Integer(), nullable=True),
    sa.Column('hospital_ids', sa.String(length=255), nullable=False),
    sa.Column('near_lat', sa.Float(), nullable=True),
    sa.Column('near_lon', sa.Float(), nullable=True),
    sa.Column('radius_km', sa.Integer(), nullable=True),
    sa.Column('latest', sa.Date(), nullable=False),
    sa.Column('urgency', sa.String(length=8), nullable=False),
    sa.Column('times_of_day', sa.String(length=40), nullable=False),
    sa.Column('appointment_type', sa.String(length=40), nullable=True),
    sa.Column('current_appointment_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('active_key', sa.String(length=120), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('booked_appointment_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['booked_appointment_id'], ['appointments.id'], name=op.f('fk_waitlist_entries_booked_appointment_id_appointments')),
    sa.ForeignKeyConstraint(['current_appointment_id'], ['appointments.id'], name=op.f('fk_waitlist_entries_current_appointment_id_appointments')),
    sa.ForeignKeyConstraint(['doctor_id'], ['doctors.id'], name=op.f('fk_waitlist_entries_doctor_id_doctors')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_waitlist_entries_patient_id_patients')),
    sa.ForeignKeyConstraint(['specialty_id'], ['specialties.id'], name=op.f('fk_waitlist_entries_specialty_id_specialties')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_waitlist_entries')),
    sa.UniqueConstraint('active_key', name=op.f('uq_waitlist_entries_active_key'))
    )
    with op.batch_alter_table('waitlist_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_waitlist_entries_doctor_id'), ['doctor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_waitlist_entries_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index('ix_waitlist_entries_status_specialty', ['status', 'specialty_id'], unique=False)

    op.create_table('encounters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('doctor_id', sa.Integer(), nullable=False),
    sa.Column('hospital_id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('follow_up_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_encounters_appointment_id_appointments')),
    sa.ForeignKeyConstraint(['doctor_id'], ['doctors.id'], name=op.f('fk_encounters_doctor_id_doctors')),
    sa.ForeignKeyConstraint(['entry_id'], ['queue_entries.id'], name=op.f('fk_encounters_entry_id_queue_entries')),
    sa.ForeignKeyConstraint(['follow_up_id'], ['appointments.id'], name=op.f('fk_encounters_follow_up_id_appointments')),
    sa.ForeignKeyConstraint(['hospital_id'], ['hospitals.id'], name=op.f('fk_encounters_hospital_id_hospitals')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_encounters_patient_id_patients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_encounters')),
    sa.UniqueConstraint('entry_id', name=op.f('uq_encounters_entry_id'))
    )
    with op.batch_alter_table('encounters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_encounters_doctor_id'), ['doctor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_encounters_hospital_id'), ['hospital_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_encounters_patient_id'), ['patient_id'], unique=False)

    op.create_table('offers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('hold_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('responded_at', sa.DateTime(), nullable=True),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['waitlist_entries.id'], name=op.f('fk_offers_entry_id_waitlist_entries')),
    sa.ForeignKeyConstraint(['hold_id'], ['appointments.id'], name=op.f('fk_offers_hold_id_appointments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offers')),
    sa.UniqueConstraint('entry_id', 'hold_id', name=op.f('uq_offers_entry_id_hold_id'))
    )
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offers_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_offers_hold_id'), ['hold_id'], unique=False)

    op.create_table('vitals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('encounter_id', sa.Integer(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('systolic_mmhg', sa.Integer(), nullable=True),
    sa.Column('diastolic_mmhg', sa.Integer(), nullable=True),
    sa.Column('pulse_bpm', sa.Integer(), nullable=True),
    sa.Column('temperature_c', sa.Numeric(precision=4, scale=1), nullable=True),
    sa.Column('spo2_percent', sa.Integer(), nullable=True),
    sa.Column('weight_kg', sa.Numeric(precision=5, scale=1), nullable=True),
    sa.Column('height_cm', sa.Numeric(precision=4, scale=1), nullable=True),
    sa.ForeignKeyConstraint(['encounter_id'], ['encounters.id'], name=op.f('fk_vitals_encounter_id_encounters'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_vitals_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vitals'))
    )
    with op.batch_alter_table('vitals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vitals_encounter_id'), ['encounter_id'], unique=False)

    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hold_until', sa.DateTime(), nullable=True))

    with op.batch_alter_table('hospitals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancel_cutoff_hours', sa.Integer(), server_default='24', nullable=False))
        batch_op.add_column(sa.Column('noshow_grace_minutes', sa.Integer(), server_default='30', nullable=False))
        batch_op.add_column(sa.Column('offer_hold_minutes', sa.Integer(), server_default='15', nullable=False))



def downgrade():
    # drop whole tables: on MariaDB an index that backs a foreign key cannot be dropped on its own
    for table in ('vitals', 'offers', 'encounters', 'waitlist_entries', 'queue_entries', 'queue_counters', 'queues'):
        op.drop_table(table)
    with op.batch_alter_table('hospitals', schema=None) as batch_op:
        batch_op.drop_column('offer_hold_minutes')
        batch_op.drop_column('noshow_grace_minutes')
        batch_op.drop_column('cancel_cutoff_hours')
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_column('hold_until')
