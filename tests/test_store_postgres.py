"""The shared-deployment store: the state and the DuckLake catalog on a real PostgreSQL server started by the test."""
import datetime as dt

import pytest
import sqlalchemy as sa

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
    st = store.Store(s)
    assert st.engine.dialect.name == "postgresql" and st.engine.dialect.driver == "psycopg"
    assert all(r["applied"] for r in st.schema_status())          # every revision ran on PostgreSQL
    items = sa.Table("pg_items", sa.MetaData(), sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
                     sa.Column("k", sa.Text, unique=True, nullable=False), sa.Column("x", sa.Float),
                     sa.Column("at", store.UTCDateTime, nullable=False))
    items.create(st.engine)
    cet = dt.timezone(dt.timedelta(hours=1))
    ids = st.transaction(lambda c: c.execute(items.insert().returning(items.c.id),
                                             [dict(k="a", x=1.5, at=dt.datetime(2026, 12, 4, 16, tzinfo=cet)),
                                              dict(k="b", x=2.0, at=store.utcnow())]).scalars().all())
    assert ids == [1, 2]
    with pytest.raises(store.ConstraintError, match="pg_items"):
        st.transaction(lambda c: c.execute(items.insert().values(k="a", x=3, at=store.utcnow())))
    row = st.row(sa.select(items).where(items.c.k == "a"))
    assert row["at"] == dt.datetime(2026, 12, 4, 15, tzinfo=dt.timezone.utc) and row["at"].tzinfo == dt.timezone.utc

    store.lake_table("pg_facts", "CREATE TABLE IF NOT EXISTS lake.pg_facts (k VARCHAR, v DOUBLE)")
    before = st.lake_snapshot_id()
    st.lake_transaction(lambda lk: lk.execute("INSERT INTO lake.pg_facts VALUES ('a', 1)"))
    assert st.lake_snapshot_id() == before + 1

    # a second store (another process would build the same) sees the same data; upgrading again is a no-op
    st2 = store.Store(s)
    assert st2.upgrade() == []
    assert st2.lake_query("SELECT count(*) FROM lake.pg_facts") == [(1,)]
    assert st2.scalar(sa.select(sa.func.count()).select_from(items)) == 2
    # analytics joins the two tiers, the state read-only through DuckDB's postgres scanner
    con = st2.analytics()
    assert con.execute("SELECT i.k, f.v FROM state.pg_items i JOIN lake.pg_facts f USING (k)").fetchall() == [("a", 1.0)]
    con.close()
    st.close(), st2.close()
    store.LAKE_TABLES.pop("pg_facts")


def test_unreachable_postgres_is_one_line_without_the_password(tmp_path):
    s = get_settings(data_dir=tmp_path, state_url="postgresql://lab:s3cret@127.0.0.1:1/fireside")
    with pytest.raises(store.SettingsError) as e:
        store.Store(s)
    msg = str(e.value)
    assert msg.startswith("FIRESIDE_STATE_URL:") and "lab:***@127.0.0.1:1" in msg
    assert "s3cret" not in msg and "\n" not in msg
