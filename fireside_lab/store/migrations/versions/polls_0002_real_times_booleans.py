"""polls 2: real timestamps (UTCDateTime), booleans, named CHECK constraints; the count triggers kept.

Store v1 kept the poll and ballot times as naive UTC `TIMESTAMP`s (ISO text on SQLite) and the flags `allow_change`
and `closed` as integers. This revision turns them into what `fireside_lab.polls.tables` declares, every row kept:

- `polls.opens_at`, `closes_at`, `created_at`, `ballots.cast_at` -> `UTCDateTime`: `TIMESTAMPTZ` on PostgreSQL (the
  naive values read as UTC), `DATETIME` on SQLite. SQLite keeps v1's text, which SQLAlchemy reads back with
  `datetime.fromisoformat`; a value in another form (a `T` separator, an offset, `Z`) is rewritten first as naive UTC
  `YYYY-MM-DD HH:MM:SS.ffffff`, so text order stays time order; a value that is no time fails the revision (and so
  the whole upgrade: nothing is changed).
- `polls.allow_change`, `closed` -> `BOOLEAN` (PostgreSQL: `<> 0`; SQLite keeps 0/1), default false.
- v1's unnamed CHECK constraints on `polls` come back named (`ck_polls_kind`, `ck_polls_privacy`, `ck_polls_privacy_p`).
- The JSON documents (`options`, `voters`, `choices`) stay text.
- `privacy_p` and `epsilon` become `DOUBLE` on SQLite (v1: `REAL`, the same 8-byte float), the name `sa.Double`
  reflects as; PostgreSQL has `DOUBLE PRECISION` already.

On SQLite, `polls` and `ballots` are copied into new tables (`batch_alter_table(recreate="always")`). The copy drops
the triggers on `ballots` that keep `poll_counts` up to date, so they are created again afterwards, unchanged. On
PostgreSQL the columns change in place and the trigger (a plpgsql function) stays. `downgrade()` goes back to v1's
types (and v1's trigger text on SQLite).
"""
import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "polls_0002"
down_revision = "polls_0001"
branch_labels = None
depends_on = None

POLL_TIMES = ("opens_at", "closes_at", "created_at")
FLAGS = ("allow_change", "closed")
FLOATS = ("privacy_p", "epsilon")

#: v1's CHECK constraints on `polls`, by the name they get here
CHECKS = {"ck_polls_kind": "kind IN ('single', 'multiple')",
          "ck_polls_privacy": "privacy IN ('none', 'randomized_response')",
          "ck_polls_privacy_p": "privacy_p IS NULL OR (privacy_p > 0 AND privacy_p <= 1)"}

