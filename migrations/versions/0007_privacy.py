"""privacy: the patient's stated urgency, the hospital's self-declared urgency setting, the registering hospital

Revision ID: 0007_privacy
Revises: 0006
Create Date: 2026-12-03 14:10:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0007_privacy'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    # batch mode: SQLite rebuilds the table, MariaDB alters it in place
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('urgency_by_patient', sa.String(length=8), nullable=True))
    with op.batch_alter_table('hospitals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('allow_self_declared_urgency', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('registered_hospital_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_patients_registered_hospital_id'), ['registered_hospital_id'],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_patients_registered_hospital_id_hospitals'), 'hospitals',
                                    ['registered_hospital_id'], ['id'])


def downgrade():
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_patients_registered_hospital_id_hospitals'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_patients_registered_hospital_id'))
        batch_op.drop_column('registered_hospital_id')
    with op.batch_alter_table('hospitals', schema=None) as batch_op:
        batch_op.drop_column('allow_self_declared_urgency')
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_column('urgency_by_patient')
