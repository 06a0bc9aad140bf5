"""identity 1: users, grants (global and per object), API tokens, seen request signatures, the audit log.

Declared in `fireside_lab.identity.tables`. The roles' global permissions are seeded here (`DEFAULT_GRANTS`, the same
list `fireside_lab.identity.policy` documents): `admin` needs none (it may do everything), `researcher` may do
everything to every object type, `reviewer` may view everything and change (label) videos, `viewer` may view feeds'
posts, stories and markets. Polls, presets and the rest reach reviewers and viewers through object grants.
"""
import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "identity_0001"
down_revision = None
branch_labels = ("identity",)
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer, "sqlite")
TIME = sa.DateTime(timezone=True)

#: object types of the policy, as of this revision
OBJECT_TYPES = ("poll", "task", "preset", "run", "schedule", "video", "post", "story", "market")
DEFAULT_GRANTS = ([("researcher", t, a) for t in OBJECT_TYPES for a in ("view", "change", "delete", "run")]
                  + [("reviewer", t, "view") for t in OBJECT_TYPES] + [("reviewer", "video", "change")]
                  + [("viewer", t, "view") for t in ("post", "story", "market")])


def upgrade():
    op.create_table(
        "users",
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("display_name", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("password_hash", sa.Text),
        sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_users"),
        sa.CheckConstraint("role IN ('admin', 'researcher', 'reviewer', 'viewer')", name="ck_users_role"),
    )
    grants = op.create_table(
        "grants",
        sa.Column("grant_id", SEQ, nullable=False, autoincrement=True),
        sa.Column("subject_kind", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("object_type", sa.Text, nullable=False),
        sa.Column("object_id", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("granted_by", sa.Text, nullable=False),
        sa.Column("granted_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("grant_id", name="pk_grants"),
        sa.CheckConstraint("subject_kind IN ('user', 'role')", name="ck_grants_subject_kind"),
        sa.CheckConstraint("action IN ('view', 'change', 'delete', 'run')", name="ck_grants_action"),
        sa.UniqueConstraint("subject_kind", "subject", "object_type", "object_id", "action",
                            name="uq_grants_subject_kind_subject_object_type_object_id_action"),
    )
    op.create_index("ix_grants_lookup", "grants", ["object_type", "action", "subject_kind", "subject"])
    op.create_table(
        "api_tokens",
        sa.Column("token_id", sa.Text, nullable=False),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("secret_sha256", sa.Text, nullable=False),
        sa.Column("scopes", sa.Text, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("expires_at", TIME),
        sa.Column("revoked_at", TIME),
        sa.PrimaryKeyConstraint("token_id", name="pk_api_tokens"),
        sa.ForeignKeyConstraint(["user_id"], ["users.user_id"], name="fk_api_tokens_user_id_users"),
    )
    op.create_table(
        "seen_signatures",
        sa.Column("signature", sa.Text, nullable=False),
        sa.Column("token_id", sa.Text, nullable=False),
        sa.Column("seen_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("signature", name="pk_seen_signatures"),
    )
    op.create_index("ix_seen_signatures_seen_at", "seen_signatures", ["seen_at"])
    op.create_table(
        "audit_log",
        sa.Column("audit_id", SEQ, nullable=False, autoincrement=True),
        sa.Column("at", TIME, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("audit_id", name="pk_audit_log"),
    )
    now = dt.datetime.now(dt.timezone.utc)
    if op.get_bind().dialect.name == "sqlite": now = now.replace(tzinfo=None)     # UTCDateTime's form on SQLite
    op.bulk_insert(grants, [dict(subject_kind="role", subject=role, object_type=t, object_id="*", action=a,
                                 granted_by="fireside-lab", granted_at=now) for role, t, a in DEFAULT_GRANTS])


def downgrade():
    for name in ("audit_log", "seen_signatures", "api_tokens", "grants", "users"):
        op.drop_table(name)
