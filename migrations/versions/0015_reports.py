"""daily statistics for the reports (docs/reports.md)

Revision ID: 0015_reports
Revises: 0014_predict
Create Date: 2026-12-03 21:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0015_reports'
down_revision = '0014_predict'
branch_labels = None
depends_on = None

COUNTS = ('offered_minutes', 'booked_minutes', 'used_minutes', 'lost_minutes', 'appointments', 'completed',
          'no_shows', 'cancellations', 'late_cancellations', 'lead_count')
WAITLIST = ('offers', 'offers_accepted', 'holds', 'holds_refilled', 'walk_ins', 'booked_arrivals', 'wait_count')


def upgrade():
    # derived rows: empty after the upgrade until `flask stats rebuild` runs (docs/reports.md)
    op.create_table('daily_stats',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('hospital_id', sa.Integer(), nullable=False),
    sa.Column('doctor_id', sa.Integer(), nullable=False),
    sa.Column('specialty_id', sa.Integer(), nullable=False),
    *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
    sa.Column('lead_hours_sum', sa.Float(), nullable=False),
    sa.Column('lead_hours_median', sa.Float(), nullable=True),
    *(sa.Column(name, sa.Integer(), nullable=False) for name in WAITLIST),
    sa.Column('wait_minutes_sum', sa.Float(), nullable=False),
    sa.Column('wait_median', sa.Float(), nullable=True),
    sa.Column('wait_p90', sa.Float(), nullable=True),
    sa.Column('consult_count', sa.Integer(), nullable=False),
    sa.Column('consult_minutes_sum', sa.Float(), nullable=False),
    sa.Column('consult_median', sa.Float(), nullable=True),
    sa.Column('consult_p90', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('day', 'hospital_id', 'doctor_id')
    )
    with op.batch_alter_table('daily_stats', schema=None) as batch_op:
        batch_op.create_index('ix_daily_stats_day', ['day'], unique=False)
        batch_op.create_index('ix_daily_stats_hospital_day', ['hospital_id', 'day'], unique=False)
        batch_op.create_index('ix_daily_stats_doctor_day', ['doctor_id', 'day'], unique=False)
    op.create_table('access_stats',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('hospital_id', sa.Integer(), nullable=False),
    sa.Column('specialty_id', sa.Integer(), nullable=False),
    sa.Column('third_next_days', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('day', 'hospital_id', 'specialty_id')
    )
    with op.batch_alter_table('access_stats', schema=None) as batch_op:
        batch_op.create_index('ix_access_stats_day', ['day'], unique=False)
        batch_op.create_index('ix_access_stats_hospital_day', ['hospital_id', 'day'], unique=False)


def downgrade():
    op.drop_table('access_stats')
    op.drop_table('daily_stats')
