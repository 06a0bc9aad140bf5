"""jobs 2 (store v1's `jobs#2`): run events written by a trigger for single-statement status changes.

The schema exactly as store v1 created it (its SQLite statements, and the PostgreSQL text it ran there), so that a
v1 store is adopted by stamping this revision (see `fireside_lab.store.schema`) and a new store passes through the
same history. Later revisions of the `jobs` branch turn it into the current schema.
"""
from alembic import op

revision = "jobs_0002"
down_revision = "jobs_0001"
branch_labels = None
depends_on = None

SQLITE = [
    """
ALTER TABLE runs ADD COLUMN event_detail TEXT""",
    """
CREATE TRIGGER runs_event_detail AFTER UPDATE OF event_detail ON runs WHEN NEW.event_detail IS NOT NULL
BEGIN
    INSERT INTO run_events (run_id, status, "at", detail) VALUES (NEW.run_id, NEW.status, NEW.updated_at,
        NULLIF(NEW.event_detail, ''));
    UPDATE runs SET event_detail = NULL WHERE run_id = NEW.run_id;
END""",
]

POSTGRESQL = """
ALTER TABLE runs ADD COLUMN event_detail TEXT
"""


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in SQLITE:
            bind.exec_driver_sql(statement)
    else:
        bind.exec_driver_sql(POSTGRESQL)


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.get_bind().exec_driver_sql("DROP TRIGGER IF EXISTS runs_event_detail")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("event_detail")
