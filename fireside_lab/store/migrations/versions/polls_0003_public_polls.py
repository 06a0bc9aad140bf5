"""polls 3: `polls.public` — a poll anyone with its link may vote in (one ballot per browser), off by default.

Every existing poll stays private to its voters (`public` false). Declared in `fireside_lab.polls.tables`.
Revision of the state schema (Alembic). Never edit a released revision: add the next one.
"""
import sqlalchemy as sa
from alembic import op

revision = "polls_0003"
down_revision = "polls_0002"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("polls", sa.Column("public", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table("polls") as batch:
        batch.drop_column("public")
