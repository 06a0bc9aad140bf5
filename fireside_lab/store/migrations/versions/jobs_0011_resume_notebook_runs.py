"""jobs 11: resuming a failed notebook run from its failed cell.

- `runs` gains `resume_of` (the failed run a resumed run continues) and `resume_cell` (the index, in the executed
  notebook, of the cell it resumes at), NULL for other runs.

Declared in `fireside_lab.jobs.tables`. On SQLite the table is copied (batch mode); on PostgreSQL it is altered in
place. Never edit a released revision: add the next one.
"""
import sqlalchemy as sa
from alembic import op

revision = "jobs_0011"
down_revision = "jobs_0010"
branch_labels = None
depends_on = None

COLUMNS = (("resume_of", sa.Text), ("resume_cell", sa.Integer))


def upgrade():
    with op.batch_alter_table("runs") as b:
        for name, type_ in COLUMNS:
            b.add_column(sa.Column(name, type_))


def downgrade():
    with op.batch_alter_table("runs") as b:
        for name, _ in reversed(COLUMNS):
            b.drop_column(name)
