"""jobs 5: a schedule's run options and policies; every due time's outcome in `schedule_fires`.

- `schedules` gains the run options of the runs it fires (`queue`, `timeout_s`, `retries`, `retry_delay`; NULL: the
  task's own) and two policies: `overlap` (`skip`, the default for existing schedules too; `queue`; `allow`) and
  `misfire` (`run_once`, the default; `skip`), with named CHECK constraints.
- `schedule_fires` records every due time's outcome: `outcome` (`run`, the value of existing rows; `skipped`,
  `waiting`, `missed`) and `detail`; `run_id` may be NULL (it is NULL exactly when the outcome is not `run`).
- `runs` gets the index `ix_runs_schedule_status` (the scheduler asks whether a schedule's run is unfinished).

Declared in `fireside_lab.jobs.tables`. On SQLite the two tables are copied (batch mode); on PostgreSQL they are
altered in place. `downgrade()` deletes the fires that ran nothing (their `run_id` is NULL) before making `run_id`
NOT NULL again. Never edit a released revision: add the next one.
"""
import sqlalchemy as sa
from alembic import op

revision = "jobs_0005"
down_revision = "jobs_0004"
branch_labels = None
depends_on = None

SCHEDULE_CHECKS = [  # (name, condition)
    ("ck_schedules_overlap", "overlap IN ('skip', 'queue', 'allow')"),
    ("ck_schedules_misfire", "misfire IN ('run_once', 'skip')"),
    ("ck_schedules_queue", "queue IS NULL OR queue IN ('cpu', 'gpu')"),
    ("ck_schedules_options", "(retries IS NULL OR retries >= 0) AND (timeout_s IS NULL OR timeout_s > 0) "
                             "AND (retry_delay IS NULL OR retry_delay >= 0)"),
]
FIRE_CHECKS = [
    ("ck_schedule_fires_outcome", "outcome IN ('run', 'skipped', 'waiting', 'missed')"),
    ("ck_schedule_fires_run_id", "(outcome = 'run') = (run_id IS NOT NULL)"),
]


def upgrade():
    with op.batch_alter_table("schedules") as b:
        b.add_column(sa.Column("queue", sa.Text))
        b.add_column(sa.Column("timeout_s", sa.Double))
        b.add_column(sa.Column("retries", sa.Integer))
        b.add_column(sa.Column("retry_delay", sa.Double))
        b.add_column(sa.Column("overlap", sa.Text, nullable=False, server_default="skip"))
        b.add_column(sa.Column("misfire", sa.Text, nullable=False, server_default="run_once"))
        for name, condition in SCHEDULE_CHECKS:
            b.create_check_constraint(op.f(name), sa.text(condition))
    with op.batch_alter_table("schedule_fires") as b:
        b.alter_column("run_id", existing_type=sa.Text(), nullable=True)
        b.add_column(sa.Column("outcome", sa.Text, nullable=False, server_default="run"))
        b.add_column(sa.Column("detail", sa.Text))
        for name, condition in FIRE_CHECKS:
            b.create_check_constraint(op.f(name), sa.text(condition))
    op.create_index("ix_runs_schedule_status", "runs", ["schedule", "status"])


def downgrade():
    op.drop_index("ix_runs_schedule_status", table_name="runs")
    op.execute("DELETE FROM schedule_fires WHERE run_id IS NULL")
    with op.batch_alter_table("schedule_fires") as b:
        for name, _ in FIRE_CHECKS:
            b.drop_constraint(op.f(name), type_="check")
        b.drop_column("detail")
        b.drop_column("outcome")
        b.alter_column("run_id", existing_type=sa.Text(), nullable=False)
    with op.batch_alter_table("schedules") as b:
        for name, _ in SCHEDULE_CHECKS:
            b.drop_constraint(op.f(name), type_="check")
        for c in ("misfire", "overlap", "retry_delay", "retries", "timeout_s", "queue"):
            b.drop_column(c)
