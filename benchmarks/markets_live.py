"""Live markets benchmark: latency from a trade message to its 1m candle in the lake, at 100, 1,000 and 10,000 trades/s.

A real ccxt.pro Binance client (`markets.TradeStream`) streams from a local websocket server replaying Binance's
aggTrade stream (`tests/markets_stream_replay.py`, in a process of its own), into an empty store in a temporary data
dir; each batch is written
by `add_trades` (new trades appended, the touched candles refreshed at all six resolutions, one lake transaction).

Data (SYNTHETIC beyond the first 12,477): the real Binance XRP/ETH aggregate trades of
`data/samples/markets/XRP_OLD-trades.json.gz`, replicated back to back in time (copy k shifted by k × 3 days and its
ids by k × 100,000) where a rate needs more trades than that.

Per rate, printed:
- latency received → stored: from the moment `watch_trades` hands a trade over to the commit of its batch (the
  moment its 1m candle is updated in the lake) — p50, p95, max;
- latency sent → stored: from the replay's send time (Binance's `E`, event time, ms) to the same commit — this adds
  the time a message waited in the socket and in ccxt's parser, so it shows whether the process keeps up;
- how far behind the store falls: the seconds from the replay's last send to the last commit, and the batches.
The baseline in the same run is the floor under a batch: `add_trades` of 1,000 trades called directly (no stream),
median of 5, and the ratio of the stream's p50 to it.

Run: `.venv/bin/python benchmarks/markets_live.py [--seconds 10]`.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def replicated(trades: list[dict], n: int) -> list[dict]:
    "At least `n` aggTrade payloads: copies of `trades` shifted by 3 days and 100,000 ids each."
    out, k = [], 0
    while len(out) < n:
        out += [{**t, "a": t["a"] + k * 100_000, "f": t["f"] + k * 100_000, "l": t["l"] + k * 100_000,
                 "T": t["T"] + k * 3 * 86_400_000} for t in trades]
        k += 1
    return out[:n]


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


def serve(trades: list[dict], rate: float, conn) -> None:
    """The replay in its own process (so its sending does not share the measured process's CPU time and GIL): sends
    its URLs, then on "stop" answers (trades sent, wall time of the last send)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from markets_stream_replay import BinanceStreamReplay
    with BinanceStreamReplay(trades, rate=rate) as srv:
        conn.send((srv.base, srv.ws_url))
        last_at = None
        while not conn.poll(0.01):
            if last_at is None and srv.sent == len(trades): last_at = time.time()
        conn.recv()
        conn.send((srv.sent, last_at))


def one_rate(rate: float, seconds: float, base: list[dict]) -> dict:
    import multiprocessing as mp
    from fireside_lab import markets, store
    from fireside_lab.config import reset_settings
    os.environ["FIRESIDE_DATA_DIR"] = tempfile.mkdtemp(prefix="fireside-bench-live-")
    reset_settings()
    store.reset_default()
    st = store.default()
    trades = replicated(base, int(rate * seconds))
    sent_to_stored, last_commit = [], [0.0]

    def on_stored(symbol, batch, committed_at):
        sent_to_stored.extend(committed_at - t["info"]["E"] / 1000 for t in batch)
        last_commit[0] = committed_at

    here, there = mp.Pipe()
    child = mp.get_context("spawn").Process(target=serve, args=(trades, rate, there), daemon=True)
    child.start()
    rest_url, ws_url = here.recv()
    ts = markets.TradeStream("binance", ["XRP/ETH"], store=st, rest_url=rest_url, ws_url=ws_url, on_stored=on_stored)

    def stopper():
        deadline = time.monotonic() + seconds * 3 + 60
        while time.monotonic() < deadline and ts.stats["XRP/ETH"]["stored"] < len(trades):
            time.sleep(0.05)
        ts.stop()
    threading.Thread(target=stopper, daemon=True).start()
    stats = ts.run_sync()["XRP/ETH"]
    here.send("stop")
    sent, sent_at = here.recv()
    child.join(30)
    end = {"sent_at": sent_at} if sent_at else {}
    n = st.lake_query("SELECT count(*) FROM lake.trades")[0][0]
    st.close()
    store.reset_default()
    lat = ts.latencies_s
    return dict(rate=rate, trades=len(trades), stored=n, batches=stats["batches"], p50=pct(lat, 0.5),
                p95=pct(lat, 0.95),
                max=max(lat) if lat else float("nan"), sent_p50=pct(sent_to_stored, 0.5),
                sent_p95=pct(sent_to_stored, 0.95), sent_max=max(sent_to_stored) if sent_to_stored else float("nan"),
                behind=(last_commit[0] - end["sent_at"]) if "sent_at" in end else float("nan"))


def floor_batch(base: list[dict]) -> float:
    "`add_trades` of 1,000 trades into an empty market of a fresh store, median of 5 batches (after one warm-up)."
    import pandas as pd
    from fireside_lab import markets, store
    from fireside_lab.config import reset_settings
    os.environ["FIRESIDE_DATA_DIR"] = tempfile.mkdtemp(prefix="fireside-bench-live-floor-")
    reset_settings()
    store.reset_default()
    st = store.default()
    df = pd.DataFrame({"timestamp": [t["T"] for t in base], "id": [str(t["a"]) for t in base], "type": None,
                       "side": ["sell" if t["m"] else "buy" for t in base], "price": [float(t["p"]) for t in base],
                       "amount": [float(t["q"]) for t in base]})
    times = []
    for i in range(6):
        t = time.perf_counter()
        markets.add_trades(df.iloc[i * 1000:(i + 1) * 1000], "binance", "XRP/ETH", store=st)
        times.append(time.perf_counter() - t)
    st.close()
    store.reset_default()
    return statistics.median(times[1:])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10.0, help="replay length per rate, s (default 10)")
    ap.add_argument("--rates", default="100,1000,10000", help="trades per second, comma-separated")
    args = ap.parse_args()
    import duckdb
    from markets_stream_replay import load_agg_trades
    import ccxt
    base = load_agg_trades()
    print(f"load average at start: {os.getloadavg()[0]:.1f} (shared machine; figures scale with it)")
    print(f"machine: {os.cpu_count()} CPUs, duckdb {duckdb.__version__}, ccxt {ccxt.__version__}; batches of <= 1 s "
          f"or 1,000 trades; data: {len(base):,} real Binance XRP/ETH aggTrades, replicated where a rate needs more")
    floor = floor_batch(base)
    print(f"baseline: add_trades of 1,000 trades called directly (insert + 6 resolutions refreshed): "
          f"{floor * 1000:.0f} ms (median of 5)")
    for rate in (float(r) for r in args.rates.split(",")):
        r = one_rate(rate, args.seconds, base)
        print(f"{rate:>7,.0f} trades/s: {r['trades']:,} trades, {r['stored']:,} stored in {r['batches']} batches")
        print(f"   received -> stored (1m candle updated): p50 {r['p50'] * 1000:6.0f} ms, "
              f"p95 {r['p95'] * 1000:6.0f} ms, "
              f"max {r['max'] * 1000:6.0f} ms   (p50 / baseline batch: {r['p50'] / floor:.1f}x; goal p50 < 1 s)")
        print(f"   sent -> stored:                         p50 {r['sent_p50'] * 1000:6.0f} ms, p95 "
              f"{r['sent_p95'] * 1000:6.0f} ms, max {r['sent_max'] * 1000:6.0f} ms")
        print(f"   behind at the end: last commit {r['behind']:.2f} s after the replay's last send")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    sys.exit(main())
