"""store 1: drop store v1's `schema_migrations` table, now that Alembic's `alembic_version` records the schema.

A v1 store is adopted by `fireside_lab.store.schema.upgrade`, which stamps the revisions matching the rows of
`schema_migrations`; this revision removes the old table afterwards. On a new store there is nothing to drop.
"""
import sqlalchemy as sa
from alembic import op

revision = "store_0001"
down_revision = None
branch_labels = ("store",)
depends_on = None


def upgrade():
    op.execute("DROP TABLE IF EXISTS schema_migrations")


def downgrade():
    op.create_table(
        "schema_migrations",
        sa.Column("module", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("catalog", sa.Text, nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("applied_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("module", "version"),
    )
