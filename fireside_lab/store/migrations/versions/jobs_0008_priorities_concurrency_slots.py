"""jobs 8: priorities, concurrency keys and resource slots.

- `runs` gains `priority` (integer, NOT NULL, default 0: existing runs too), `concurrency_key`, `concurrency_limit`
  (CHECK >= 1 when set), `slots` (JSON list of slot names) and `waiting_reason`.
- `workers` gains `slots` (the slots a worker offers, comma separated).
- The new table `run_leases` (lease PRIMARY KEY, run_id, acquired_at) holds what running runs hold.

Declared in `fireside_lab.jobs.tables`. On SQLite the tables are copied (batch mode); on PostgreSQL they are altered
in place. Never edit a released revision: add the next one.
"""
import sqlalchemy as sa
from alembic import op

revision = "jobs_0008"
down_revision = "jobs_0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("runs") as b:
        b.add_column(sa.Column("priority", sa.Integer, nullable=False, server_default="0"))
        b.add_column(sa.Column("concurrency_key", sa.Text))
        b.add_column(sa.Column("concurrency_limit", sa.Integer))
        b.add_column(sa.Column("slots", sa.Text))              # JSON text, as store.JSONText writes it
        b.add_column(sa.Column("waiting_reason", sa.Text))
        b.create_check_constraint(op.f("ck_runs_concurrency_limit"),
                                  sa.text("concurrency_limit IS NULL OR concurrency_limit >= 1"))
    with op.batch_alter_table("workers") as b:
        b.add_column(sa.Column("slots", sa.Text))
    op.create_table("run_leases",
                    sa.Column("lease", sa.Text), sa.Column("run_id", sa.Text, nullable=False),
                    sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
                    sa.PrimaryKeyConstraint("lease", name="pk_run_leases"))
    op.create_index("ix_run_leases_run_id", "run_leases", ["run_id"])


def downgrade():
    op.drop_index("ix_run_leases_run_id", table_name="run_leases")
    op.drop_table("run_leases")
    with op.batch_alter_table("workers") as b:
        b.drop_column("slots")
    with op.batch_alter_table("runs") as b:
        b.drop_constraint(op.f("ck_runs_concurrency_limit"), type_="check")
        for c in ("waiting_reason", "slots", "concurrency_limit", "concurrency_key", "priority"):
            b.drop_column(c)
