"""jobs 4: `runs.submitted_by` — the user who submitted a run (a user id, `cli:<os user>`, or `schedule:<name>`).

Runs written before this revision keep NULL (their submitter was not recorded). Declared in
`fireside_lab.jobs.tables`. Revision of the state schema (Alembic). Never edit a released revision: add the next one.
"""
import sqlalchemy as sa
from alembic import op

revision = "jobs_0004"
down_revision = "jobs_0003"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("runs", sa.Column("submitted_by", sa.Text))


def downgrade():
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("submitted_by")