#: the SQLite triggers of polls_0001, as they were (a batch copy of `ballots` drops them)
SQLITE_TRIGGERS = [
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

#: PostgreSQL's names for v1's unnamed CHECK constraints (`<table>_<column>_check`)
PG_V1_CHECKS = {"ck_polls_kind": "polls_kind_check", "ck_polls_privacy": "polls_privacy_check",
                "ck_polls_privacy_p": "polls_privacy_p_check"}

_DIGITS = "[0-9]"
#: SQLite GLOB patterns of the text v1 wrote and SQLAlchemy reads as it is: `YYYY-MM-DD HH:MM:SS[.ffffff]`
_PLAIN = "-".join([_DIGITS * 4, _DIGITS * 2, _DIGITS * 2]) + " " + ":".join([_DIGITS * 2] * 3)


def _canonical(table: str, column: str, value) -> str:
    "A v1 time value as naive UTC text `YYYY-MM-DD HH:MM:SS.ffffff`; raises ValueError naming it if it is no time."
    try:
        t = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except (AttributeError, TypeError, ValueError):
        raise ValueError(f"{table}.{column}: {value!r} is not a time store v1 wrote (ISO 8601 text)") from None
    if t.tzinfo is not None:
        t = t.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return t.strftime("%Y-%m-%d %H:%M:%S.%f")


def _sqlite_normalise_times(bind, table: str, columns) -> int:
    "Rewrite the time values of `columns` that are not plain naive text (see `_PLAIN`); returns how many."
    done = 0
    for col in columns:
        odd = bind.exec_driver_sql(
            f"SELECT rowid, {col} FROM {table} WHERE {col} IS NOT NULL AND NOT (typeof({col}) = 'text' AND "
            f"({col} GLOB '{_PLAIN}' OR ({col} GLOB '{_PLAIN}.[0-9]*' AND NOT substr({col}, 21) GLOB '*[^0-9]*')))"
        ).all()
        for rowid, value in odd:
            bind.exec_driver_sql(f"UPDATE {table} SET {col} = ? WHERE rowid = ?",
                                 (_canonical(table, col, value), rowid))
        done += len(odd)
    return done


def _named_checks():
    return tuple(sa.CheckConstraint(text, name=op.f(name)) for name, text in CHECKS.items())


def _sqlite_upgrade(bind):
    _sqlite_normalise_times(bind, "polls", POLL_TIMES)
    _sqlite_normalise_times(bind, "ballots", ("cast_at",))
    # v1's CHECKs are unnamed: batch mode leaves them out of the copy, so they come back named through table_args
    with op.batch_alter_table("polls", recreate="always", table_args=_named_checks()) as batch:
        batch.alter_column("poll_id", existing_type=sa.Text, nullable=False)
        for col in FLOATS:
            batch.alter_column(col, type_=sa.Double, existing_type=sa.REAL)
        for col in POLL_TIMES:
            batch.alter_column(col, type_=sa.DateTime(timezone=True), existing_type=sa.TIMESTAMP)
        for col in FLAGS:
            batch.alter_column(col, type_=sa.Boolean, existing_type=sa.Integer, server_default=sa.false(),
                               existing_nullable=False)
    with op.batch_alter_table("ballots", recreate="always") as batch:
        batch.alter_column("cast_at", type_=sa.DateTime(timezone=True), existing_type=sa.TIMESTAMP,
                           existing_nullable=False)
    for statement in SQLITE_TRIGGERS:
        bind.exec_driver_sql(statement)


def _postgresql_upgrade():
    for col in POLL_TIMES:
        op.alter_column("polls", col, type_=sa.DateTime(timezone=True), existing_type=sa.TIMESTAMP,
                        postgresql_using=f"{col}::timestamp AT TIME ZONE 'UTC'")
    op.alter_column("ballots", "cast_at", type_=sa.DateTime(timezone=True), existing_type=sa.TIMESTAMP,
                    existing_nullable=False, postgresql_using="cast_at::timestamp AT TIME ZONE 'UTC'")
    for col in FLAGS:       # an integer default cannot be cast to boolean: drop it, change the type, set it again
        op.alter_column("polls", col, server_default=None, existing_type=sa.Integer, existing_nullable=False)
        op.alter_column("polls", col, type_=sa.Boolean, existing_type=sa.Integer, existing_nullable=False,
                        postgresql_using=f"{col} <> 0")
        op.alter_column("polls", col, server_default=sa.false(), existing_type=sa.Boolean, existing_nullable=False)
    for name, v1_name in PG_V1_CHECKS.items():
        op.execute(f"ALTER TABLE polls DROP CONSTRAINT IF EXISTS {v1_name}")
        op.create_check_constraint(op.f(name), "polls", CHECKS[name])


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _sqlite_upgrade(bind)
    else:
        _postgresql_upgrade()


def _sqlite_downgrade(bind):
    with op.batch_alter_table("polls", recreate="always") as batch:
        for col in FLOATS:
            batch.alter_column(col, type_=sa.REAL, existing_type=sa.Double)
        for col in POLL_TIMES:
            batch.alter_column(col, type_=sa.TIMESTAMP, existing_type=sa.DateTime(timezone=True))
        for col in FLAGS:
            batch.alter_column(col, type_=sa.Integer, existing_type=sa.Boolean, server_default=sa.text("0"),
                               existing_nullable=False)
    with op.batch_alter_table("ballots", recreate="always") as batch:
        batch.alter_column("cast_at", type_=sa.TIMESTAMP, existing_type=sa.DateTime(timezone=True),
                           existing_nullable=False)
    for statement in SQLITE_TRIGGERS:
        bind.exec_driver_sql(statement)


def _postgresql_downgrade():
    for name, v1_name in PG_V1_CHECKS.items():
        op.drop_constraint(op.f(name), "polls", type_="check")
        op.create_check_constraint(op.f(v1_name), "polls", CHECKS[name])
    for col in FLAGS:
        op.alter_column("polls", col, server_default=None, existing_type=sa.Boolean, existing_nullable=False)
        op.alter_column("polls", col, type_=sa.Integer, existing_type=sa.Boolean, existing_nullable=False,
                        postgresql_using=f"CASE WHEN {col} THEN 1 ELSE 0 END")
        op.alter_column("polls", col, server_default=sa.text("0"), existing_type=sa.Integer, existing_nullable=False)
    op.alter_column("ballots", "cast_at", type_=sa.TIMESTAMP, existing_type=sa.DateTime(timezone=True),
                    existing_nullable=False, postgresql_using="cast_at AT TIME ZONE 'UTC'")
    for col in POLL_TIMES:
        op.alter_column("polls", col, type_=sa.TIMESTAMP, existing_type=sa.DateTime(timezone=True),
                        postgresql_using=f"{col} AT TIME ZONE 'UTC'")


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _sqlite_downgrade(bind)
    else:
        _postgresql_downgrade()
