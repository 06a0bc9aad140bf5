"""The ccxt path: a real ccxt Binance client against a local server replaying Binance's own aggTrades payloads.

The replayed responses are the raw `info` dicts of `XRP_OLD-trades.json.gz`; the same trades as a freqtrade file are
`XRP_ETH-trades.json.gz`. Downloading must give exactly the trades the file import gives, survive a failing request
(retry with backoff) and, when the exchange stays down, keep what was stored and resume after it on the next run.
"""
from pathlib import Path

import ccxt
import pandas as pd
import pytest

from markets_replay import BinanceReplay

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples" / "markets"
FIRST_MS = 1570752011620
COLS = ["id", "timestamp_ms", "side", "price", "amount", "cost"]


@pytest.fixture
def st(data_dir):
    """The process's store for this test's data dir."""
    from fireside_lab import store
    yield store.default()
    store.reset_default()


def stored(st, exchange="binance", symbol="XRP/ETH"):
    return st.lake_frame(f"SELECT {', '.join(COLS)} FROM lake.trades WHERE exchange = ? AND symbol = ? "
                         "ORDER BY timestamp_ms, seq", [exchange, symbol])


def from_file():
    from fireside_lab import markets
    return markets.read_file(SAMPLES / "XRP_ETH-trades.json.gz").frame[COLS]


def resample_ohlcv(trades: pd.DataFrame, seconds: int) -> pd.DataFrame:
    """Reference candles the way freqtrade's `trades_to_ohlcv` makes them (pandas resample: ohlc of price, sum of amount, dropna)."""
    d = trades.assign(date=pd.to_datetime(trades.timestamp_ms, unit="ms", utc=True)).set_index("date")
    o = d["price"].resample(f"{seconds}s").ohlc()
    o["volume"] = d["amount"].resample(f"{seconds}s").sum()
    return o.dropna().reset_index()


def test_download_equals_file_import_despite_a_failed_request(st):
    from fireside_lab import markets
    with BinanceReplay() as srv:
        srv.fail = lambda path, n: path == "/api/v3/aggTrades" and n == 4      # one 503 in the middle of the download
        ex = srv.client()
        assert ex.enableRateLimit
        r = markets.download_trades(ex, "XRP/ETH", since_ms=FIRST_MS, store=st, retry_base_s=0.01)
        calls = srv.requests_to("/api/v3/aggTrades")
    assert r["new"] == 12477 and r["last_id"] == "13532283"
    pd.testing.assert_frame_equal(stored(st), from_file(), check_dtype=False)
    # the first request pages by time (since inclusive), the rest by id, and the failed one was asked again
    assert calls[0]["startTime"] == str(FIRST_MS) and "fromId" in calls[1]
    assert calls[3] == calls[4], "the request that got a 503 is retried as it was"
    assert markets.tracked_markets(refresh_s=0, store=st).to_dict("records")[0]["source"] == "ccxt"
    # candles of the downloaded trades are those of the file import (built in the same transactions as the pages)
    got = markets.candles("binance", "XRP/ETH", "5m", store=st)
    assert got.trades.sum() == 12477
    pd.testing.assert_frame_equal(got[["date", "open", "high", "low", "close", "volume"]], resample_ohlcv(from_file(), 300),
                                  check_dtype=False)


def test_exchange_down_mid_download_keeps_pages_and_resumes(st):
    from fireside_lab import markets
    with BinanceReplay() as srv:
        srv.fail = lambda path, n: path == "/api/v3/aggTrades" and n >= 5       # down from the 5th request on
        with pytest.raises(ccxt.NetworkError):
            markets.download_trades(srv.client(), "XRP/ETH", since_ms=FIRST_MS, store=st, max_retries=2, retry_base_s=0.01)
        first_run = stored(st)
        assert len(srv.requests_to("/api/v3/aggTrades")) == 4 + 3                # 4 answered, then 1 + 2 retries
        assert 0 < len(first_run) < 12477
        pd.testing.assert_frame_equal(first_run, from_file().iloc[:len(first_run)], check_dtype=False)
        # the stored pages are complete: their candles are committed with them
        assert markets.candles("binance", "XRP/ETH", "1m", store=st).trades.sum() == len(first_run)

        srv.fail = lambda path, n: False
        srv.requests.clear()
        r = markets.download_trades(srv.client(), "XRP/ETH", since_ms=FIRST_MS, store=st, retry_base_s=0.01)
        resumed = srv.requests_to("/api/v3/aggTrades")
    assert resumed[0]["fromId"] == str(int(first_run.id.iloc[-1]) + 1) and "startTime" not in resumed[0]
    assert r["new"] == 12477 - len(first_run)
    pd.testing.assert_frame_equal(stored(st), from_file(), check_dtype=False)
    assert st.lake_query("SELECT count(*) - count(DISTINCT id) FROM lake.trades")[0][0] == 0


def test_download_again_adds_nothing_and_unknown_symbol_is_named(st):
    from fireside_lab import markets
    markets.import_files([SAMPLES / "XRP_ETH-trades.json.gz"], store=st)
    with BinanceReplay() as srv:
        r = markets.download_trades(srv.client(), "XRP/ETH", since_ms=FIRST_MS, store=st, retry_base_s=0.01)
        assert r["new"] == 0 and len(stored(st)) == 12477
        with pytest.raises(markets.MarketDataError, match="binance DOGE/ETH: unknown symbol"):
            markets.download_trades(srv.client(), "DOGE/ETH", store=st)


def test_download_candles_equal_candles_from_trades(st):
    """Klines served by the replay (computed there with pandas) against the store's candles from the file's trades."""
    from fireside_lab import markets
    markets.import_files([SAMPLES / "XRP_ETH-trades.json.gz"], store=st)
    with BinanceReplay() as srv:
        r = markets.download_candles(srv.client(), "XRP/ETH", "1m", since_ms=1570752000000, store=st,
                                     retry_base_s=0.01, page_limit=500)
    assert r["pages"] >= 3
    # the downloaded klines replaced the trade-built 1m candles: same OHLCV; coarser ones were rebuilt from them
    mine = markets.candles("binance", "XRP/ETH", "1h", store=st)
    pd.testing.assert_frame_equal(mine[["date", "open", "high", "low", "close", "volume"]], resample_ohlcv(from_file(), 3600),
                                  check_dtype=False)
    assert markets.candles("binance", "XRP/ETH", "1m", store=st).trades.isna().all()   # ccxt's OHLCV carries no trade count
