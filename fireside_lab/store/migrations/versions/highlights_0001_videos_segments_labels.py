"""highlights 1 (store v1's `highlights#1`): highlight videos, segments and review labels.

The schema exactly as store v1 created it (its SQLite statements, and the PostgreSQL text it ran there), so that a
v1 store is adopted by stamping this revision (see `fireside_lab.store.schema`) and a new store passes through the
same history. Later revisions of the `highlights` branch turn it into the current schema.
"""
from alembic import op

revision = "highlights_0001"
down_revision = None
branch_labels = ("highlights",)
depends_on = None

SQLITE = [
    """
CREATE TABLE IF NOT EXISTS highlight_videos (
    video_id TEXT NOT NULL, detector_version TEXT NOT NULL, name TEXT NOT NULL, path TEXT NOT NULL,
    content_hash TEXT NOT NULL, duration_s REAL NOT NULL, fps REAL NOT NULL, width INTEGER NOT NULL,
        height INTEGER NOT NULL,
    has_audio INTEGER NOT NULL, settings TEXT NOT NULL, analysis_s REAL, processed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (video_id, detector_version))""",
    """
CREATE TABLE IF NOT EXISTS highlight_segments (
    segment_id TEXT PRIMARY KEY, video_id TEXT NOT NULL, detector_version TEXT NOT NULL, start_s REAL NOT NULL,
    end_s REAL NOT NULL, score REAL NOT NULL, peak_s REAL NOT NULL, clip_path TEXT NOT NULL,
        thumbnail_path TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL, CHECK (end_s > start_s))""",
    """
CREATE INDEX IF NOT EXISTS highlight_segments_video ON highlight_segments (video_id, detector_version)""",
    """
CREATE TABLE IF NOT EXISTS highlight_labels (
    label_id TEXT PRIMARY KEY, segment_id TEXT UNIQUE, video_id TEXT NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('accept', 'reject', 'adjust')),
    start_s REAL NOT NULL, end_s REAL NOT NULL, reviewer TEXT NOT NULL, decided_at TIMESTAMP NOT NULL,
    clip_path TEXT, thumbnail_path TEXT, CHECK (end_s > start_s))""",
]

POSTGRESQL = """
CREATE TABLE IF NOT EXISTS highlight_videos (
    video_id TEXT NOT NULL, detector_version TEXT NOT NULL, name TEXT NOT NULL, path TEXT NOT NULL,
    content_hash TEXT NOT NULL, duration_s DOUBLE PRECISION NOT NULL, fps DOUBLE PRECISION NOT NULL,
        width INTEGER NOT NULL, height INTEGER NOT NULL,
    has_audio INTEGER NOT NULL, settings TEXT NOT NULL, analysis_s DOUBLE PRECISION,
        processed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (video_id, detector_version));
CREATE TABLE IF NOT EXISTS highlight_segments (
    segment_id TEXT PRIMARY KEY, video_id TEXT NOT NULL, detector_version TEXT NOT NULL,
        start_s DOUBLE PRECISION NOT NULL,
    end_s DOUBLE PRECISION NOT NULL, score DOUBLE PRECISION NOT NULL, peak_s DOUBLE PRECISION NOT NULL,
        clip_path TEXT NOT NULL, thumbnail_path TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL, CHECK (end_s > start_s));
CREATE INDEX IF NOT EXISTS highlight_segments_video ON highlight_segments (video_id, detector_version);
CREATE TABLE IF NOT EXISTS highlight_labels (
    label_id TEXT PRIMARY KEY, segment_id TEXT UNIQUE, video_id TEXT NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('accept', 'reject', 'adjust')),
    start_s DOUBLE PRECISION NOT NULL, end_s DOUBLE PRECISION NOT NULL, reviewer TEXT NOT NULL,
        decided_at TIMESTAMP NOT NULL,
    clip_path TEXT, thumbnail_path TEXT, CHECK (end_s > start_s))
"""


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in SQLITE:
            bind.exec_driver_sql(statement)
    else:
        bind.exec_driver_sql(POSTGRESQL)


def downgrade():
    op.drop_table("highlight_labels")
    op.drop_table("highlight_segments")
    op.drop_table("highlight_videos")
