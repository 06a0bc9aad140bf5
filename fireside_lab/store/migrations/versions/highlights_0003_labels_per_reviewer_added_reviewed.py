"""highlights 3: labels per reviewer, highlights the detector missed, videos marked fully reviewed.

- `highlight_labels`: the unique key `uq_highlight_labels_segment_id` (one label per segment: a second reviewer's
  label replaced the first) becomes `uq_highlight_labels_segment_id_reviewer` (one label per segment and reviewer);
- `highlight_added_segments`: a ground-truth segment a reviewer added on a video (bounds in seconds), one the detector
  did not find;
- `highlight_reviewed_videos`: `(video_id, reviewer)` marks that the reviewer reviewed the whole video, when.

Every existing label is kept (at most one per segment, so the wider key holds). Declared in
`fireside_lab.highlights.tables`. On SQLite the labels table is copied (batch mode); on PostgreSQL the constraint is
swapped in place. `downgrade()` drops the two tables and keeps, per segment, only the latest label (the narrower key
cannot hold several): the other reviewers' labels, the added segments and the marks are lost. Never edit a released
revision: add the next one.
"""
import sqlalchemy as sa
from alembic import op

revision = "highlights_0003"
down_revision = "highlights_0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("highlight_labels") as b:
        b.drop_constraint("uq_highlight_labels_segment_id", type_="unique")
        b.create_unique_constraint("uq_highlight_labels_segment_id_reviewer", ["segment_id", "reviewer"])
    op.create_table(
        "highlight_added_segments",
        sa.Column("added_id", sa.Text), sa.Column("video_id", sa.Text, nullable=False),
        sa.Column("start_s", sa.Float, nullable=False), sa.Column("end_s", sa.Float, nullable=False),
        sa.Column("reviewer", sa.Text, nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("added_id", name="pk_highlight_added_segments"),
        sa.CheckConstraint("end_s > start_s", name="ck_highlight_added_segments_end_after_start"),
    )
    op.create_index("ix_highlight_added_segments_video_id", "highlight_added_segments", ["video_id"])
    op.create_table(
        "highlight_reviewed_videos",
        sa.Column("video_id", sa.Text), sa.Column("reviewer", sa.Text),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("video_id", "reviewer", name="pk_highlight_reviewed_videos"),
    )


def downgrade():
    op.drop_table("highlight_reviewed_videos")
    op.drop_index("ix_highlight_added_segments_video_id", table_name="highlight_added_segments")
    op.drop_table("highlight_added_segments")
    # one label per segment again: keep the latest decision (ties: the largest label_id), delete the others
    op.execute("""DELETE FROM highlight_labels WHERE segment_id IS NOT NULL AND EXISTS (
                      SELECT 1 FROM highlight_labels n WHERE n.segment_id = highlight_labels.segment_id
                      AND (n.decided_at > highlight_labels.decided_at
                           OR (n.decided_at = highlight_labels.decided_at
                               AND n.label_id > highlight_labels.label_id)))""")
    with op.batch_alter_table("highlight_labels") as b:
        b.drop_constraint("uq_highlight_labels_segment_id_reviewer", type_="unique")
        b.create_unique_constraint("uq_highlight_labels_segment_id", ["segment_id"])
