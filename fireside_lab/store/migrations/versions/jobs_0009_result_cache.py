"""jobs 9: the result cache — a run's cache key, the lake tables it read, and the run a cached run reuses.

- `runs` gains `cache_key` (text), `reads` (JSON text: {lake table: snapshot that last changed it when read}) and
  `cached_from` (the run id whose result a cached run reuses), all NULL for earlier runs, and the index
  `ix_runs_cache_key_status` (a cache lookup: succeeded runs of one key).

Declared in `fireside_lab.jobs.tables`. On SQLite the table is copied (batch mode); on PostgreSQL it is altered in
place. Never edit a released revision: add the next one.
"""
import sqlalchemy as sa
from alembic import op

revision = "jobs_0009"
down_revision = "jobs_0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("runs") as b:
        b.add_column(sa.Column("cache_key", sa.Text))
        b.add_column(sa.Column("reads", sa.Text))                  # JSON text, as store.JSONText writes it
        b.add_column(sa.Column("cached_from", sa.Text))
    op.create_index("ix_runs_cache_key_status", "runs", ["cache_key", "status"])


def downgrade():
    op.drop_index("ix_runs_cache_key_status", table_name="runs")
    with op.batch_alter_table("runs") as b:
        for c in ("cached_from", "reads", "cache_key"):
            b.drop_column(c)
