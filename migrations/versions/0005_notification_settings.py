"""per-hospital reminder hours and staff notices

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 10:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    # batch mode: SQLite rebuilds the table, MariaDB alters it in place
    with op.batch_alter_table('hospitals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminder_hours', sa.String(length=40), nullable=True))

    op.create_table('staff_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('hospital_id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'],
                            name=op.f('fk_staff_notices_appointment_id_appointments'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['hospital_id'], ['hospitals.id'], name=op.f('fk_staff_notices_hospital_id_hospitals')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_staff_notices_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_notices'))
    )
    with op.batch_alter_table('staff_notices', schema=None) as batch_op:
        batch_op.create_index('ix_staff_notices_user_read', ['user_id', 'read_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_notices_hospital_id'), ['hospital_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_notices_appointment_id'), ['appointment_id'], unique=False)


def downgrade():
    op.drop_table('staff_notices')
    with op.batch_alter_table('hospitals', schema=None) as batch_op:
        batch_op.drop_column('reminder_hours')
