"""markets 1 (store v1's `markets#1`): tracked markets.

The schema exactly as store v1 created it (its SQLite statements, and the PostgreSQL text it ran there), so that a
v1 store is adopted by stamping this revision (see `fireside_lab.store.schema`) and a new store passes through the
same history. Later revisions of the `markets` branch turn it into the current schema.
"""
from alembic import op

revision = "markets_0001"
down_revision = None
branch_labels = ("markets",)
depends_on = None

SQLITE = [
    """
CREATE TABLE IF NOT EXISTS markets (
    exchange TEXT NOT NULL, symbol TEXT NOT NULL, enabled INTEGER NOT NULL DEFAULT 1,
    source TEXT NOT NULL CHECK (source IN ('ccxt', 'file')), added_at TIMESTAMP NOT NULL,
    PRIMARY KEY (exchange, symbol))""",
]

POSTGRESQL = """
CREATE TABLE IF NOT EXISTS markets (
    exchange TEXT NOT NULL, symbol TEXT NOT NULL, enabled INTEGER NOT NULL DEFAULT 1,
    source TEXT NOT NULL CHECK (source IN ('ccxt', 'file')), added_at TIMESTAMP NOT NULL,
    PRIMARY KEY (exchange, symbol))
"""


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in SQLITE:
            bind.exec_driver_sql(statement)
    else:
        bind.exec_driver_sql(POSTGRESQL)


def downgrade():
    op.drop_table("markets")
