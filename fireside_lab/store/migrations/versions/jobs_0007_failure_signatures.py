"""jobs 7: a failed attempt's signature, so the same crash is seen once.

- `runs` gains `signature` (16 hex digits, see `fireside_lab.jobs.failures`) and `signature_title` (one line for
  people), NULL for runs that failed before this revision, and the index `ix_runs_signature_finished_at` (failures are
  grouped by signature, newest first).

Declared in `fireside_lab.jobs.tables`. On SQLite the table is copied (batch mode); on PostgreSQL it is altered in
place. Never edit a released revision: add the next one.
"""
import sqlalchemy as sa
from alembic import op

revision = "jobs_0007"
down_revision = "jobs_0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("runs") as b:
        b.add_column(sa.Column("signature", sa.Text))
        b.add_column(sa.Column("signature_title", sa.Text))
    op.create_index("ix_runs_signature_finished_at", "runs", ["signature", "finished_at"])


def downgrade():
    op.drop_index("ix_runs_signature_finished_at", table_name="runs")
    with op.batch_alter_table("runs") as b:
        b.drop_column("signature_title")
        b.drop_column("signature")
