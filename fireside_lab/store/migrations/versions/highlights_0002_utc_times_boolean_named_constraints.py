"""highlights 2: real UTC timestamps, a boolean `has_audio`, named constraints.

Store v1 kept the time columns as naive-UTC `TIMESTAMP` (ISO text on SQLite) and `has_audio` as an integer, with
unnamed constraints. This revision turns the three tables into what `fireside_lab/highlights/tables.py` declares:

- `processed_at`, `created_at`, `decided_at` -> `UTCDateTime`: `TIMESTAMP WITH TIME ZONE` on PostgreSQL (the naive
  values are read as UTC), `DATETIME` on SQLite with every value rewritten in SQLAlchemy's text form
  (`2026-12-04 15:22:05.670635`, naive UTC) so that text comparisons order them as times;
- `has_audio` -> `BOOLEAN` (PostgreSQL: `has_audio <> 0`; SQLite keeps its 0/1 values);
- primary keys, the unique `segment_id` of a label and the check constraints get the store's convention names
  (`pk_<table>`, `uq_<table>_<column>`, `ck_<table>_<name>`), so a later revision can address them by name.

Every row is kept. SQLite cannot alter a column, so each table is copied into its new shape
(`batch_alter_table(recreate="always", copy_from=<the new table>)`): the copy is declared here in full, which also
drops store v1's unnamed CHECK constraints instead of carrying them beside the named ones. No table of this line has
a trigger. `downgrade()` restores store v1's types and unnamed constraints (times stay in the text form above, which
store v1 reads).
"""
import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "highlights_0002"
down_revision = "highlights_0001"
branch_labels = None
depends_on = None

TIME_COLUMNS = {"highlight_videos": "processed_at", "highlight_segments": "created_at",
                "highlight_labels": "decided_at"}

#: PostgreSQL: store v1's constraint names (PostgreSQL's defaults for its DDL) -> this revision's
PG_NAMES = {
    "highlight_videos": [("highlight_videos_pkey", "pk_highlight_videos")],
    "highlight_segments": [("highlight_segments_pkey", "pk_highlight_segments"),
                           ("highlight_segments_check", "ck_highlight_segments_end_after_start")],
    "highlight_labels": [("highlight_labels_pkey", "pk_highlight_labels"),
                         ("highlight_labels_segment_id_key", "uq_highlight_labels_segment_id"),
                         ("highlight_labels_decision_check", "ck_highlight_labels_decision"),
                         ("highlight_labels_check", "ck_highlight_labels_end_after_start")],
}


