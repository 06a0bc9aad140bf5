"""Markets: every file format into one store, candles against freqtrade's method, bad input, the CLI.

freqtrade itself is not installed as a reference: its wheel requires TA-Lib, a C library build, among ~45 other
dependencies. `freqtrade_trades_to_ohlcv` below is its method reproduced as written in
freqtrade/data/converter/trade_converter.py (2026.9): `trades_list_to_df` puts a UTC `date` from the ms timestamp,
`trades_to_ohlcv` resamples `price` with `.ohlc()` and `amount` with `.sum()` at `timeframe_to_resample_freq`
(`"{seconds}s"` for these timeframes), sets `date` from the index and `dropna()`s the empty buckets.
"""
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import run_py

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples" / "markets"
TF_SECONDS = {"1m": 60, "5m": 300, "15m": 900, "1h": 3600, "4h": 14400, "1d": 86400}


def freqtrade_trades_to_ohlcv(trades: pd.DataFrame, timeframe: str) -> pd.DataFrame:
    """freqtrade's trades_to_ohlcv on a frame with freqtrade's trade columns (timestamp ms, price, amount)."""
    df = trades.assign(date=pd.to_datetime(trades["timestamp"], unit="ms", utc=True)).set_index("date", drop=True)
    freq = f"{TF_SECONDS[timeframe]}s"
    new = df["price"].resample(freq).ohlc()
    new["volume"] = df["amount"].resample(freq).sum()
    new["date"] = new.index
    new = new.dropna()
    return new.loc[:, ["date", "open", "high", "low", "close", "volume"]].reset_index(drop=True)


@pytest.fixture
def st(data_dir):
    """The process's store for this test's data dir."""
    from fireside_lab import store
    yield store.default()
    store.reset_default()


def cli(*args):
    p = run_py("from fireside_lab.cli import main; main()", *args)
    out, err = p.communicate(timeout=300)
    return p.returncode, out + err


def freqtrade_trades():
    rows = json.loads(__import__("gzip").open(SAMPLES / "XRP_ETH-trades.json.gz").read())
    return pd.DataFrame(rows, columns=["timestamp", "id", "type", "side", "price", "amount", "cost"])


def test_candles_equal_freqtrade_trades_to_ohlcv_row_for_row(st):
    from fireside_lab import markets
    markets.import_files([SAMPLES / "XRP_ETH-trades.json.gz"], store=st)
    trades = freqtrade_trades()
    for tf in TF_SECONDS:
        got = markets.candles("binance", "XRP/ETH", tf, store=st)[["date", "open", "high", "low", "close", "volume"]]
        want = freqtrade_trades_to_ohlcv(trades, tf)
        assert len(got) == len(want), tf
        assert got.date.tolist() == want.date.tolist(), tf
        # prices are the trades' own values: exact; volumes are sums: equal up to summation order
        for c in ["open", "high", "low", "close"]:
            assert (got[c].values == want[c].values).all(), (tf, c)
        np.testing.assert_allclose(got.volume.values, want.volume.values, rtol=1e-12, err_msg=tf)


def test_5m_from_1m_equals_5m_from_trades_after_incremental_refresh(st):
    """Candles refreshed batch by batch (out-of-order batches, overlaps) equal one build from all trades."""
    from fireside_lab import markets
    from fireside_lab.markets.trades import _insert_trades
    t = markets.read_file(SAMPLES / "XRP_ETH-trades.json.gz").frame
    batches = [t.iloc[6000:9000], t.iloc[:2500], t.iloc[2000:6100], t.iloc[8000:]]
    for b in batches:
        st.lake_transaction(_insert_trades, "binance", "XRP/ETH", b)
    inc = {tf: markets.candles("binance", "XRP/ETH", tf, store=st) for tf in TF_SECONDS}
    markets.build_candles(store=st)
    for tf in TF_SECONDS:
        pd.testing.assert_frame_equal(inc[tf], markets.candles("binance", "XRP/ETH", tf, store=st), rtol=1e-12)
    # 5m built from the stored 1m candles by hand equals the stored 5m built by the store
    one = inc["1m"].assign(b=lambda d: d.date.dt.floor("5min"))
    five = one.groupby("b").agg(open=("open", "first"), high=("high", "max"), low=("low", "min"), close=("close", "last"),
                                volume=("volume", "sum"), trades=("trades", "sum")).reset_index()
    np.testing.assert_array_equal(five[["open", "high", "low", "close"]].values, inc["5m"][["open", "high", "low", "close"]].values)
    assert (five.trades.values == inc["5m"].trades.values).all()


