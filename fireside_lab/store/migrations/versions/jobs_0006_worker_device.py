"""jobs 6: a worker's heartbeat says what it computes on.

- `workers` gains `device` (text: the CUDA device's name, or the CPU), `device_memory_mib` and
  `device_memory_used_mib` (integers, MiB); all NULL for rows written before this revision.

Declared in `fireside_lab.jobs.tables`. On SQLite the table is copied (batch mode); on PostgreSQL it is altered in
place. Never edit a released revision: add the next one.
"""
import sqlalchemy as sa
from alembic import op

revision = "jobs_0006"
down_revision = "jobs_0005"
branch_labels = None
depends_on = None

COLUMNS = ("device", "device_memory_mib", "device_memory_used_mib")


def upgrade():
    with op.batch_alter_table("workers") as b:
        b.add_column(sa.Column("device", sa.Text))
        b.add_column(sa.Column("device_memory_mib", sa.Integer))
        b.add_column(sa.Column("device_memory_used_mib", sa.Integer))


def downgrade():
    with op.batch_alter_table("workers") as b:
        for c in reversed(COLUMNS):
            b.drop_column(c)
