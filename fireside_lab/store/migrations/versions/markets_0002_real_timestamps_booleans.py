"""markets 2: `added_at` a real UTC timestamp, `enabled` a boolean, the source check named.

Store v1 kept `markets.added_at` as a naive UTC `TIMESTAMP` (ISO text on SQLite, written as `2026-12-04 15:22:12`) and
`markets.enabled` as an integer 0/1, because DuckDB's SQLite scanner wrote the table. The table is now declared in
`fireside_lab/markets/tables.py` (`store.UTCDateTime`, `sa.Boolean`), and this revision turns v1's table into it,
every row kept:

- PostgreSQL alters the columns in place: `added_at` becomes `TIMESTAMPTZ` (v1's values read as UTC), `enabled`
  becomes `BOOLEAN` (`enabled <> 0`, its default `true`); the check constraint PostgreSQL named
  `markets_source_check` is renamed `ck_markets_source` (the metadata's naming convention).
- SQLite copies the table (`batch_alter_table(recreate="always")`) from v1's definition given here (`copy_from`, so
  nothing depends on reflecting v1's unnamed CHECK). SQLite keeps the values as they are: v1's text times read back
  through `datetime.fromisoformat` (what SQLAlchemy's SQLite `DateTime` uses), and v1's 0/1 are SQLite's booleans. A
  time that does not parse fails the revision, naming the row, and the whole upgrade rolls back. The table has no
  trigger to carry over.

`downgrade()` turns it back into v1's types (naive UTC `TIMESTAMP`, `INTEGER` 0/1 with default 1, the check unnamed
on SQLite and `markets_source_check` on PostgreSQL).
Revision of the state schema (Alembic). Never edit a released revision: add the next one.
"""
import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "markets_0002"
down_revision = "markets_0001"
branch_labels = None
depends_on = None

_SOURCE_CHECK = "source IN ('ccxt', 'file')"


def _markets(enabled_type, added_at_type, check_name) -> sa.Table:
    "The `markets` table with the given column types (the shape batch mode copies from)."
    return sa.Table(
        "markets", sa.MetaData(),
        sa.Column("exchange", sa.Text, nullable=False),
        sa.Column("symbol", sa.Text, nullable=False),
        sa.Column("enabled", enabled_type, nullable=False,
                  server_default=sa.text("1") if isinstance(enabled_type, sa.Integer) else sa.true()),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("added_at", added_at_type, nullable=False),
        sa.PrimaryKeyConstraint("exchange", "symbol"),
        sa.CheckConstraint(_SOURCE_CHECK, name=check_name),
    )


def _check_times(bind):
    "Raise naming the first row whose `added_at` SQLAlchemy's SQLite DateTime could not read back."
    for exchange, symbol, added_at in bind.exec_driver_sql("SELECT exchange, symbol, added_at FROM markets"):
        if isinstance(added_at, str):
            try:
                dt.datetime.fromisoformat(added_at)
                continue
            except ValueError:
                pass
        raise ValueError(f"markets ({exchange}, {symbol}): added_at {added_at!r} is not an ISO time")


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _check_times(bind)
        v1 = _markets(sa.Integer(), sa.TIMESTAMP(), "ck_markets_source")
        with op.batch_alter_table("markets", recreate="always", copy_from=v1) as batch:
            batch.alter_column("enabled", type_=sa.Boolean(), existing_nullable=False, server_default=sa.true())
            batch.alter_column("added_at", type_=sa.DateTime(timezone=True), existing_nullable=False)
        return
    op.alter_column("markets", "enabled", server_default=None)
    op.alter_column("markets", "enabled", type_=sa.Boolean(), postgresql_using="enabled <> 0")
    op.alter_column("markets", "enabled", server_default=sa.true())
    op.alter_column("markets", "added_at", type_=sa.DateTime(timezone=True),
                    postgresql_using="added_at::timestamp AT TIME ZONE 'UTC'")
    op.execute("ALTER TABLE markets RENAME CONSTRAINT markets_source_check TO ck_markets_source")


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        v2 = _markets(sa.Boolean(), sa.DateTime(timezone=True), "ck_markets_source")
        with op.batch_alter_table("markets", recreate="always", copy_from=v2,
                                  table_args=(sa.CheckConstraint(_SOURCE_CHECK),)) as batch:
            batch.drop_constraint(op.f("ck_markets_source"), type_="check")
            batch.alter_column("enabled", type_=sa.Integer(), existing_nullable=False, server_default=sa.text("1"))
            batch.alter_column("added_at", type_=sa.TIMESTAMP(), existing_nullable=False)
        return
    op.execute("ALTER TABLE markets RENAME CONSTRAINT ck_markets_source TO markets_source_check")
    op.alter_column("markets", "added_at", type_=sa.TIMESTAMP(), postgresql_using="added_at AT TIME ZONE 'UTC'")
    op.alter_column("markets", "enabled", server_default=None)
    op.alter_column("markets", "enabled", type_=sa.Integer(), postgresql_using="CASE WHEN enabled THEN 1 ELSE 0 END")
    op.alter_column("markets", "enabled", server_default=sa.text("1"))
