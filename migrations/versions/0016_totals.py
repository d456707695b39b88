"""running totals of the daily statistics for the region's dashboards (docs/reports.md, "Running totals")

Revision ID: 0016_totals
Revises: 0015_reports
Create Date: 2026-12-04 01:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0016_totals'
down_revision = '0015_reports'
branch_labels = None
depends_on = None

COUNTS = ('offered_minutes', 'booked_minutes', 'used_minutes', 'lost_minutes', 'appointments', 'completed',
          'no_shows', 'cancellations', 'late_cancellations', 'lead_count')
WAITLIST = ('offers', 'offers_accepted', 'holds', 'holds_refilled', 'walk_ins', 'booked_arrivals', 'wait_count')
WEIGHTED = ('wait_median_weighted', 'wait_p90_weighted', 'consult_median_weighted', 'consult_p90_weighted')


def upgrade():
    # derived rows: empty after the upgrade until `flask stats rebuild` runs (docs/reports.md)
    op.create_table('stat_totals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('hospital_id', sa.Integer(), nullable=False),
    sa.Column('specialty_id', sa.Integer(), nullable=False),
    *(sa.Column(name, sa.BigInteger(), nullable=False) for name in COUNTS),
    sa.Column('lead_hours_sum', sa.Double(), nullable=False),
    *(sa.Column(name, sa.BigInteger(), nullable=False) for name in WAITLIST),
    sa.Column('wait_minutes_sum', sa.Double(), nullable=False),
    sa.Column('consult_count', sa.BigInteger(), nullable=False),
    sa.Column('consult_minutes_sum', sa.Double(), nullable=False),
    *(sa.Column(name, sa.Double(), nullable=False) for name in WEIGHTED),
    sa.Column('access_days', sa.BigInteger(), nullable=False),
    sa.Column('access_measured', sa.BigInteger(), nullable=False),
    sa.Column('access_sum', sa.Double(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('day', 'hospital_id', 'specialty_id')
    )
    with op.batch_alter_table('stat_totals', schema=None) as batch_op:
        batch_op.create_index('ix_stat_totals_day', ['day'], unique=False)


def downgrade():
    op.drop_table('stat_totals')
