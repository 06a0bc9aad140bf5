"""identity 2: readers of the feeds may engage with posts — roles `viewer` and `reviewer` get `change` on `post`.

For a post, `change` is engagement (like, comment, share, view, …: `fireside_lab.identity.policy`). Revision 1 let
viewers see posts but not react to them, which left the feed dashboard read-only for its very audience.
Revision of the state schema (Alembic). Never edit a released revision: add the next one.
"""
import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "identity_0002"
down_revision = "identity_0001"
branch_labels = None
depends_on = None

GRANTS = [("viewer", "post", "change"), ("reviewer", "post", "change")]


def _grants():
    return sa.table("grants", sa.column("subject_kind", sa.Text), sa.column("subject", sa.Text),
                    sa.column("object_type", sa.Text), sa.column("object_id", sa.Text), sa.column("action", sa.Text),
                    sa.column("granted_by", sa.Text), sa.column("granted_at", sa.DateTime(timezone=True)))


def upgrade():
    g, now = _grants(), dt.datetime.now(dt.timezone.utc)
    conn = op.get_bind()
    for role, object_type, action in GRANTS:
        found = conn.execute(sa.select(sa.literal(1)).select_from(g).where(
            g.c.subject_kind == "role", g.c.subject == role, g.c.object_type == object_type, g.c.object_id == "*",
            g.c.action == action)).first()
        if found is None:
            conn.execute(g.insert().values(subject_kind="role", subject=role, object_type=object_type, object_id="*",
                                           action=action, granted_by="migration:identity_0002", granted_at=now))


def downgrade():
    g = _grants()
    for role, object_type, action in GRANTS:
        op.execute(g.delete().where(g.c.subject_kind == "role", g.c.subject == role, g.c.object_type == object_type,
                                    g.c.object_id == "*", g.c.action == action,
                                    g.c.granted_by == "migration:identity_0002"))
