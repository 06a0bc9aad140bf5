"""polls 1 (store v1's `polls#1`): polls, ballots and per-option counts kept by triggers.

The schema exactly as store v1 created it (its SQLite statements, and the PostgreSQL text it ran there), so that a
v1 store is adopted by stamping this revision (see `fireside_lab.store.schema`) and a new store passes through the
same history. Later revisions of the `polls` branch turn it into the current schema.
"""
from alembic import op

revision = "polls_0001"
down_revision = None
branch_labels = ("polls",)
depends_on = None

SQLITE = [
    """
CREATE TABLE polls (
    poll_id      TEXT PRIMARY KEY,
    question     TEXT NOT NULL,
    options      TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('single', 'multiple')),
    privacy      TEXT NOT NULL CHECK (privacy IN ('none', 'randomized_response')),
    privacy_p    REAL CHECK (privacy_p IS NULL OR (privacy_p > 0 AND privacy_p <= 1)),
    epsilon      REAL,
    allow_change INTEGER NOT NULL DEFAULT 0,
    voters       TEXT,
    opens_at     TIMESTAMP,
    closes_at    TIMESTAMP,
    closed       INTEGER NOT NULL DEFAULT 0,
    creator      TEXT,
    created_at   TIMESTAMP NOT NULL
)""",
    """
CREATE TABLE ballots (
    poll_id TEXT NOT NULL REFERENCES polls (poll_id),
    voter   TEXT NOT NULL,
    choices TEXT NOT NULL,
    cast_at TIMESTAMP NOT NULL,
    PRIMARY KEY (poll_id, voter)
)""",
    """
CREATE TABLE poll_counts (
    poll_id      TEXT NOT NULL REFERENCES polls (poll_id),
    option_index INTEGER NOT NULL,
    n            INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (poll_id, option_index)
)""",
    """
CREATE TRIGGER ballots_count_insert AFTER INSERT ON ballots BEGIN
    UPDATE poll_counts SET n = n + 1 WHERE poll_id = NEW.poll_id
       AND (option_index = -1 OR option_index IN (SELECT value FROM json_each(NEW.choices)));
END""",
    """
CREATE TRIGGER ballots_count_update AFTER UPDATE OF choices ON ballots BEGIN
    UPDATE poll_counts SET n = n - 1 WHERE poll_id = OLD.poll_id
       AND option_index IN (SELECT value FROM json_each(OLD.choices));
    UPDATE poll_counts SET n = n + 1 WHERE poll_id = NEW.poll_id
       AND option_index IN (SELECT value FROM json_each(NEW.choices));
END""",
    """
CREATE TRIGGER ballots_count_delete AFTER DELETE ON ballots BEGIN
    UPDATE poll_counts SET n = n - 1 WHERE poll_id = OLD.poll_id
       AND (option_index = -1 OR option_index IN (SELECT value FROM json_each(OLD.choices)));
END""",
]

POSTGRESQL = """
CREATE TABLE polls (
    poll_id TEXT PRIMARY KEY, question TEXT NOT NULL, options TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('single', 'multiple')),
    privacy TEXT NOT NULL CHECK (privacy IN ('none', 'randomized_response')),
    privacy_p DOUBLE PRECISION CHECK (privacy_p IS NULL OR (privacy_p > 0 AND privacy_p <= 1)),
    epsilon DOUBLE PRECISION, allow_change INTEGER NOT NULL DEFAULT 0, voters TEXT,
    opens_at TIMESTAMP, closes_at TIMESTAMP, closed INTEGER NOT NULL DEFAULT 0, creator TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE TABLE ballots (
    poll_id TEXT NOT NULL REFERENCES polls (poll_id), voter TEXT NOT NULL, choices TEXT NOT NULL,
    cast_at TIMESTAMP NOT NULL, PRIMARY KEY (poll_id, voter)
);
CREATE TABLE poll_counts (
    poll_id TEXT NOT NULL REFERENCES polls (poll_id), option_index INTEGER NOT NULL, n INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (poll_id, option_index)
);
CREATE OR REPLACE FUNCTION poll_counts_on_ballot() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE poll_counts SET n = n - 1 WHERE poll_id = OLD.poll_id
           AND ((TG_OP = 'DELETE' AND option_index = -1)
                OR option_index IN (SELECT value::int FROM jsonb_array_elements_text(OLD.choices::jsonb)));
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE poll_counts SET n = n + 1 WHERE poll_id = NEW.poll_id
           AND ((TG_OP = 'INSERT' AND option_index = -1)
                OR option_index IN (SELECT value::int FROM jsonb_array_elements_text(NEW.choices::jsonb)));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER ballots_counts AFTER INSERT OR UPDATE OR DELETE ON ballots
    FOR EACH ROW EXECUTE FUNCTION poll_counts_on_ballot();
"""


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in SQLITE:
            bind.exec_driver_sql(statement)
    else:
        bind.exec_driver_sql(POSTGRESQL)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.get_bind().exec_driver_sql("DROP FUNCTION IF EXISTS poll_counts_on_ballot() CASCADE")
    op.drop_table("poll_counts")
    op.drop_table("ballots")
    op.drop_table("polls")