def test_every_file_format_imports_into_the_same_trades(st):
    from fireside_lab import markets
    r = markets.import_files([SAMPLES / f for f in ["XRP_ETH-trades.parquet", "XRP_ETH-trades.feather", "XRP_ETH-trades.json",
                                                    "XRP_OLD-trades.json.gz", "XRP_ETH-trades.json.gz"]], store=st)
    assert r.new.tolist() == [12477, 0, 0, 0, 0]
    # Binance public data: aggTrades (ids = aggregate ids, as ccxt uses them) → the same trades, nothing new
    r = markets.import_files([SAMPLES / "XRPETH-aggTrades-2019-10-11.csv", SAMPLES / "XRPETH-aggTrades-2019-10-12.csv"], store=st)
    assert r.symbol.tolist() == ["XRP/ETH"] * 2 and r.new.sum() == 0 and r.rows.sum() > 10000
    # Binance trades CSV holds per-trade ids (another id space): a separate exchange name keeps them apart here
    r = markets.import_files([SAMPLES / "XRPETH-trades-2019-10-11.csv"], exchange="binanceus", store=st)
    assert r.new.item() == r.rows.item() > 5000
    # klines zip and freqtrade candles (feather, json)
    r = markets.import_files([SAMPLES / "XRPETH-1m-2019-10-11.zip"], exchange="kucoin", store=st)
    assert (r.kind.item(), r.timeframe.item()) == ("candles", "1m")
    r = markets.import_files([SAMPLES / "ETH_BTC-5m.feather", SAMPLES / "ETH_BTC-5m.json"], store=st)
    assert r.kind.tolist() == ["candles", "candles"] and r.rows.tolist() == [5760, 500]
    counts = markets.candle_counts(store=st).set_index(["exchange", "symbol", "timeframe"]).candles
    assert counts[("binance", "ETH/BTC", "5m")] == 5760 and ("binance", "ETH/BTC", "1d") in counts
    assert ("binance", "ETH/BTC", "1m") not in counts          # nothing finer than what was imported is invented
    # klines built from the same day's trades equal the store's 1m candles of that day
    k = markets.candles("kucoin", "XRP/ETH", "1m", store=st)
    mine = markets.candles("binance", "XRP/ETH", "1m", end="2019-10-12", store=st)
    np.testing.assert_allclose(k[["open", "high", "low", "close", "volume"]].values, mine[["open", "high", "low", "close", "volume"]].values, rtol=1e-9)
    assert (k.trades.values == mine.trades.values).all()
    assert st.lake_query("SELECT count(*), count(DISTINCT (exchange, symbol, id)) FROM lake.trades")[0][0] == \
        st.lake_query("SELECT count(*), count(DISTINCT (exchange, symbol, id)) FROM lake.trades")[0][1]
    assert set(markets.tracked_markets(refresh_s=0, store=st).symbol) == {"XRP/ETH", "ETH/BTC"}


def bad_files(tmp: Path) -> list[tuple[Path, dict, str]]:
    """(file, import kwargs, expected words in the error) for each kind of bad input."""
    good = json.loads(__import__("gzip").open(SAMPLES / "XRP_ETH-trades.json.gz").read())
    out = []
    p = tmp / "XRP_ETH-trades.json.gz"; p.write_bytes((SAMPLES / "XRP_ETH-trades.json.gz").read_bytes()[:40000])
    out.append((p, {}, "corrupt or truncated"))
    p = tmp / "ETH_BTC-5m.feather"; p.write_bytes((SAMPLES / "ETH_BTC-5m.feather").read_bytes()[:30000])
    out.append((p, {}, "corrupt or truncated"))
    p = tmp / "XRPETH-aggTrades-2019-10-11.csv"; p.write_bytes((SAMPLES / "XRPETH-aggTrades-2019-10-11.csv").read_bytes()[:100001])
    out.append((p, {}, "truncated"))
    (tmp / "w").mkdir(); p = tmp / "w" / "XRP_ETH-trades.parquet"
    pd.read_parquet(SAMPLES / "XRP_ETH-trades.parquet").rename(columns={"amount": "qty"}).to_parquet(p)
    out.append((p, {}, "missing trade column(s) ['amount']"))
    p = tmp / "XRPETH-trades-2019-10-12.csv"; p.write_text("1,2,3,4,5\n6,7,8,9,10\n")
    out.append((p, {}, "5 columns"))
    p = tmp / "LTC_ETH-trades.json"; p.write_text(json.dumps(good[:100] + good[50:60]))
    out.append((p, {}, "not in order"))
    p = tmp / "ADA_ETH-trades.json"; p.write_text(json.dumps(good[:100] + [good[99][:1] + ["13519900"] + good[99][2:]]))
    out.append((p, {}, "duplicate trade id '13519900'"))
    c = pd.read_feather(SAMPLES / "ETH_BTC-5m.feather").head(50)
    p = tmp / "LTC_BTC-5m.feather"; pd.concat([c, c.iloc[[10]]]).sort_values("date").reset_index(drop=True).to_feather(p)
    out.append((p, {}, "duplicate open time 2018-01-10 05:45:00"))
    out.append((SAMPLES / "XRP_ETH-trades.json.gz", {"exchange": "mtgox2"}, "unknown exchange 'mtgox2'"))
    out.append((SAMPLES / "XRP_ETH-trades.json.gz", {"symbol": "XRPETH"}, "unknown symbol 'XRPETH'"))
    out.append((SAMPLES / "XRP_OLD-trades.json.gz", {"symbol": "DOGE/ETH"}, "holds XRP/ETH trades, not DOGE/ETH"))
    return out


