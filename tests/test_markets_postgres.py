"""The markets line on the shared deployment's engines: state (tracked markets) and the DuckLake catalog on a real
PostgreSQL server started by the test; the same calls as on SQLite, no engine branch in the line. Also the revision
markets_0002 down to store v1's types and up again on PostgreSQL, the rows kept."""
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from fireside_lab import store
from fireside_lab.config import get_settings
from servers import postgres_server

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples" / "markets"


@pytest.fixture(scope="module")
def pg():
    with postgres_server(dbnames=("fireside", "fireside_lake")) as url:
        yield url


def test_markets_on_postgres(pg, tmp_path):
    from fireside_lab import markets
    from fireside_lab.markets.tables import markets as markets_table
    s = get_settings(data_dir=tmp_path, state_url=pg("fireside"), lake_catalog_url=pg("fireside_lake"),
                     lake_data_path=str(tmp_path / "lakefiles") + "/")
    st = store.Store(s)
    assert st.engine.dialect.name == "postgresql"
    r = markets.import_files([SAMPLES / "XRP_ETH-trades.json.gz", SAMPLES / "ETH_BTC-5m.feather"], store=st)
    assert r.new.tolist() == [12477, 5760]
    tm = markets.tracked_markets(refresh_s=0, store=st)
    assert tm[["exchange", "symbol", "source"]].values.tolist() == [["binance", "ETH/BTC", "file"],
                                                                    ["binance", "XRP/ETH", "file"]]
    assert tm.enabled.dtype == bool and str(tm.added_at.dtype).endswith("UTC]")
    markets.track("binance", "XRP/ETH", enabled=False, store=st)
    assert markets.tracked_markets(refresh_s=0, store=st).symbol.tolist() == ["ETH/BTC"]

    # candles: the same as the in-memory kernel's on the same trades; a rebuild changes nothing
    want = markets.trades_to_candles(markets.read_file(SAMPLES / "XRP_ETH-trades.json.gz").frame)
    for tf in want:
        pd.testing.assert_frame_equal(markets.candles("binance", "XRP/ETH", tf, store=st), want[tf], rtol=1e-12)
    markets.build_candles(store=st)
    pd.testing.assert_frame_equal(markets.candles("binance", "XRP/ETH", "1h", store=st), want["1h"], rtol=1e-12)
    res = markets.compute_metrics([("binance", "XRP/ETH"), ("binance", "ETH/BTC")], ["5m"], store=st)
    assert len(res["metrics"]) == 2 and len(markets.latest_metrics(timeframe="5m", store=st)) == 2
    assert (markets.compact(store=st).files_after == 1).all()

    # a second store (what another process builds) sees the same rows in both tiers
    other = store.Store(s)
    assert other.scalar(sa.select(sa.func.count()).select_from(markets_table)) == 2
    assert markets.freshness("binance", "XRP/ETH", store=other)["trades"] == 12477

    # markets_0002 down to store v1's types and up again: rows kept, times aware UTC again
    before = other.rows(sa.select(markets_table).order_by(markets_table.c.symbol))
    other.downgrade("markets@markets_0001")
    with other.connect() as c:
        v1 = c.exec_driver_sql("SELECT symbol, enabled, added_at FROM markets ORDER BY symbol").all()
    assert [(sym, enabled) for sym, enabled, _ in v1] == [("ETH/BTC", 1), ("XRP/ETH", 0)]
    assert all(isinstance(t, dt.datetime) and t.tzinfo is None for _, _, t in v1)
    other.upgrade()
    after = other.rows(sa.select(markets_table).order_by(markets_table.c.symbol))
    assert [dict(r) for r in after] == [dict(r) for r in before]
    assert all(r["added_at"].tzinfo == dt.timezone.utc for r in after)
    other.close(), st.close()
