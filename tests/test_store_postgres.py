"""The shared-deployment store: `state` and the DuckLake catalog on a real PostgreSQL server started by the test."""
import pytest

from fireside_lab import store
from fireside_lab.config import get_settings
from servers import postgres_server


@pytest.fixture(scope="module")
def pg():
    with postgres_server(dbnames=("fireside", "fireside_lake")) as url:
        yield url


def test_store_on_postgres(pg, tmp_path):
    s = get_settings(data_dir=tmp_path, state_url=pg("fireside"), lake_catalog_url=pg("fireside_lake"),
                     lake_data_path=str(tmp_path / "lakefiles") + "/")
    store.migration("pgtest", 1, "state", "CREATE TABLE pg_items (id INTEGER PRIMARY KEY AUTOINCREMENT, k TEXT UNIQUE NOT NULL, x REAL)")
    store.migration("pgtest", 2, "lake", "CREATE TABLE IF NOT EXISTS pg_facts (k VARCHAR, v DOUBLE)")
    con = store.connect(s)
    assert store.layout(s).state_engine == "postgres"
    status = {(r["module"], r["version"]): r["applied_at"] for r in store.migration_status(con)}
    assert status[("pgtest", 1)] is not None and status[("pgtest", 2)] is not None
    store.transaction(con, lambda c: c.executemany("INSERT INTO state.pg_items (k, x) VALUES (?, ?)", [("a", 1.5), ("b", 2.0)]))
    with pytest.raises(store.ConstraintError):
        store.transaction(con, lambda c: c.execute("INSERT INTO state.pg_items (k, x) VALUES ('a', 3)"))
    assert store.query(con, "SELECT id, k FROM state.pg_items ORDER BY id") == [(1, "a"), (2, "b")]  # BIGSERIAL ids
    before = store.lake_snapshot_id(con)
    store.transaction(con, lambda c: c.execute("INSERT INTO lake.pg_facts VALUES ('a', 1)"))
    assert store.lake_snapshot_id(con) == before + 1
    # a second process-like connection sees the same data and re-running the migrations is a no-op
    con2 = store.connect(s)
    assert store.upgrade(con2) == []
    assert store.query(con2, "SELECT count(*) FROM lake.pg_facts") == [(1,)]
