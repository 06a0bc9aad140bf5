"""jobs 1 (store v1's `jobs#1`): runs, run events, presets, schedules, schedule fires, chain steps, worker heartbeats.

The schema exactly as store v1 created it (its SQLite statements, and the PostgreSQL text it ran there), so that a
v1 store is adopted by stamping this revision (see `fireside_lab.store.schema`) and a new store passes through the
same history. Later revisions of the `jobs` branch turn it into the current schema.
"""
from alembic import op

revision = "jobs_0001"
down_revision = None
branch_labels = ("jobs",)
depends_on = None

SQLITE = [
    """
CREATE TABLE runs (
    run_id TEXT PRIMARY KEY, task TEXT NOT NULL, kind TEXT NOT NULL, module TEXT, params TEXT NOT NULL,
    status TEXT NOT NULL, queue TEXT NOT NULL, attempt INTEGER NOT NULL DEFAULT 0,
        retries INTEGER NOT NULL DEFAULT 0,
    retry_delay REAL, timeout_s REAL, progress REAL, progress_message TEXT, error TEXT, traceback TEXT, cause TEXT,
    outputs TEXT, snapshot_id INTEGER, git_commit TEXT, git_dirty INTEGER, version TEXT, worker TEXT, consumer TEXT,
    created_at TIMESTAMP NOT NULL, started_at TEXT, finished_at TEXT, updated_at TEXT,
    notebook_path TEXT, html_path TEXT, failed_cell INTEGER, cancel_requested INTEGER NOT NULL DEFAULT 0,
    preset TEXT, schedule TEXT, due_at TIMESTAMP, parent_id TEXT, chain_step INTEGER, retry_of TEXT, chain TEXT)""",
    """
CREATE INDEX runs_status ON runs (status)""",
    """
CREATE INDEX runs_created ON runs (created_at)""",
    """
CREATE INDEX runs_parent ON runs (parent_id)""",
    """
CREATE TABLE run_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, status TEXT NOT NULL, "at" TIMESTAMP NOT NULL,
        detail TEXT)""",
    """
CREATE INDEX run_events_run ON run_events (run_id)""",
    """
CREATE TABLE presets (
    name TEXT PRIMARY KEY, task TEXT NOT NULL, module TEXT, params TEXT NOT NULL, options TEXT,
    created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL)""",
    """
CREATE TABLE schedules (
    name TEXT PRIMARY KEY, task TEXT NOT NULL, module TEXT, params TEXT NOT NULL, preset TEXT, cron TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1, enabled_at TEXT NOT NULL, source TEXT NOT NULL DEFAULT 'user',
    created_at TIMESTAMP NOT NULL, updated_at TEXT NOT NULL)""",
    """
CREATE TABLE schedule_fires (
    schedule TEXT NOT NULL, due_at TIMESTAMP NOT NULL, run_id TEXT NOT NULL, fired_at TIMESTAMP NOT NULL,
    PRIMARY KEY (schedule, due_at))""",
    """
CREATE TABLE chain_steps (parent_id TEXT NOT NULL, step INTEGER NOT NULL, started_at TIMESTAMP NOT NULL,
    PRIMARY KEY (parent_id, step))""",
    """
CREATE TABLE workers (
    worker_id TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL, queue TEXT NOT NULL,
        concurrency INTEGER NOT NULL,
    status TEXT NOT NULL, started_at TIMESTAMP NOT NULL, heartbeat_at TIMESTAMP NOT NULL, version TEXT,
        note TEXT)""",
]

POSTGRESQL = """
CREATE TABLE runs (
    run_id TEXT PRIMARY KEY, task TEXT NOT NULL, kind TEXT NOT NULL, module TEXT, params TEXT NOT NULL,
    status TEXT NOT NULL, queue TEXT NOT NULL, attempt INTEGER NOT NULL DEFAULT 0,
        retries INTEGER NOT NULL DEFAULT 0,
    retry_delay DOUBLE PRECISION, timeout_s DOUBLE PRECISION, progress DOUBLE PRECISION, progress_message TEXT,
        error TEXT, traceback TEXT, cause TEXT,
    outputs TEXT, snapshot_id INTEGER, git_commit TEXT, git_dirty INTEGER, version TEXT, worker TEXT, consumer TEXT,
    created_at TIMESTAMP NOT NULL, started_at TEXT, finished_at TEXT, updated_at TEXT,
    notebook_path TEXT, html_path TEXT, failed_cell INTEGER, cancel_requested INTEGER NOT NULL DEFAULT 0,
    preset TEXT, schedule TEXT, due_at TIMESTAMP, parent_id TEXT, chain_step INTEGER, retry_of TEXT, chain TEXT);
CREATE INDEX runs_status ON runs (status);
CREATE INDEX runs_created ON runs (created_at);
CREATE INDEX runs_parent ON runs (parent_id);
CREATE TABLE run_events (
    id BIGSERIAL PRIMARY KEY, run_id TEXT NOT NULL, status TEXT NOT NULL, "at" TIMESTAMP NOT NULL, detail TEXT);
CREATE INDEX run_events_run ON run_events (run_id);
CREATE TABLE presets (
    name TEXT PRIMARY KEY, task TEXT NOT NULL, module TEXT, params TEXT NOT NULL, options TEXT,
    created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL);
CREATE TABLE schedules (
    name TEXT PRIMARY KEY, task TEXT NOT NULL, module TEXT, params TEXT NOT NULL, preset TEXT, cron TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1, enabled_at TEXT NOT NULL, source TEXT NOT NULL DEFAULT 'user',
    created_at TIMESTAMP NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE schedule_fires (
    schedule TEXT NOT NULL, due_at TIMESTAMP NOT NULL, run_id TEXT NOT NULL, fired_at TIMESTAMP NOT NULL,
    PRIMARY KEY (schedule, due_at));
CREATE TABLE chain_steps (parent_id TEXT NOT NULL, step INTEGER NOT NULL, started_at TIMESTAMP NOT NULL,
    PRIMARY KEY (parent_id, step));
CREATE TABLE workers (
    worker_id TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL, queue TEXT NOT NULL,
        concurrency INTEGER NOT NULL,
    status TEXT NOT NULL, started_at TIMESTAMP NOT NULL, heartbeat_at TIMESTAMP NOT NULL, version TEXT, note TEXT)
"""


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in SQLITE:
            bind.exec_driver_sql(statement)
    else:
        bind.exec_driver_sql(POSTGRESQL)


def downgrade():
    op.drop_table("runs")
    op.drop_table("run_events")
    op.drop_table("presets")
    op.drop_table("schedules")
    op.drop_table("schedule_fires")
    op.drop_table("chain_steps")
    op.drop_table("workers")
