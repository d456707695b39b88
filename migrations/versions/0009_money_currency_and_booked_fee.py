"""hospitals have a currency; appointments keep the currency of the fee they were booked at

Revision ID: 0009_money
Revises: 0008_sessions
Create Date: 2026-12-03 17:20:00

"""
import sqlalchemy as sa
from alembic import op
from babel.numbers import get_territory_currencies

# revision identifiers, used by Alembic.
revision = '0009_money'
down_revision = '0008_sessions'
branch_labels = None
depends_on = None

FALLBACK = 'EUR'  # app/money.py: a country Babel knows no current currency for


def upgrade():
    conn = op.get_bind()
    # added in place, never rebuilt: SQLite's batch mode would drop hospitals and appointments, and with foreign keys
    # on that cascades into every table that references them (see 0008)
    op.add_column('hospitals', sa.Column('currency', sa.String(length=3), nullable=False, server_default=FALLBACK))
    op.add_column('appointments', sa.Column('currency', sa.String(length=3), nullable=True))
    hospitals = sa.table('hospitals', sa.column('id', sa.Integer), sa.column('country', sa.String),
                         sa.column('currency', sa.String))
    appointments = sa.table('appointments', sa.column('hospital_id', sa.Integer), sa.column('fee', sa.Numeric),
                            sa.column('currency', sa.String))
    for hospital_id, country in conn.execute(sa.select(hospitals.c.id, hospitals.c.country)).all():
        found = get_territory_currencies((country or '').upper()) if country else []
        currency = found[0] if found else FALLBACK
        conn.execute(hospitals.update().where(hospitals.c.id == hospital_id).values(currency=currency))
        # the fees already booked were charged in the hospital's money
        conn.execute(appointments.update().where(appointments.c.hospital_id == hospital_id,
                                                 appointments.c.fee.is_not(None)).values(currency=currency))


def downgrade():
    op.drop_column('appointments', 'currency')
    op.drop_column('hospitals', 'currency')