def test_bad_input_is_named_and_nothing_is_half_imported(st, tmp_path):
    from fireside_lab import markets
    markets.import_files([SAMPLES / "ETH_BTC-5m.json"], store=st)
    before = (st.lake_snapshot_id(), st.lake_query("SELECT count(*) FROM lake.candles")[0][0])
    for path, kw, words in bad_files(tmp_path):
        with pytest.raises(markets.MarketDataError) as e:
            # a good file first (when the options do not apply to both): the batch is all or nothing
            markets.import_files(([] if kw else [SAMPLES / "XRP_ETH-trades.parquet"]) + [path], store=st, **kw)
        assert str(path) in str(e.value) and words in str(e.value), (path, str(e.value))
        assert (st.lake_snapshot_id(), st.lake_query("SELECT count(*) FROM lake.candles")[0][0]) == before
    assert st.lake_query("SELECT count(*) FROM lake.trades")[0][0] == 0


def test_cli_import_and_candles(data_dir, tmp_path):
    code, out = cli("markets", "import", str(SAMPLES / "XRP_ETH-trades.json.gz"), str(SAMPLES / "XRPETH-aggTrades-2019-10-11.csv"))
    assert code == 0, out
    assert "XRP_ETH-trades.json.gz: binance XRP/ETH trades: 12477 rows, 12477 new" in out and ", 0 new" in out
    code, out = cli("markets", "candles")
    assert code == 0 and "XRP/ETH" in out and " 1d " in out and "2019-10-13" in out, out
    bad = tmp_path / "XRP_ETH-trades.json.gz"
    bad.write_bytes((SAMPLES / "XRP_ETH-trades.json.gz").read_bytes()[:1000])
    code, out = cli("markets", "import", "--exchange", "binance", "--symbol", "XRP/ETH", str(bad))
    assert code == 1 and str(bad) in out and "corrupt or truncated" in out, out
    code, out = cli("markets", "import", "--help")
    assert code == 0 and "--symbol" in out
    code, out = cli("markets", "list")
    assert code == 0 and "binance    XRP/ETH      file  enabled" in out, out


def test_retention_setting_drops_old_trades_keeps_candles(st, monkeypatch):
    from fireside_lab import markets
    from fireside_lab.markets.trades import _insert_trades
    markets.import_files([SAMPLES / "XRP_ETH-trades.json.gz"], store=st)
    before = {tf: markets.candles("binance", "XRP/ETH", tf, store=st) for tf in TF_SECONDS}
    monkeypatch.setenv("FIRESIDE_MARKETS_RETENTION_DAYS", "2")
    now = pd.Timestamp("2019-10-14 12:00", tz="UTC").value // 10**6     # 2 days back = 2019-10-12 00:00
    n = markets.drop_old_trades(now_ms=now, store=st)
    assert n > 5000 and st.lake_query("SELECT min(timestamp_ms) FROM lake.trades")[0][0] >= 1570838400000
    for tf in TF_SECONDS:
        pd.testing.assert_frame_equal(markets.candles("binance", "XRP/ETH", tf, store=st), before[tf])
    # late trades for a kept day refresh its buckets; coarser candles still cover the dropped day correctly
    t = markets.read_file(SAMPLES / "XRP_ETH-trades.json.gz").frame
    st.lake_transaction(_insert_trades, "binance", "XRP/ETH", t[t.timestamp_ms >= 1570838400000])
    pd.testing.assert_frame_equal(markets.candles("binance", "XRP/ETH", "1d", store=st), before["1d"])