def _tables(v2: bool) -> list[sa.Table]:
    "The three tables in this revision's shape (`v2`) or in store v1's (for the downgrade), for SQLite's copy."
    md = sa.MetaData()
    time = sa.DateTime(timezone=True) if v2 else sa.TIMESTAMP()
    real = sa.Float() if v2 else sa.REAL()
    name = (lambda n: n) if v2 else (lambda n: None)
    videos = sa.Table(
        "highlight_videos", md,
        sa.Column("video_id", sa.Text, primary_key=True), sa.Column("detector_version", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False), sa.Column("path", sa.Text, nullable=False),
        sa.Column("content_hash", sa.Text, nullable=False), sa.Column("duration_s", real, nullable=False),
        sa.Column("fps", real, nullable=False), sa.Column("width", sa.Integer, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("has_audio", sa.Boolean() if v2 else sa.Integer(), nullable=False),
        sa.Column("settings", sa.Text, nullable=False), sa.Column("analysis_s", real),
        sa.Column("processed_at", time, nullable=False),
        sa.PrimaryKeyConstraint("video_id", "detector_version", name=name("pk_highlight_videos")),
    )
    segments = sa.Table(
        "highlight_segments", md,
        sa.Column("segment_id", sa.Text), sa.Column("video_id", sa.Text, nullable=False),
        sa.Column("detector_version", sa.Text, nullable=False), sa.Column("start_s", real, nullable=False),
        sa.Column("end_s", real, nullable=False), sa.Column("score", real, nullable=False),
        sa.Column("peak_s", real, nullable=False), sa.Column("clip_path", sa.Text, nullable=False),
        sa.Column("thumbnail_path", sa.Text, nullable=False), sa.Column("created_at", time, nullable=False),
        sa.PrimaryKeyConstraint("segment_id", name=name("pk_highlight_segments")),
        sa.CheckConstraint("end_s > start_s", name=name("ck_highlight_segments_end_after_start")),
        sa.Index("highlight_segments_video", "video_id", "detector_version"),
    )
    labels = sa.Table(
        "highlight_labels", md,
        sa.Column("label_id", sa.Text), sa.Column("segment_id", sa.Text),
        sa.Column("video_id", sa.Text, nullable=False),
        sa.Column("decision", sa.Text, nullable=False), sa.Column("start_s", real, nullable=False),
        sa.Column("end_s", real, nullable=False), sa.Column("reviewer", sa.Text, nullable=False),
        sa.Column("decided_at", time, nullable=False), sa.Column("clip_path", sa.Text),
        sa.Column("thumbnail_path", sa.Text),
        sa.PrimaryKeyConstraint("label_id", name=name("pk_highlight_labels")),
        sa.UniqueConstraint("segment_id", name=name("uq_highlight_labels_segment_id")),
        sa.CheckConstraint("decision IN ('accept', 'reject', 'adjust')", name=name("ck_highlight_labels_decision")),
        sa.CheckConstraint("end_s > start_s", name=name("ck_highlight_labels_end_after_start")),
    )
    return [videos, segments, labels]


def _as_utc_text(value, where: str) -> str:
    "A store v1 time (ISO text, naive = UTC, or with an offset) in SQLAlchemy's SQLite form, naive UTC."
    if not isinstance(value, str):
        raise ValueError(f"{where}: cannot read the time {value!r}")
    t = dt.datetime.fromisoformat(value.strip())
    if t.tzinfo is not None: t = t.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return t.strftime("%Y-%m-%d %H:%M:%S.%f")


def _rewrite_times(bind, table: str, column: str):
    "SQLite: rewrite every value of a time column in SQLAlchemy's text form (raises ValueError for an unreadable one)."
    rows = bind.execute(sa.text(f'SELECT rowid, "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL')).all()
    fixed = [{"r": r, "v": new} for r, v in rows if (new := _as_utc_text(v, f"{table}.{column}")) != v]
    if fixed: bind.execute(sa.text(f'UPDATE "{table}" SET "{column}" = :v WHERE rowid = :r'), fixed)


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for table in _tables(v2=True):
            with op.batch_alter_table(table.name, recreate="always", copy_from=table):
                pass
            _rewrite_times(bind, table.name, TIME_COLUMNS[table.name])
        return
    for table, column in TIME_COLUMNS.items():
        op.alter_column(table, column, type_=sa.DateTime(timezone=True), existing_type=sa.TIMESTAMP(),
                        existing_nullable=False, postgresql_using=f"\"{column}\" AT TIME ZONE 'UTC'")
    op.alter_column("highlight_videos", "has_audio", type_=sa.Boolean(), existing_type=sa.Integer(),
                    existing_nullable=False, postgresql_using="has_audio <> 0")
    for table, names in PG_NAMES.items():
        for old, new in names:
            op.execute(f"ALTER TABLE {table} RENAME CONSTRAINT {old} TO {new}")


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for table in _tables(v2=False):
            with op.batch_alter_table(table.name, recreate="always", copy_from=table):
                pass
        return
    for table, names in PG_NAMES.items():
        for old, new in names:
            op.execute(f"ALTER TABLE {table} RENAME CONSTRAINT {new} TO {old}")
    op.alter_column("highlight_videos", "has_audio", type_=sa.Integer(), existing_type=sa.Boolean(),
                    existing_nullable=False, postgresql_using="has_audio::integer")
    for table, column in TIME_COLUMNS.items():
        op.alter_column(table, column, type_=sa.TIMESTAMP(), existing_type=sa.DateTime(timezone=True),
                        existing_nullable=False, postgresql_using=f"\"{column}\" AT TIME ZONE 'UTC'")
