"""stories 2 (store v1's `stories#2`): stories (running summaries) and suggestions.

The schema exactly as store v1 created it (its SQLite statements, and the PostgreSQL text it ran there), so that a
v1 store is adopted by stamping this revision (see `fireside_lab.store.schema`) and a new store passes through the
same history. Later revisions of the `stories` branch turn it into the current schema.
"""
from alembic import op

revision = "stories_0001"
down_revision = None
branch_labels = ("stories",)
depends_on = None

SQLITE = [
    """
CREATE TABLE IF NOT EXISTS stories (
    story_id TEXT PRIMARY KEY, title TEXT NOT NULL, format TEXT, source TEXT,
    running_summary TEXT, summary_id TEXT, model TEXT,
    imported_at TIMESTAMP NOT NULL, updated_at TEXT NOT NULL)""",
    """
CREATE TABLE IF NOT EXISTS suggestions (
    id TEXT PRIMARY KEY, story_id TEXT NOT NULL, story_hash TEXT NOT NULL, suggestion_type TEXT NOT NULL,
    model TEXT NOT NULL, prompt TEXT, text TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('partial', 'complete', 'failed')), error TEXT,
    created_at TIMESTAMP NOT NULL, updated_at TEXT NOT NULL)""",
    """
CREATE INDEX IF NOT EXISTS suggestions_story ON suggestions (story_id, created_at)""",
]

POSTGRESQL = """
CREATE TABLE IF NOT EXISTS stories (
    story_id TEXT PRIMARY KEY, title TEXT NOT NULL, format TEXT, source TEXT,
    running_summary TEXT, summary_id TEXT, model TEXT,
    imported_at TIMESTAMP NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS suggestions (
    id TEXT PRIMARY KEY, story_id TEXT NOT NULL, story_hash TEXT NOT NULL, suggestion_type TEXT NOT NULL,
    model TEXT NOT NULL, prompt TEXT, text TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('partial', 'complete', 'failed')), error TEXT,
    created_at TIMESTAMP NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS suggestions_story ON suggestions (story_id, created_at)
"""


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in SQLITE:
            bind.exec_driver_sql(statement)
    else:
        bind.exec_driver_sql(POSTGRESQL)


def downgrade():
    op.drop_table("suggestions")
    op.drop_table("stories")
