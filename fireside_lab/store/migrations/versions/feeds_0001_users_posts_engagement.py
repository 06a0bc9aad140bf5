"""feeds 1 (store v1's `feeds#1`): feeds: users, posts, engagement, follows, preferences.

The schema exactly as store v1 created it (its SQLite statements, and the PostgreSQL text it ran there), so that a
v1 store is adopted by stamping this revision (see `fireside_lab.store.schema`) and a new store passes through the
same history. Later revisions of the `feeds` branch turn it into the current schema.
"""
from alembic import op

revision = "feeds_0001"
down_revision = None
branch_labels = ("feeds",)
depends_on = None

SQLITE = [
    """
CREATE TABLE IF NOT EXISTS feed_users (
    user_id TEXT PRIMARY KEY, display_name TEXT, created_at TIMESTAMP NOT NULL)""",
    """
CREATE TABLE IF NOT EXISTS posts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, post_id TEXT NOT NULL UNIQUE, creator TEXT NOT NULL,
        caption TEXT NOT NULL,
    tags TEXT NOT NULL, clip TEXT, thumbnail TEXT, segment_id TEXT UNIQUE, video_id TEXT,
        created_at TIMESTAMP NOT NULL)""",
    """
CREATE INDEX IF NOT EXISTS posts_created ON posts (created_at, seq)""",
    """
CREATE INDEX IF NOT EXISTS posts_creator ON posts (creator, created_at)""",
    """
CREATE TABLE IF NOT EXISTS engagement (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, user_id TEXT NOT NULL, post_id TEXT NOT NULL,
    event TEXT NOT NULL CHECK (event IN ('view', 'like', 'comment', 'share', 'skip', 'report')),
    "at" TIMESTAMP NOT NULL, body TEXT)""",
    """
CREATE INDEX IF NOT EXISTS engagement_user ON engagement (user_id, seq)""",
    """
CREATE INDEX IF NOT EXISTS engagement_post ON engagement (post_id)""",
    """
CREATE TABLE IF NOT EXISTS follows (
    follower TEXT NOT NULL, creator TEXT NOT NULL, created_at TIMESTAMP NOT NULL, PRIMARY KEY (follower,
        creator))""",
    """
CREATE TABLE IF NOT EXISTS feed_preferences (
    user_id TEXT PRIMARY KEY, weights TEXT NOT NULL, muted_creators TEXT NOT NULL, muted_tags TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL)""",
]

POSTGRESQL = """
CREATE TABLE IF NOT EXISTS feed_users (
    user_id TEXT PRIMARY KEY, display_name TEXT, created_at TIMESTAMP NOT NULL);
CREATE TABLE IF NOT EXISTS posts (
    seq BIGSERIAL PRIMARY KEY, post_id TEXT NOT NULL UNIQUE, creator TEXT NOT NULL, caption TEXT NOT NULL,
    tags TEXT NOT NULL, clip TEXT, thumbnail TEXT, segment_id TEXT UNIQUE, video_id TEXT,
        created_at TIMESTAMP NOT NULL);
CREATE INDEX IF NOT EXISTS posts_created ON posts (created_at, seq);
CREATE INDEX IF NOT EXISTS posts_creator ON posts (creator, created_at);
CREATE TABLE IF NOT EXISTS engagement (
    seq BIGSERIAL PRIMARY KEY, user_id TEXT NOT NULL, post_id TEXT NOT NULL,
    event TEXT NOT NULL CHECK (event IN ('view', 'like', 'comment', 'share', 'skip', 'report')),
    "at" TIMESTAMP NOT NULL, body TEXT);
CREATE INDEX IF NOT EXISTS engagement_user ON engagement (user_id, seq);
CREATE INDEX IF NOT EXISTS engagement_post ON engagement (post_id);
CREATE TABLE IF NOT EXISTS follows (
    follower TEXT NOT NULL, creator TEXT NOT NULL, created_at TIMESTAMP NOT NULL, PRIMARY KEY (follower, creator));
CREATE TABLE IF NOT EXISTS feed_preferences (
    user_id TEXT PRIMARY KEY, weights TEXT NOT NULL, muted_creators TEXT NOT NULL, muted_tags TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL)
"""


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in SQLITE:
            bind.exec_driver_sql(statement)
    else:
        bind.exec_driver_sql(POSTGRESQL)


def downgrade():
    op.drop_table("feed_users")
    op.drop_table("posts")
    op.drop_table("engagement")
    op.drop_table("follows")
    op.drop_table("feed_preferences")
