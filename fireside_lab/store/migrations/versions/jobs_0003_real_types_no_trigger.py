"""jobs 3 (store v2): real timestamps and booleans, no trigger hand-off, named constraints, the hot reads' indexes.

- Every time column becomes a timezone-aware UTC datetime (`UTCDateTime`: `TIMESTAMPTZ` on PostgreSQL, `DATETIME` on
  SQLite). Store v1 kept some as `TIMESTAMP` and some (`started_at`, `finished_at`, `updated_at`, `enabled_at`) as ISO
  text, all naive UTC. On SQLite every value is rewritten in SQLAlchemy's one text form (`2026-12-04 15:22:00.515278`),
  so that comparisons and `ORDER BY` on the text agree with time order; a value that is not an ISO 8601 time makes the
  revision fail (and, the upgrade being one transaction, change nothing).
- `git_dirty`, `cancel_requested` and `enabled` (0/1 integers) become booleans.
- `runs.event_detail` and its SQLite trigger `runs_event_detail` go: every status change now writes its run event in
  the same transaction, from Python.
- Named CHECK constraints (status, kind, queue, counts, progress) and foreign keys (a run's chain parent, an event's,
  a fire's and a chain step's run); the indexes of the hot reads replace store v1's.
- `params`, `outputs`, `chain` and `options` stay JSON text.

On SQLite each table is copied (`batch_alter_table(recreate="always")`); the copy keeps no trigger, and `jobs` keeps
none. `downgrade()` restores store v1's types, indexes, column and trigger (times as v1 wrote them: naive UTC).
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "jobs_0003"
down_revision = "jobs_0002"
branch_labels = None
depends_on = None

UTC = dt.timezone.utc
TZ_TIME = sa.DateTime(timezone=True)          # what `store.UTCDateTime` creates (a revision never imports live code)

#: table -> (store v1's TIMESTAMP columns, its ISO-text time columns)
TIMES = {
    "runs": (("created_at", "due_at"), ("started_at", "finished_at", "updated_at")),
    "run_events": (("at",), ()),
    "presets": (("created_at", "updated_at"), ()),
    "schedules": (("created_at",), ("enabled_at", "updated_at")),
    "schedule_fires": (("due_at", "fired_at"), ()),
    "chain_steps": (("started_at",), ()),
    "workers": (("started_at", "heartbeat_at"), ()),
}
#: table -> {flag column: its default as v2 declares it (None: no default)}
FLAGS = {"runs": {"git_dirty": None, "cancel_requested": False}, "schedules": {"enabled": True}}
DOUBLES = ("retry_delay", "timeout_s", "progress")        # REAL on store v1's SQLite, DOUBLE PRECISION on PostgreSQL
#: time columns that are NOT NULL (their nullability is restated when SQLite reads a text column as a datetime)
NOT_NULL_TIMES = {"created_at", "at", "updated_at", "enabled_at", "due_at", "fired_at", "started_at", "heartbeat_at"}
#: SQLite lets a store v1 single-column text/integer primary key hold NULL; v2 declares it NOT NULL
PRIMARY_KEYS = {"runs": ("run_id", sa.Text()), "run_events": ("id", sa.Integer()), "presets": ("name", sa.Text()),
                "schedules": ("name", sa.Text()), "workers": ("worker_id", sa.Text())}

STATUSES = ("queued", "running", "succeeded", "failed", "retrying", "cancelled", "interrupted")
CHECKS = [  # (name, table, condition)
    ("ck_runs_status", "runs", f"status IN ({', '.join(repr(s) for s in STATUSES)})"),
    ("ck_runs_kind", "runs", "kind IN ('callable', 'notebook', 'chain')"),
    ("ck_runs_queue", "runs", "queue IN ('cpu', 'gpu')"),
    ("ck_runs_counts", "runs", "attempt >= 0 AND retries >= 0"),
    ("ck_runs_progress", "runs", "progress IS NULL OR (progress >= 0 AND progress <= 1)"),
]
FOREIGN_KEYS = [  # (name, table, column): each refers to runs.run_id
    ("fk_runs_parent_id_runs", "runs", "parent_id"),
    ("fk_run_events_run_id_runs", "run_events", "run_id"),
    ("fk_schedule_fires_run_id_runs", "schedule_fires", "run_id"),
    ("fk_chain_steps_parent_id_runs", "chain_steps", "parent_id"),
]
OLD_INDEXES = [("runs_status", "runs", ["status"]), ("runs_created", "runs", ["created_at"]),
               ("runs_parent", "runs", ["parent_id"]), ("run_events_run", "run_events", ["run_id"])]
NEW_INDEXES = [("ix_runs_created_at_run_id", "runs", ["created_at", "run_id"]),
               ("ix_runs_status_created_at", "runs", ["status", "created_at"]),
               ("ix_runs_task_created_at", "runs", ["task", "created_at"]),
               ("ix_runs_parent_id_chain_step", "runs", ["parent_id", "chain_step"]),
               ("ix_run_events_run_id_id", "run_events", ["run_id", "id"])]

V1_TRIGGER = """
CREATE TRIGGER runs_event_detail AFTER UPDATE OF event_detail ON runs WHEN NEW.event_detail IS NOT NULL
BEGIN
    INSERT INTO run_events (run_id, status, "at", detail) VALUES (NEW.run_id, NEW.status, NEW.updated_at,
        NULLIF(NEW.event_detail, ''));
    UPDATE runs SET event_detail = NULL WHERE run_id = NEW.run_id;
