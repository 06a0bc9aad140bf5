"""stories 2: real timestamps, a named status check, a suggestion's story as a foreign key.

Store v1 kept `stories.imported_at` and `suggestions.created_at` as `TIMESTAMP` (naive UTC) and both `updated_at`
columns as ISO text, because DuckDB's SQLite scanner could not bind a TIMESTAMP in an UPDATE. All four become
`store.UTCDateTime`:

- PostgreSQL: `TIMESTAMPTZ`, each value read as UTC (`col::timestamp AT TIME ZONE 'UTC'`); the v1 check and index are
  renamed to the store's naming convention and the foreign key is added in place.
- SQLite: the values are text either way; they are rewritten in SQLAlchemy's own layout (`2026-12-04 15:22:00.515278`,
  naive UTC; any ISO 8601 form v1 may have stored is read, an offset converted to UTC), so text order is time order.
  A value no parser reads fails the revision, naming the table, row and column (nothing is changed then). Each table
  is then copied into its new definition (`batch_alter_table(recreate="always", copy_from=...)`, which copies the
  columns as they are: a type change inside batch mode would `CAST(... AS DATETIME)`, which SQLite's numeric affinity
  turns into the year). The tables have no triggers.

`downgrade()` restores store v1's types, its unnamed check and its index name, and drops the foreign key; the time
values go back to v1's naive-UTC text (`YYYY-MM-DD HH:MM:SS.ffffff`, v1's own layout).
"""
import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "stories_0002"
down_revision = "stories_0001"
branch_labels = None
depends_on = None

TIME_COLUMNS = {"stories": ("imported_at", "updated_at"), "suggestions": ("created_at", "updated_at")}
KEYS = {"stories": "story_id", "suggestions": "id"}
STATUS_CHECK = "status IN ('partial', 'complete', 'failed')"


def _tables(v2: bool) -> dict[str, sa.Table]:
    "The two tables as of this revision (`v2`) or as store v1 made them (unnamed check, index `suggestions_story`)."
    md = sa.MetaData()
    created = sa.DateTime(timezone=True) if v2 else sa.TIMESTAMP()
    updated = sa.DateTime(timezone=True) if v2 else sa.Text()
    stories = sa.Table(
        "stories", md,
        sa.Column("story_id", sa.Text, primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("format", sa.Text),
        sa.Column("source", sa.Text),
        sa.Column("running_summary", sa.Text),
        sa.Column("summary_id", sa.Text),
        sa.Column("model", sa.Text),
        sa.Column("imported_at", created, nullable=False),
        sa.Column("updated_at", updated, nullable=False),
    )
    suggestions = sa.Table(
        "suggestions", md,
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("story_id", sa.Text, nullable=False),
        sa.Column("story_hash", sa.Text, nullable=False),
        sa.Column("suggestion_type", sa.Text, nullable=False),
        sa.Column("model", sa.Text, nullable=False),
        sa.Column("prompt", sa.Text),
        sa.Column("text", sa.Text, nullable=False, server_default=""),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("created_at", created, nullable=False),
        sa.Column("updated_at", updated, nullable=False),
        sa.CheckConstraint(STATUS_CHECK, name="ck_suggestions_status" if v2 else None),
    )
    if v2:
        suggestions.append_constraint(sa.ForeignKeyConstraint(["story_id"], ["stories.story_id"],
                                                              name="fk_suggestions_story_id_stories"))
        sa.Index("ix_suggestions_story_id_created_at", suggestions.c.story_id, suggestions.c.created_at)
    else:
        sa.Index("suggestions_story", suggestions.c.story_id, suggestions.c.created_at)
    return {"stories": stories, "suggestions": suggestions}


def _utc_text(value, where: str) -> str:
    "A v1 time value (ISO 8601 text, naive = UTC) in SQLAlchemy's SQLite layout, naive UTC. Raises ValueError."
    try:
        t = dt.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"stories_0002: {where} holds {value!r}, which is not a time") from None
    if t.tzinfo is not None: t = t.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return t.strftime("%Y-%m-%d %H:%M:%S.%f")


def _normalise_sqlite_times(bind, table: str):
    "Rewrite the time columns of `table` in SQLAlchemy's layout (only the values that differ)."
    key, cols = KEYS[table], TIME_COLUMNS[table]
    rows = bind.exec_driver_sql(f"SELECT {key}, {', '.join(cols)} FROM {table}").all()
    for row in rows:
        where = lambda c: f"{table}.{c} of {key} {row[0]!r}"
        new = {c: None if v is None else _utc_text(v, where(c)) for c, v in zip(cols, row[1:])}
        if any(new[c] != v for c, v in zip(cols, row[1:])):
            sets = ", ".join(f"{c} = ?" for c in cols)
            bind.exec_driver_sql(f"UPDATE {table} SET {sets} WHERE {key} = ?", (*new.values(), row[0]))


def _recreate_sqlite(v2: bool):
    "Copy both tables into their definition as of `v2` (columns copied as they are, no CAST)."
    for name, table in _tables(v2).items():          # stories first: suggestions' foreign key refers to it
        with op.batch_alter_table(name, recreate="always", copy_from=table):
            pass


def _alter_postgresql_times(to_v2: bool):
    for table, cols in TIME_COLUMNS.items():
        for col in cols:
            if to_v2:
                op.alter_column(table, col, type_=sa.DateTime(timezone=True),
                                postgresql_using=f"{col}::timestamp AT TIME ZONE 'UTC'")
            elif col == "updated_at":
                op.alter_column(table, col, type_=sa.Text(),
                                postgresql_using=f"to_char({col} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')")
            else:
                op.alter_column(table, col, type_=sa.TIMESTAMP(), postgresql_using=f"{col} AT TIME ZONE 'UTC'")


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for table in TIME_COLUMNS: _normalise_sqlite_times(bind, table)
        _recreate_sqlite(v2=True)
        return
    _alter_postgresql_times(to_v2=True)
    op.execute("ALTER TABLE suggestions RENAME CONSTRAINT suggestions_status_check TO ck_suggestions_status")
    op.execute("ALTER INDEX suggestions_story RENAME TO ix_suggestions_story_id_created_at")
    op.create_foreign_key("fk_suggestions_story_id_stories", "suggestions", "stories", ["story_id"], ["story_id"])


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _recreate_sqlite(v2=False)
        return
    op.drop_constraint("fk_suggestions_story_id_stories", "suggestions", type_="foreignkey")
    op.execute("ALTER INDEX ix_suggestions_story_id_created_at RENAME TO suggestions_story")
    op.execute("ALTER TABLE suggestions RENAME CONSTRAINT ck_suggestions_status TO suggestions_status_check")
    _alter_postgresql_times(to_v2=False)
