"""feeds 2: real UTC timestamps and named constraints.

Store v1 kept the time columns as naive-UTC `TIMESTAMP` (ISO text on SQLite), with unnamed constraints. This revision
turns the five tables into what `fireside_lab/feeds/tables.py` declares:

- `created_at` (users, posts, follows), `engagement.at`, `feed_preferences.updated_at` -> `UTCDateTime`:
  `TIMESTAMP WITH TIME ZONE` on PostgreSQL (the naive values are read as UTC), `DATETIME` on SQLite with every value
  rewritten in SQLAlchemy's text form (`2026-12-04 15:22:11.213085`, naive UTC) so that text comparisons order them
  as times;
- primary keys, the unique `post_id` / `segment_id` of a post and the event check get the store's convention names
  (`pk_<table>`, `uq_<table>_<column>`, `ck_<table>_<name>`), so a later revision can address them by name.

`posts.seq` and `engagement.seq` stay auto-increment keys (`INTEGER PRIMARY KEY AUTOINCREMENT` on SQLite, `BIGSERIAL`
on PostgreSQL) with their values and sequence positions: they are the feeds' keyset order. JSON documents stay text.
Every row is kept. SQLite cannot alter a column, so each table is copied into its new shape
(`batch_alter_table(recreate="always", copy_from=<the new table>)`), declared here in full, which also drops store
v1's unnamed CHECK constraint instead of carrying it beside the named one; SQLite keeps the `sqlite_sequence` rows of
the copied tables. No table of this line has a trigger. `downgrade()` restores store v1's types and unnamed
constraints (times stay in the text form above, which store v1 reads).
"""
import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "feeds_0002"
down_revision = "feeds_0001"
branch_labels = None
depends_on = None

TIME_COLUMNS = {"feed_users": "created_at", "posts": "created_at", "engagement": "at", "follows": "created_at",
                "feed_preferences": "updated_at"}

#: PostgreSQL: store v1's constraint names (PostgreSQL's defaults for its DDL) -> this revision's
PG_NAMES = {
    "feed_users": [("feed_users_pkey", "pk_feed_users")],
    "posts": [("posts_pkey", "pk_posts"), ("posts_post_id_key", "uq_posts_post_id"),
              ("posts_segment_id_key", "uq_posts_segment_id")],
    "engagement": [("engagement_pkey", "pk_engagement"), ("engagement_event_check", "ck_engagement_event")],
    "follows": [("follows_pkey", "pk_follows")],
    "feed_preferences": [("feed_preferences_pkey", "pk_feed_preferences")],
}


def _tables(v2: bool) -> list[sa.Table]:
    "The five tables in this revision's shape (`v2`) or in store v1's (for the downgrade), for SQLite's copy."
    md = sa.MetaData()
    time = sa.DateTime(timezone=True) if v2 else sa.TIMESTAMP()
    name = (lambda n: n) if v2 else (lambda n: None)
    users = sa.Table(
        "feed_users", md,
        sa.Column("user_id", sa.Text), sa.Column("display_name", sa.Text),
        sa.Column("created_at", time, nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=name("pk_feed_users")),
    )
    posts = sa.Table(
        "posts", md,
        sa.Column("seq", sa.Integer, autoincrement=True), sa.Column("post_id", sa.Text, nullable=False),
        sa.Column("creator", sa.Text, nullable=False), sa.Column("caption", sa.Text, nullable=False),
        sa.Column("tags", sa.Text, nullable=False), sa.Column("clip", sa.Text), sa.Column("thumbnail", sa.Text),
        sa.Column("segment_id", sa.Text), sa.Column("video_id", sa.Text), sa.Column("created_at", time, nullable=False),
        sa.PrimaryKeyConstraint("seq", name=name("pk_posts")),
        sa.UniqueConstraint("post_id", name=name("uq_posts_post_id")),
        sa.UniqueConstraint("segment_id", name=name("uq_posts_segment_id")),
        sa.Index("posts_created", "created_at", "seq"), sa.Index("posts_creator", "creator", "created_at"),
        sqlite_autoincrement=True,
    )
    engagement = sa.Table(
        "engagement", md,
        sa.Column("seq", sa.Integer, autoincrement=True), sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("post_id", sa.Text, nullable=False), sa.Column("event", sa.Text, nullable=False),
        sa.Column("at", time, nullable=False), sa.Column("body", sa.Text),
        sa.PrimaryKeyConstraint("seq", name=name("pk_engagement")),
        sa.CheckConstraint("event IN ('view', 'like', 'comment', 'share', 'skip', 'report')",
                           name=name("ck_engagement_event")),
        sa.Index("engagement_user", "user_id", "seq"), sa.Index("engagement_post", "post_id"),
        sqlite_autoincrement=True,
    )
    follows = sa.Table(
        "follows", md,
        sa.Column("follower", sa.Text, nullable=False), sa.Column("creator", sa.Text, nullable=False),
        sa.Column("created_at", time, nullable=False),
        sa.PrimaryKeyConstraint("follower", "creator", name=name("pk_follows")),
    )
    preferences = sa.Table(
        "feed_preferences", md,
        sa.Column("user_id", sa.Text), sa.Column("weights", sa.Text, nullable=False),
        sa.Column("muted_creators", sa.Text, nullable=False), sa.Column("muted_tags", sa.Text, nullable=False),
        sa.Column("updated_at", time, nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=name("pk_feed_preferences")),
    )
    return [users, posts, engagement, follows, preferences]


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
    for table, column in TIME_COLUMNS.items():
        op.alter_column(table, column, type_=sa.TIMESTAMP(), existing_type=sa.DateTime(timezone=True),
                        existing_nullable=False, postgresql_using=f"\"{column}\" AT TIME ZONE 'UTC'")
