"""no-show predictions on appointments: probability, model version, the answer to a confirm-or-release link
(docs/noshow.md, "Predictions on bookings")

Revision ID: 0014_predict
Revises: 0013_pay
Create Date: 2026-12-03 20:50:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0014_predict'
down_revision = '0013_pay'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('appointments') as batch:
        batch.add_column(sa.Column('noshow_p', sa.Float(), nullable=True))
        batch.add_column(sa.Column('noshow_model', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('attendance_answer', sa.String(length=12), nullable=True))


def downgrade():
    with op.batch_alter_table('appointments') as batch:
        batch.drop_column('attendance_answer')
        batch.drop_column('noshow_model')
        batch.drop_column('noshow_p')
