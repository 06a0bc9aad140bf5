"""The state schema: Alembic's revisions build exactly the tables the code declares (SQLite and PostgreSQL), and
`fireside-lab db upgrade` turns a store written by store v1 (tests/fixtures/store_v1) into the current schema in place,
every row kept."""
import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from fireside_lab import store
from fireside_lab.config import get_settings
from servers import postgres_server

FIXTURE = Path(__file__).parent / "fixtures" / "store_v1"
BIN = Path(sys.executable).parent / "fireside-lab"
UTC = dt.timezone.utc


def _declared() -> sa.MetaData:
    "store.metadata with every line's tables declared (the CLI imports every line)."
    from fireside_lab.cli import commands
    commands()
    return store.metadata


def _differences(engine) -> list:
    "What Alembic's autogenerate finds between the declared tables and the database (only declared tables)."
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    md = _declared()
    with engine.connect() as c:
        diff = compare_metadata(MigrationContext.configure(c, opts={"compare_type": True}), md)
    return [d for d in diff if _table(d) in md.tables]


def _table(diff) -> str | None:
    "The table an autogenerate difference is about (modify_* differences come as a list of tuples)."
    op = diff[0] if isinstance(diff, list) else diff
    kind = op[0]
    if kind in ("add_table", "remove_table"): return op[1].name
    if kind in ("add_index", "remove_index", "add_constraint", "remove_constraint", "add_fk", "remove_fk"):
        return op[1].table.name
    if kind in ("add_column", "remove_column") or kind.startswith("modify_"): return op[2]
    return None


def test_new_sqlite_store_matches_the_declared_tables(tmp_path):
    st = store.Store(get_settings(data_dir=tmp_path))
    assert _differences(st.engine) == []
    st.close()


def test_new_postgres_store_matches_the_declared_tables(tmp_path):
    with postgres_server() as url:
        st = store.Store(get_settings(data_dir=tmp_path, state_url=url()))
        assert _differences(st.engine) == []
        st.close()


def _raw(path: Path) -> dict[str, list[dict]]:
    "Every table of a SQLite file as plain rows (sqlite3, no types), by table."
    c = sqlite3.connect(path)
    c.row_factory = sqlite3.Row
    names = [r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    out = {n: [dict(r) for r in c.execute(f'SELECT * FROM "{n}"')] for n in names}
    c.close()
    return out


def _same(old, new) -> bool:
    "A store v1 value (text, integer, real) equals its upgraded, typed value."
    if old is None or new is None: return old is None and new is None
    if isinstance(new, dt.datetime):
        o = dt.datetime.fromisoformat(old)
        return new.tzinfo == UTC and (o if o.tzinfo else o.replace(tzinfo=UTC)) == new
    if isinstance(new, bool): return bool(old) == new
    if isinstance(new, (dict, list)): return json.loads(old) == new
    return old == new


def test_store_v1_is_upgraded_in_place_every_row_kept(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(FIXTURE, data)
    before = _raw(data / "state.sqlite")
    assert sum(map(len, before.values())) > 100 and "schema_migrations" in before
    env = dict(os.environ, FIRESIDE_DATA_DIR=str(data))
    r = subprocess.run([str(BIN), "db", "upgrade"], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([str(BIN), "db", "status"], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and "0 pending" in r.stdout, r.stdout + r.stderr

    st = store.Store(get_settings(data_dir=data))
    assert _differences(st.engine) == []
    after = _raw(data / "state.sqlite")
    assert "schema_migrations" not in after and "alembic_version" in after
    md = _declared()
    for name, old_rows in before.items():
        if name in ("schema_migrations", "sqlite_sequence"): continue
        assert len(after[name]) == len(old_rows), name                       # every row kept
        if name not in md.tables:                                              # not declared (yet): compare raw
            assert sorted(map(str, after[name])) == sorted(map(str, old_rows)), name
            continue
        t = md.tables[name]
        new_rows = [dict(r) for r in st.rows(sa.select(t))]
        pk = [c.name for c in t.primary_key.columns] or [c.name for c in t.columns]
        key = lambda r: tuple(str(r[k]) for k in pk)
        for old, new in zip(sorted(old_rows, key=key), sorted(new_rows, key=key)):
            for col, v in old.items():
                if col in new:
                    assert _same(v, new[col]), (name, col, v, new[col])
    # the lake came along untouched: trades, candles, entries readable
    assert st.lake_query("SELECT count(*) FROM lake.trades")[0][0] > 1000
    assert st.lake_query("SELECT count(*) FROM lake.candles WHERE timeframe = '1m'")[0][0] > 0
    assert st.lake_query("SELECT count(*) FROM lake.story_entries")[0][0] > 0
    st.close()


def test_failed_upgrade_changes_nothing(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(FIXTURE, data)
    c = sqlite3.connect(data / "state.sqlite")
    # a row that no later schema can hold: a run with a time no parser reads makes the jobs revision fail
    c.execute("UPDATE runs SET started_at = 'not a time' WHERE status = 'succeeded' AND parent_id IS NULL "
              "AND rowid = (SELECT min(rowid) FROM runs WHERE status = 'succeeded')")
    c.commit()
    c.close()
    before = _raw(data / "state.sqlite")
    schema_before = sqlite3.connect(data / "state.sqlite").execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall()
    r = subprocess.run([str(BIN), "db", "upgrade"], env=dict(os.environ, FIRESIDE_DATA_DIR=str(data)),
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and "nothing was changed" in r.stderr, r.stderr
    assert _raw(data / "state.sqlite") == before
    assert sqlite3.connect(data / "state.sqlite").execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall() == \
        schema_before
