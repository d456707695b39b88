"""reminder offsets per appointment type and the sent-reminders record (docs/operations.md, "Reminders")

Revision ID: 0021_reminders
Revises: 0020_teams
Create Date: 2026-12-04 01:20:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0021_reminders"
down_revision = "0020_teams"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('appointment_types', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminder_offsets', sa.String(length=40), nullable=True))
    op.create_table('sent_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('offset_hours', sa.Integer(), nullable=False),
    sa.Column('start', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_sent_reminders_appointment_id_appointments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sent_reminders')),
    sa.UniqueConstraint('appointment_id', 'offset_hours', 'start', name='uq_sent_reminders')
    )


def downgrade():
    op.drop_table('sent_reminders')
    with op.batch_alter_table('appointment_types', schema=None) as batch_op:
        batch_op.drop_column('reminder_offsets')
