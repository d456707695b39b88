"""appointments by room and start: the busy time of a room over a few days is an index range, not all of the
room's bookings (docs/availability-index.md, "Cost")

Revision ID: 0023_room_start
Revises: 0022_messages
Create Date: 2026-12-04 18:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0023_room_start"
down_revision = "0022_messages"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.create_index("ix_appointments_room_start", ["room_id", "start"], unique=False)


def downgrade():
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        bind = op.get_bind()
        if bind.dialect.name == "mysql" and not any(
                index["column_names"][:1] == ["room_id"] and index["name"] != "ix_appointments_room_start"
                for index in sa.inspect(bind).get_indexes("appointments")):
            # the foreign key needs an index on room_id: MariaDB dropped its own when this one covered it
            batch_op.create_index("fk_appointments_room_id_rooms", ["room_id"], unique=False)
        batch_op.drop_index("ix_appointments_room_start")
