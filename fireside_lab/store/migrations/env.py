"""Alembic environment of the fireside-lab state schema.

The store runs Alembic programmatically (`fireside_lab.store.schema`): it opens the connection, starts the one
transaction the whole upgrade runs in, and passes both through `config.attributes`:

- `connection`: the SQLAlchemy connection to migrate (in a transaction: everything commits together or not at all);
- `target_metadata`: the tables the code declares (only for `alembic revision --autogenerate` and the schema test);
- `applied`: a list the revisions run are appended to, as `(revision, "up" | "down")` (for "down", the revision
  reverted).

Batch mode (`render_as_batch`) lets a revision alter a SQLite table (copy, alter, rename) the way PostgreSQL alters it
in place. There is no offline (SQL script) mode: the store always migrates a live database.
"""
from alembic import context

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `fireside-lab db upgrade` (fireside_lab.store.schema), "
                       "not the alembic CLI")

applied = config.attributes.setdefault("applied", [])


def _record(ctx, step, heads, run_args):
    applied.append((step.up_revision_id, "up" if step.is_upgrade else "down"))


context.configure(
    connection=connection,
    target_metadata=config.attributes.get("target_metadata"),
    render_as_batch=True,
    transactional_ddl=True,
    compare_type=True,
    on_version_apply=_record,
)
with context.begin_transaction():
    context.run_migrations()
