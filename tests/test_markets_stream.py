"""Live markets: a real ccxt.pro Binance client streams trades from a local websocket server replaying Binance's
aggTrade stream (`markets_stream_replay.py`), with REST on the side for the gap fill.

The 12,477 bundled XRP/ETH trades are replayed with two forced disconnects: the stored trades must equal the file
import of the same trades, with no duplicate, and the candles freqtrade's at 1m and 5m. A market whose stream stays
down is marked stale (and `/readyz` says so) while the other market goes on.
"""
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from markets_stream_replay import BinanceStreamReplay
from test_markets_ccxt import COLS, from_file, resample_ohlcv, stored

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples" / "markets"


@pytest.fixture
def st(data_dir, monkeypatch):
    from fireside_lab import markets, store  # noqa: F401  (its settings section known before the variables are set)
    monkeypatch.setenv("FIRESIDE_MARKETS_STREAM_BACKOFF_BASE_S", "0.2")
    monkeypatch.setenv("FIRESIDE_MARKETS_STREAM_STALE_S", "2")
    yield store.default()
    store.reset_default()


def _run_until(ts, done, timeout_s=120):
    """Run the stream in this thread until `done()` holds (checked every 0.2 s from another thread) or time runs out."""
    def stopper():
        end = time.monotonic() + timeout_s
        while time.monotonic() < end and not done():
            time.sleep(0.2)
        ts.stop()
    threading.Thread(target=stopper, daemon=True).start()
    return ts.run_sync()