END"""


def _time_columns(table: str) -> tuple[str, ...]:
    stamps, texts = TIMES[table]
    return stamps + texts


def _not_null(table: str, column: str) -> bool:
    "Whether a time column is NOT NULL (a run's `started_at`, `updated_at` and `due_at` may be NULL)."
    return column in NOT_NULL_TIMES and not (table == "runs" and column in ("started_at", "updated_at", "due_at"))


def _canonical(value, where: str) -> str:
    """A store v1 time (naive UTC ISO text, or text with an offset) as SQLAlchemy's SQLite text of that instant.
    Raises `ValueError` naming `where` and the value when it is not an ISO 8601 time."""
    try:
        t = dt.datetime.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"{where}: {value!r} is not an ISO 8601 time; fix or delete that row, then upgrade") from None
    if t.tzinfo is not None:
        t = t.astimezone(UTC).replace(tzinfo=None)
    return t.strftime("%Y-%m-%d %H:%M:%S.%f")


def _rewrite_sqlite_times(bind, table: str):
    "Rewrite every time value of `table` in SQLAlchemy's text form (same instant), one distinct value at a time."
    for col in _time_columns(table):
        values = [v for (v,) in bind.exec_driver_sql(f'SELECT DISTINCT "{col}" FROM {table} WHERE "{col}" IS NOT NULL')]
        for v in values:
            new = _canonical(v, f"{table}.{col}")
            if new != v:
                bind.exec_driver_sql(f'UPDATE {table} SET "{col}" = ? WHERE "{col}" = ?', (new, v))


def _upgrade_sqlite(bind):
    bind.exec_driver_sql("DROP TRIGGER IF EXISTS runs_event_detail")
    for table in TIMES:
        _rewrite_sqlite_times(bind, table)
        stamps, texts = TIMES[table]
        # read the text columns as datetimes, so batch mode copies their (already rewritten) text as it is: it would
        # CAST a TEXT column to DATETIME, i.e. to a number, on SQLite
        reflect = [sa.Column(c, sa.DateTime(), nullable=not _not_null(table, c)) for c in texts]
        kwargs = {"sqlite_autoincrement": True} if table == "run_events" else {}
        with op.batch_alter_table(table, recreate="always", reflect_args=reflect, table_kwargs=kwargs) as b:
            if table in PRIMARY_KEYS:
                key, key_type = PRIMARY_KEYS[table]
                b.alter_column(key, nullable=False, existing_type=key_type)
            if table == "runs":
                b.drop_column("event_detail")
                for c in DOUBLES:
                    b.alter_column(c, type_=sa.Double(), existing_type=sa.REAL())
            for c in stamps + texts:
                b.alter_column(c, type_=TZ_TIME, existing_type=sa.DateTime(), existing_nullable=not _not_null(table, c))
            for c, default in FLAGS.get(table, {}).items():
                b.alter_column(c, type_=sa.Boolean(), existing_type=sa.Integer(),
                               server_default=None if default is None else (sa.true() if default else sa.false()))
            for name, t, _ in OLD_INDEXES:
                if t == table:
                    b.drop_index(name)
            for name, t, cols in NEW_INDEXES:
                if t == table:
                    b.create_index(name, cols)
            for name, t, condition in CHECKS:
                if t == table:
                    b.create_check_constraint(op.f(name), sa.text(condition))
            for name, t, col in FOREIGN_KEYS:
                if t == table:
                    b.create_foreign_key(name, "runs", [col], ["run_id"])


def _upgrade_postgresql():
    op.drop_column("runs", "event_detail")
    for table, (stamps, texts) in TIMES.items():
        for c in stamps:
            op.alter_column(table, c, type_=TZ_TIME, postgresql_using=f"\"{c}\" AT TIME ZONE 'UTC'")
        for c in texts:
            op.alter_column(table, c, type_=TZ_TIME, postgresql_using=f"\"{c}\"::timestamp AT TIME ZONE 'UTC'")
    for table, flags in FLAGS.items():
        for c, default in flags.items():
            op.alter_column(table, c, server_default=None)          # an integer default cannot be cast to boolean
            op.alter_column(table, c, type_=sa.Boolean(), postgresql_using=f"{c} <> 0")
            if default is not None:
                op.alter_column(table, c, server_default=sa.true() if default else sa.false())
    for name, table, _ in OLD_INDEXES:
        op.drop_index(name, table_name=table)
    for name, table, cols in NEW_INDEXES:
        op.create_index(name, table, cols)
    for name, table, condition in CHECKS:
        op.create_check_constraint(op.f(name), table, sa.text(condition))
    for name, table, col in FOREIGN_KEYS:
        op.create_foreign_key(name, table, "runs", [col], ["run_id"])


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _upgrade_sqlite(bind)
    else:
        _upgrade_postgresql()


def _downgrade_sqlite(bind):
    for table in reversed(list(TIMES)):
        stamps, texts = TIMES[table]
        kwargs = {"sqlite_autoincrement": True} if table == "run_events" else {}
        with op.batch_alter_table(table, recreate="always", table_kwargs=kwargs) as b:
            for name, t, _ in FOREIGN_KEYS:
                if t == table:
                    b.drop_constraint(name, type_="foreignkey")
            for name, t, _ in CHECKS:
                if t == table:
                    b.drop_constraint(op.f(name), type_="check")
            for name, t, _ in NEW_INDEXES:
                if t == table:
                    b.drop_index(name)
            for name, t, cols in OLD_INDEXES:
                if t == table:
                    b.create_index(name, cols)
            for c, default in FLAGS.get(table, {}).items():
                b.alter_column(c, type_=sa.Integer(), existing_type=sa.Boolean(),
                               server_default=None if default is None else sa.text("1" if default else "0"))
            for c in stamps:
                b.alter_column(c, type_=sa.TIMESTAMP(), existing_type=TZ_TIME)
            for c in texts:
                b.alter_column(c, type_=sa.Text(), existing_type=TZ_TIME)
            if table == "runs":
                for c in DOUBLES:
                    b.alter_column(c, type_=sa.REAL(), existing_type=sa.Double())
                b.add_column(sa.Column("event_detail", sa.Text()))
    bind.exec_driver_sql(V1_TRIGGER)


def _downgrade_postgresql():
    op.add_column("runs", sa.Column("event_detail", sa.Text()))
    for name, table, _ in FOREIGN_KEYS:
        op.drop_constraint(name, table, type_="foreignkey")
    for name, table, _ in CHECKS:
        op.drop_constraint(op.f(name), table, type_="check")
    for name, table, _ in NEW_INDEXES:
        op.drop_index(name, table_name=table)
    for name, table, cols in OLD_INDEXES:
        op.create_index(name, table, cols)
    for table, flags in FLAGS.items():
        for c, default in flags.items():
            op.alter_column(table, c, server_default=None)
            op.alter_column(table, c, type_=sa.Integer(), postgresql_using=f"CASE WHEN {c} THEN 1 ELSE 0 END")
            if default is not None:
                op.alter_column(table, c, server_default=sa.text("1" if default else "0"))
    for table, (stamps, texts) in TIMES.items():
        for c in stamps:
            op.alter_column(table, c, type_=sa.TIMESTAMP(), postgresql_using=f"\"{c}\" AT TIME ZONE 'UTC'")
        for c in texts:
            op.alter_column(table, c, type_=sa.Text(),
                            postgresql_using=f"to_char(\"{c}\" AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')")


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _downgrade_sqlite(bind)
    else:
        _downgrade_postgresql()
