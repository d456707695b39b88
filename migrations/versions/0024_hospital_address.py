"""hospitals.address as VARCHAR(500), the form's limit: as TEXT, every sorted read of hospitals (a doctor's hospitals,
by name, on each booking) went through an on-disk temporary table on MariaDB (docs/benchmarks.md, "Start-up and
plain inserts")

Revision ID: 0024_hospital_address
Revises: 0023_room_start
Create Date: 2026-12-04 21:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0024_hospital_address"
down_revision = "0023_room_start"
branch_labels = None
depends_on = None

LIMIT = 500


def upgrade():
    bind = op.get_bind()
    length = "CHAR_LENGTH" if bind.dialect.name == "mysql" else "LENGTH"  # characters, not bytes
    longer = bind.execute(sa.text(f"SELECT id FROM hospitals WHERE {length}(address) > :limit ORDER BY id"),
                          {"limit": LIMIT}).scalars().all()
    if longer:  # never cut an address short: the form never allowed more, so somebody wrote these by hand
        raise RuntimeError(f"hospitals {', '.join(map(str, longer))} have an address longer than {LIMIT} "
                           "characters; shorten it, then upgrade again")
    with op.batch_alter_table("hospitals", schema=None) as batch_op:
        batch_op.alter_column("address", existing_type=sa.Text(), type_=sa.String(LIMIT), existing_nullable=True)


def downgrade():
    with op.batch_alter_table("hospitals", schema=None) as batch_op:
        batch_op.alter_column("address", existing_type=sa.String(LIMIT), type_=sa.Text(), existing_nullable=True)
