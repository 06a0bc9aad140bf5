"""jobs 10: exact re-runs — the run a run reproduces, the lake snapshot its reads see, the commit it runs.

- `runs` gains `reproduces` (the run id it reproduces), `read_snapshot` (integer: its lake reads see this snapshot)
  and `code_commit` (the git commit whose code it runs), all NULL for ordinary runs.

Declared in `fireside_lab.jobs.tables`. On SQLite the table is copied (batch mode); on PostgreSQL it is altered in
place. Never edit a released revision: add the next one.
"""
import sqlalchemy as sa
from alembic import op

revision = "jobs_0010"
down_revision = "jobs_0009"
branch_labels = None
depends_on = None

COLUMNS = (("reproduces", sa.Text), ("read_snapshot", sa.Integer), ("code_commit", sa.Text))


def upgrade():
    with op.batch_alter_table("runs") as b:
        for name, type_ in COLUMNS:
            b.add_column(sa.Column(name, type_))


def downgrade():
    with op.batch_alter_table("runs") as b:
        for name, _ in reversed(COLUMNS):
            b.drop_column(name)