def test_stream_with_two_disconnects_equals_file_import(st):
    from fireside_lab import markets
    with BinanceStreamReplay(rate=2500, drop_at=[4000, 8000]) as srv:
        ts = markets.TradeStream("binance", ["XRP/ETH"], store=st, rest_url=srv.base, ws_url=srv.ws_url)
        # done when every trade is in the lake (stored + filled over-counts: both may bring a trade, stored once)
        stats = _run_until(ts, lambda: srv.finished() and not ts._pending["XRP/ETH"]
                           and st.lake_query("SELECT count(*) FROM lake.trades")[0][0] >= 12477)
        fills = srv.requests_to("/api/v3/aggTrades")
    s = stats["XRP/ETH"]
    print(f"\nstream: {s}; subscriptions {srv.subscriptions}, drops {srv.drops}, REST pages {len(fills)}")
    assert srv.drops == 2 and srv.subscriptions == 3 and s["reconnects"] == 2
    assert s["filled"] > 0 and s["received"] < 12477          # the downtime's trades came by REST, not the stream
    assert all("fromId" in q for q in fills)                    # filled after the last stored trade, by id
    # stored = the file import: ids, times, sides, prices, amounts; no duplicate
    got, want = stored(st), from_file()
    pd.testing.assert_frame_equal(got[["id", "timestamp_ms", "side", "price", "amount"]],
                                  want[["id", "timestamp_ms", "side", "price", "amount"]], check_dtype=False)
    assert st.lake_query("SELECT count(*) - count(DISTINCT id) FROM lake.trades")[0][0] == 0
    # candles as freqtrade makes them from the same trades
    for tf, seconds in (("1m", 60), ("5m", 300)):
        c = markets.candles("binance", "XRP/ETH", tf, store=st)
        assert c.trades.sum() == 12477
        pd.testing.assert_frame_equal(c[["date", "open", "high", "low", "close", "volume"]],
                                      resample_ohlcv(want, seconds), check_dtype=False)
    # batches of at most 1,000 trades; every trade's latency recorded
    assert s["batches"] >= -(-s["received"] // 1000) and len(ts.latencies_s) == s["stored"] == s["received"]
    row = markets.stream_status(store=st).iloc[0]
    assert row.status == "stopped" and row.reconnects == 2 and row.last_trade_ms == int(want.timestamp_ms.max())


def test_a_market_down_for_good_goes_stale_the_other_goes_on(st):
    """ETH/BTC's stream is refused every time (the connection is cut right after subscribing): after the stale time it
    is `stale`, in `stream_status`, on the dashboard's line and in `/readyz`; XRP/ETH streams on meanwhile."""
    from fireside_lab import markets
    from fireside_lab.web.ops import readiness
    with BinanceStreamReplay(rate=400, dead_streams={"ethbtc@aggTrade"}) as srv:
        ts = markets.TradeStream("binance", ["XRP/ETH", "ETH/BTC"], store=st, rest_url=srv.base, ws_url=srv.ws_url)
        seen = {}

        def done():
            s = markets.stream_status(store=st).set_index("symbol")
            if len(s) == 2 and s.loc["ETH/BTC", "status"] == "stale" and ts.stats["XRP/ETH"]["stored"] > 0:
                seen["status"] = s
                seen["ready"] = readiness()
                return True
            return False
        _run_until(ts, done, timeout_s=60)
    assert "status" in seen, markets.stream_status(store=st)
    s = seen["status"]
    assert s.loc["XRP/ETH", "status"] == "live" and s.loc["ETH/BTC", "status"] == "stale"
    assert s.loc["ETH/BTC", "reconnects"] >= 2 and "NetworkError" in s.loc["ETH/BTC", "error"]
    assert ts.stats["XRP/ETH"]["stored"] > 0 and ts.stats["ETH/BTC"]["stored"] == 0
    ready, checks = seen["ready"]
    assert checks["market_streams"] == {"ok": False, "required": False, "detail": "stale: binance ETH/BTC"}
    from fireside_lab.markets.dashboard import _stream_text
    assert _stream_text(s.reset_index().set_index("symbol").loc["ETH/BTC"].to_dict() | {"error": "x"}) \
        .startswith("- live stream: **stale**")


def test_watch_command_streams_into_the_lake(st, data_dir):
    """`fireside-lab markets watch` in its own process against the replay, stopped by --duration."""
    import subprocess
    import sys
    with BinanceStreamReplay(rate=2000) as srv:
        out = subprocess.run([sys.executable, "-c", "from fireside_lab.cli import main; main()",
                              "markets", "watch", "binance", "XRP/ETH",
                              "--duration", "4", "--rest-url", srv.base, "--ws-url", srv.ws_url],
                             capture_output=True, text=True, timeout=120)
        sent = srv.sent
    assert out.returncode == 0, out.stderr[-3000:]
    assert "binance XRP/ETH: " in out.stdout and "trades received" in out.stdout, out.stdout
    n = st.lake_query("SELECT count(*) FROM lake.trades")[0][0]
    assert 0 < n <= sent, (n, sent, out.stdout)
    assert st.lake_query("SELECT count(*) - count(DISTINCT id) FROM lake.trades")[0][0] == 0


def test_watch_task_on_a_worker_until_cancelled(st):
    """`markets.watch` as a run a real worker owns: it streams until the run is cancelled, then the trades received are
    written and the market's stream reads `stopped`."""
    from fireside_lab import jobs, markets
    from jobs_helpers import Worker
    with BinanceStreamReplay(rate=1000) as srv:
        w = Worker(1).wait_up()
        try:
            rid = jobs.enqueue("markets.watch", dict(exchange="binance", symbols="XRP/ETH", rest_url=srv.base,
                                                     ws_url=srv.ws_url))
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and st.lake_query("SELECT count(*) FROM lake.trades")[0][0] < 2000:
                time.sleep(0.2)
            assert markets.stream_status(store=st).status.tolist() == ["live"]
            jobs.cancel(rid)
            r = jobs.wait(rid, timeout=60)
        finally:
            w.stop()
    assert r["status"] == "cancelled", r
    s = markets.stream_status(store=st).iloc[0]
    n = st.lake_query("SELECT count(*) FROM lake.trades")[0][0]
    assert s.status == "stopped" and n >= 2000
    assert st.lake_query("SELECT count(*) - count(DISTINCT id) FROM lake.trades")[0][0] == 0
    assert markets.candles("binance", "XRP/ETH", "1m", store=st).trades.sum() == n


def test_reconnect_after_the_last_trade_is_filled_without_waiting_for_another(st):
    """The connection drops 30 trades before the end: those are made while the stream is down, and no trade follows
    the reconnect. The quiet market is filled up to now after `quiet_s`, so every trade is stored."""
    from fireside_lab import markets
    with BinanceStreamReplay(rate=2500, drop_at=[12447]) as srv:
        ts = markets.TradeStream("binance", ["XRP/ETH"], store=st, rest_url=srv.base, ws_url=srv.ws_url)
        ts.quiet_s = 1.0
        _run_until(ts, lambda: st.lake_query("SELECT count(*) FROM lake.trades")[0][0] >= 12477, timeout_s=60)
    assert srv.drops == 1 and srv.subscriptions == 2
    assert ts.stats["XRP/ETH"]["received"] <= 12447 and ts.stats["XRP/ETH"]["filled"] >= 30
    pd.testing.assert_frame_equal(stored(st)[["id", "price", "amount"]], from_file()[["id", "price", "amount"]],
                                  check_dtype=False)


def test_a_drop_seen_while_the_loop_is_busy_is_a_reconnect_with_a_gap_fill(st):
    """The client's event loop is busy (blocked 0.4 s) while the server sends its last trades and cuts the connection,
    so ccxt reads those trades and the cut together, after the pause. Whether ccxt then raises to the waiting
    `watch_trades` call or the close falls between two calls (no call waits, and the next one quietly opens a new
    connection: the watcher's `StreamDropped`) depends on the order ccxt's callbacks run in; either way the stream must
    count one reconnect and fill the downtime's trades by REST, so the stored trades equal the file import."""
    from fireside_lab import markets
    with BinanceStreamReplay(rate=2500, drop_at=[4000]) as srv:
        ts = markets.TradeStream("binance", ["XRP/ETH"], store=st, rest_url=srv.base, ws_url=srv.ws_url)

        def block_the_loop_at_the_drop():
            while srv.happened() < 3960: time.sleep(0.001)
            ts._loop.call_soon_threadsafe(time.sleep, 0.4)
        threading.Thread(target=block_the_loop_at_the_drop, daemon=True).start()
        stats = _run_until(ts, lambda: srv.finished() and not ts._pending["XRP/ETH"]
                           and st.lake_query("SELECT count(*) FROM lake.trades")[0][0] >= 12477, timeout_s=60)
    s = stats["XRP/ETH"]
    assert srv.drops == 1 and srv.subscriptions == 2 and s["reconnects"] == 1, (s, srv.subscriptions)
    assert s["filled"] > 0 and s["received"] < 12477
    pd.testing.assert_frame_equal(stored(st)[["id", "price", "amount"]], from_file()[["id", "price", "amount"]],
                                  check_dtype=False)
    assert markets.stream_status(store=st).iloc[0].reconnects == 1
