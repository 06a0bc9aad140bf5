"""Markets benchmark: trades → OHLCV at six resolutions on ≥ 10 M trades, and absorbing 1,000 new trades.

Data (SYNTHETIC, from real trades): the 12,477 real Binance XRP/ETH trades of data/samples/markets/XRP_ETH-trades.json.gz
(2.5 days) replicated back to back in time — copy k shifted by k × 3 days and its ids by k × 100,000 — until there
are at least 10 M trades (~6.6 years of XRP/ETH-like trading). Prices, amounts, sides and intra-day timing are real.

Building all six resolutions (1m 5m 15m 1h 4h 1d), measured in one run on the same trades, rounds alternating:
- storage to storage, the two as a user runs them:
  - project: `markets.build_candles` — the trades streamed out of the DuckLake lake, candles computed (compiled kernel)
    and written into the lake, one transaction;
  - baseline: freqtrade's `trades-to-ohlcv` command as its code does it (freqtrade/data/converter/trade_converter.py
    `convert_trades_to_ohlcv`, with the feather data handler, freqtrade's default format): `trades_load` (read_feather,
    `trades_df_remove_duplicates`, `trades_convert_types`), then per timeframe `trades_to_ohlcv` (pandas
    `resample().ohlc()` on price, `sum` on amount, `dropna`) and `ohlcv_store` (to_feather, lz4 level 9);
- computation only, in memory, on the same DataFrame (the trades as freqtrade's `trades_load` returns them),
  measured after the storage rounds, once that DataFrame is loaded:
  - project: `markets.trades_to_candles`;
  - baseline: freqtrade's `trades_to_ohlcv` once per timeframe, nothing written;
  - second baseline: polars `group_by_dynamic` (first/max/min/last price, summed amount, per timeframe) on the same
    trades as a polars frame (converted before timing) — what a user who reaches past pandas would write.
The project's lake build against the in-memory baseline (unlike work: storage on one side only) is printed too.

Floors under the lake build, on the same store, measured in every storage round right after the build (so that the
shared machine's drift hits the build and its floors alike; medians of the rounds): one scan of the trade columns the
candles need (DuckDB summing timestamp, seq, price, amount and cost), and the finished candles written into the lake
the way the build writes them (its INSERT from its Arrow form, rolled back). The build's time over their sum is printed
(goal <= 1.5x), with each round's own ratio. The write from the rows' own Arrow form (exchange, symbol and timeframe
strings in every row) is printed for the record: the build's insert beats it, so it is no floor.
The CPU time of the build and of its floors (user + system, every thread of the process, `getrusage`) is printed too,
with the build's minor page faults: on this many CPUs the build cannot take less wall time than its CPU time over the
CPUs, whatever runs in parallel, and the floors already keep every CPU busy.

Market analytics (returns, realized volatility, drawdown, VWAP, volume profiles, correlations) on the built candles
of XRP/ETH plus the bundled ETH/BTC, LTC/BTC and XMR/BTC 5m candles, at all six resolutions, rounds alternating:
the pandas path (one lake query per market and timeframe, `market_metrics` + `volume_profile`, `correlation_matrix`)
against the polars path the pipeline uses (`candles_pl` one query per timeframe, `metrics_pl`, `volume_profiles_pl`,
`correlations_pl`); nothing written, and the figures are checked equal.

Absorbing 1,000 new trades into the 10 M store: `markets.add_trades` (anti-join insert + refresh of the touched
buckets at all six resolutions, one lake transaction), five successive batches; then `markets.compact` (the small
files those batches left merged) and five more batches.

Run: `.venv/bin/python benchmarks/markets.py [--trades N] [--rounds R]` (a temporary data dir; ~4 GB RAM).
"""
from __future__ import annotations

import argparse
import gc
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "samples" / "markets" / "XRP_ETH-trades.json.gz"
TF_SECONDS = {"1m": 60, "5m": 300, "15m": 900, "1h": 3600, "4h": 14400, "1d": 86400}
SHIFT_MS, ID_SHIFT = 3 * 86_400_000, 100_000


# freqtrade's constants (freqtrade/constants.py)
DEFAULT_DATAFRAME_COLUMNS = ["date", "open", "high", "low", "close", "volume"]
TRADES_DTYPES = {"timestamp": "int64", "id": "str", "type": "str", "side": "str", "price": "float64", "amount": "float64", "cost": "float64"}


def freqtrade_trades_to_ohlcv(df, timeframe):
    """freqtrade's trades_to_ohlcv (freqtrade/data/converter/trade_converter.py), on a frame with a UTC `date` column."""
    d = df.set_index("date", drop=True)
    freq = f"{TF_SECONDS[timeframe]}s"
    new = d["price"].resample(freq).ohlc()
    new["volume"] = d["amount"].resample(freq).sum()
    new["date"] = new.index
    return new.dropna().loc[:, DEFAULT_DATAFRAME_COLUMNS]


def freqtrade_trades_load(path):
    """freqtrade's IDataHandler.trades_load with the feather handler: read_feather, trades_df_remove_duplicates
    (drop_duplicates on timestamp and id), trades_convert_types (astype TRADES_DTYPES, `date` from the ms timestamp)."""
    import pandas as pd
    trades = pd.read_feather(path)
    trades = trades.drop_duplicates(subset=["timestamp", "id"])
    trades = trades.astype(TRADES_DTYPES)
    trades["date"] = pd.to_datetime(trades["timestamp"], unit="ms", utc=True)
    return trades


def freqtrade_convert_trades_to_ohlcv(trades_path, out_dir):
    """freqtrade's convert_trades_to_ohlcv for one pair and the six timeframes, with the feather data handler; returns
    the candles per timeframe and the seconds spent loading, resampling and storing."""
    t = time.perf_counter()
    trades = freqtrade_trades_load(trades_path)
    t_load, t_resample, t_store, out = time.perf_counter() - t, 0.0, 0.0, {}
    for tf in TF_SECONDS:
        t = time.perf_counter()
        ohlcv = freqtrade_trades_to_ohlcv(trades, tf)
        t_resample += time.perf_counter() - t
        t = time.perf_counter()        # FeatherDataHandler.ohlcv_store
        ohlcv.reset_index(drop=True).loc[:, DEFAULT_DATAFRAME_COLUMNS].to_feather(
            out_dir / f"XRP_ETH-{tf}.feather", compression_level=9, compression="lz4")
        t_store += time.perf_counter() - t
        out[tf] = ohlcv
    return out, (t_load, t_resample, t_store)


def polars_ohlcv(trades, timeframe):
    """trades → OHLCV at one timeframe with polars' `group_by_dynamic` (left-closed buckets labelled by their start,
    empty buckets absent — freqtrade's semantics): date, open, high, low, close, volume."""
    import polars as pl
    return (trades.group_by_dynamic("date", every=f"{TF_SECONDS[timeframe]}s", closed="left", label="left")
            .agg(open=pl.col("price").first(), high=pl.col("price").max(), low=pl.col("price").min(),
                 close=pl.col("price").last(), volume=pl.col("amount").sum()))


def analytics_rounds(st, rounds):
    """Market analytics on the stored candles: the pandas path against the polars path, rounds alternating; prints
    the medians, their ratio and whether the figures agree."""
    import math
    import numpy as np
    import pandas as pd
    from fireside_lab import markets
    from fireside_lab.markets import analytics as A
    bundled = [ROOT / "data" / "samples" / "markets" / f"{s}_BTC-5m.feather" for s in ("ETH", "LTC", "XMR")]
    markets.import_files(bundled, store=st)
    mk = [("binance", s) for s in ("XRP/ETH", "ETH/BTC", "LTC/BTC", "XMR/BTC")]
    n = {tf: sum(len(markets.candles(*m, tf, store=st)) for m in mk) for tf in TF_SECONDS}

    def with_pandas():
        out = {}
        for tf in TF_SECONDS:
            for m in mk:
                c = markets.candles(*m, tf, store=st)
                out[m + (tf,)] = A.market_metrics(c, tf)
                if len(c): A.volume_profile(c)
        return out, A.correlation_matrix(A.market_closes(mk, "5m", store=st))

    def with_polars():
        out = {}
        for tf in TF_SECONDS:
            c = A.candles_pl(mk, tf, store=st)
            out.update({(r["exchange"], r["symbol"], tf): r for r in A.metrics_pl(c, tf).to_dicts()})
            A.volume_profiles_pl(c)
        return out, A.correlations_pl(A.candles_pl(mk, "5m", store=st))

    with_pandas(); with_polars()                                   # warm-up
    t_pd, t_pl = [], []
    for _ in range(rounds):
        gc.collect()
        t = time.perf_counter(); ref, ref_cm = with_pandas(); t_pd.append(time.perf_counter() - t)
        gc.collect()
        t = time.perf_counter(); got, got_cm = with_polars(); t_pl.append(time.perf_counter() - t)
    got_cm = got_cm.loc[ref_cm.index, ref_cm.columns]                   # polars names the markets sorted
    same = np.allclose(ref_cm.to_numpy(), got_cm.to_numpy(), rtol=1e-9, equal_nan=True)
    differ = []
    for key, r in ref.items():
        if not r["candles"]: continue
        for k in ("total_return", "mean_log_return", "realized_vol_annual", "max_drawdown", "vwap", "volume"):
            a, b = r[k], got[key][k]
            nan = lambda x: x is None or math.isnan(x)
            # sums in another order: equal to 1e-9 relative, or 1e-12 absolute for a mean near 0
            if not (nan(a) and nan(b) or not nan(a) and not nan(b) and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)):
                differ.append((key, k, a, b))
    same &= not differ
    med = statistics.median
    print(f"market analytics, 4 markets x 6 resolutions ({sum(n.values()):,} candles; metrics, volume profiles, "
          f"5m correlations), nothing written, median of {rounds}:")
    print(f"  pandas path (a lake query per market and timeframe):                            {med(t_pd):6.3f} s")
    print(f"  polars path (one lake query per timeframe, .pl(), expressions):                 {med(t_pl):6.3f} s")
    print(f"  ratio pandas / polars: {med(t_pd) / med(t_pl):.1f}x; same figures: {same}" + (f" {differ[:3]}" if differ else ""))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trades", type=int, default=10_000_000, help="at least this many synthetic trades (default 10 M)")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds of project and baseline (default 3; medians reported)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="fireside-bench-markets-"))
    os.environ["FIRESIDE_DATA_DIR"] = str(tmp)
    import duckdb
    import numpy as np
    import pandas as pd
    from fireside_lab import markets, store
    from fireside_lab.config import reset_settings
    reset_settings()
    try:
        st = store.default()          # the process's store, in the temporary data dir
        lake = st.lake                # this thread's DuckDB cursor on the lake
        base = markets.read_file(SAMPLE).frame
        base = base.assign(seq=base.id.astype("int64"))
        copies = -(-args.trades // len(base))
        print(f"load average at start: {os.getloadavg()[0]:.1f} (shared machine; figures scale with it)")
        print(f"machine: {os.cpu_count()} CPUs, duckdb {duckdb.__version__} threads={lake.execute('SELECT current_setting(%s)' % repr('threads')).fetchone()[0]}, pandas {pd.__version__}")
        print(f"data: SYNTHETIC — {len(base):,} real Binance XRP/ETH trades × {copies} copies shifted by 3 days = {len(base) * copies:,} trades")

        t = time.perf_counter()
        lake.register("base", base)
        def load(c):
            c.execute(f"""INSERT INTO lake.trades
                SELECT 'binance', 'XRP/ETH', (seq + k * {ID_SHIFT})::VARCHAR, timestamp_ms + k * {SHIFT_MS}, type, side, price,
                       amount, cost, seq + k * {ID_SHIFT}
                FROM base, range({copies}) r(k) ORDER BY k, timestamp_ms, seq""")
        st.lake_transaction(load)
        lake.unregister("base")
        n = st.lake_query("SELECT count(*) FROM lake.trades")[0][0]
        print(f"loaded {n:,} trades into the lake in {time.perf_counter() - t:.1f} s (setup, not timed below)")

        # freqtrade's stored trades (setup, not timed): its trades file for the pair, in its default format
        ft_dir = tmp / "freqtrade"
        ft_dir.mkdir()
        lake.execute("""SELECT timestamp_ms AS timestamp, id, type, side, price, amount, cost FROM lake.trades
                       ORDER BY timestamp_ms, seq""").df().to_feather(ft_dir / "XRP_ETH-trades.feather", compression_level=9, compression="lz4")
        # warm-up (not timed): the project's kernels compile, or load from numba's on-disk cache (in memory, and one
        # lake build of another market holding a day of trades, deleted again); pandas warms its paths
        markets.trades_to_candles(base)
        markets.add_trades(base.drop(columns="seq").iloc[:3000], "kraken", "XRP/ETH", store=st)
        markets.build_candles("kraken", store=st)
        st.lake_transaction(lambda c: [c.execute(f"DELETE FROM lake.{t} WHERE exchange = 'kraken'") for t in ("trades", "candles")])
        [freqtrade_trades_to_ohlcv(base.assign(date=pd.to_datetime(base.timestamp_ms, unit="ms", utc=True)), tf) for tf in TF_SECONDS]
        # two phases, each with the process in the same state for both sides: storage to storage first (nothing big held
        # in memory), then the in-memory computations on freqtrade's loaded DataFrame. Rounds alternate project and
        # baseline, so a change in the shared machine's load hits both alike; before each project build the candles are
        # deleted (not timed), so every build starts from an empty table
        # floors under the lake build, measured in each storage round right after the build: one scan of the trade
        # columns the candles need, and writing the finished candles into the lake (from memory, not committed) the
        # way the build writes them: its INSERT from its Arrow form (`_candle_batches`: timeframe dictionary-encoded,
        # exchange and symbol as parameters). For the record, also from the lake's own Arrow form of the rows (the
        # exchange, symbol and timeframe strings in every row), which the build's insert beats
        from fireside_lab.markets.kernels import Candles
        from fireside_lab.markets.ohlcv import _candle_batches
        def usage():    # CPU-seconds (user + system) and minor page faults of every thread of this process so far
            r = resource.getrusage(resource.RUSAGE_SELF)
            return r.ru_utime + r.ru_stime, r.ru_stime, r.ru_minflt
        def used(since):
            return tuple(b - a for a, b in zip(since, usage()))
        def write(sql, params=None):
            gc.collect()
            u, t = usage(), time.perf_counter()
            lake.execute("BEGIN TRANSACTION")
            lake.execute(sql, params)
            took, cpu = time.perf_counter() - t, used(u)[0]
            lake.execute("ROLLBACK")
            return took, cpu
        def floors_now():
            gc.collect()
            u, t = usage(), time.perf_counter()
            lake.execute("SELECT sum(timestamp_ms), sum(seq), sum(price), sum(amount), sum(cost) FROM lake.trades").fetchall()
            t_scan.append(time.perf_counter() - t)
            c_scan.append(used(u)[0])
            took, cpu = write("""INSERT INTO lake.candles SELECT $ex, $sym, timeframe, open_time, open, high, low, close,
                                 volume, trades, quote_volume FROM built""", dict(ex="binance", sym="XRP/ETH"))
            t_write.append(took)
            c_write.append(cpu)
            t_rows.append(write("INSERT INTO lake.candles SELECT * FROM built_rows")[0])
        t_project, t_ft, t_ft_parts, t_pandas, t_mem, t_polars = [], [], [], [], [], []
        t_scan, t_write, t_rows = [], [], []
        c_project, c_scan, c_write = [], [], []      # CPU-seconds; the build's as (cpu, sys, minor faults)
        for rnd in range(args.rounds):
            st.lake_transaction(lambda c: c.execute("DELETE FROM lake.candles"))
            gc.collect()
            u, t = usage(), time.perf_counter()
            counts = markets.build_candles(store=st)             # lake → 6 resolutions → lake, one transaction
            t_project.append(time.perf_counter() - t)
            c_project.append(used(u))
            if rnd == 0:                                          # the finished candles in memory (not timed)
                parts = {}
                for tf in TF_SECONDS:
                    d = lake.execute("""SELECT epoch_ms(open_time) AS time_ms, open, high, low, close, volume, trades,
                                        quote_volume FROM lake.candles WHERE timeframe = ? ORDER BY open_time""", [tf]).fetchnumpy()
                    parts[tf] = Candles(*(np.ascontiguousarray(d[k]) for k in Candles._fields))
                lake.register("built", _candle_batches(parts))
                lake.register("built_rows", lake.execute("SELECT * FROM lake.candles ORDER BY timeframe, open_time").to_arrow_table())
                del parts
            floors_now()
            gc.collect()
            t = time.perf_counter()
            stored, parts = freqtrade_convert_trades_to_ohlcv(ft_dir / "XRP_ETH-trades.feather", ft_dir)
            t_ft.append(time.perf_counter() - t)
            t_ft_parts.append(parts)
            del stored
            print(f"storage round {rnd + 1}: project build_candles {t_project[-1]:.2f} s (floors: scan {t_scan[-1]:.2f} s, "
                  f"write {t_write[-1]:.2f} s; ratio {t_project[-1] / (t_scan[-1] + t_write[-1]):.2f}x; CPU-s: build "
                  f"{c_project[-1][0]:.2f}, floors {c_scan[-1] + c_write[-1]:.2f}), freqtrade "
                  f"trades-to-ohlcv {t_ft[-1]:.2f} s  (load {os.getloadavg()[0]:.1f})")
        lake.unregister("built")
        lake.unregister("built_rows")
        gc.collect()
        frame = freqtrade_trades_load(ft_dir / "XRP_ETH-trades.feather")   # the in-memory input of both computations
        import polars as pl
        pframe = pl.from_pandas(frame[["date", "price", "amount"]]).set_sorted("date")   # polars' input (not timed)
        polars_ohlcv(pframe, "1m")                                                        # warm-up
        for rnd in range(args.rounds):
            gc.collect()
            t = time.perf_counter()
            ref = {tf: freqtrade_trades_to_ohlcv(frame, tf) for tf in TF_SECONDS}
            t_pandas.append(time.perf_counter() - t)
            gc.collect()
            t = time.perf_counter()
            mem = markets.trades_to_candles(frame)              # the project's in-memory path on the same DataFrame
            t_mem.append(time.perf_counter() - t)
            assert all(len(mem[tf]) == len(ref[tf]) for tf in TF_SECONDS)
            del mem
            gc.collect()
            t = time.perf_counter()
            pol = {tf: polars_ohlcv(pframe, tf) for tf in TF_SECONDS}
            t_polars.append(time.perf_counter() - t)
            print(f"in-memory round {rnd + 1}: freqtrade {t_pandas[-1]:.2f} s, polars {t_polars[-1]:.3f} s, "
                  f"project {t_mem[-1]:.3f} s  (load {os.getloadavg()[0]:.1f})")
        polars_same = all(len(pol[tf]) == len(ref[tf]) and np.array_equal(
            pol[tf].select("open", "high", "low", "close").to_numpy(), ref[tf][["open", "high", "low", "close"]].to_numpy())
            and np.allclose(pol[tf]["volume"].to_numpy(), ref[tf].volume.to_numpy(), rtol=1e-9) for tf in TF_SECONDS)
        del pol, pframe
        med = statistics.median
        per_tf = counts.set_index("timeframe").candles.to_dict()
        ft_load, ft_resample, ft_store = (med(p[i] for p in t_ft_parts) for i in range(3))
        print(f"candles: " + ", ".join(f"{tf} {per_tf[tf]:,}" for tf in TF_SECONDS) + f" ({sum(per_tf.values()):,})")
        print(f"storage to storage, median of {args.rounds}:")
        print(f"  project build_candles (lake → 6 resolutions → lake, one transaction):             {med(t_project):6.2f} s")
        print(f"  baseline freqtrade trades-to-ohlcv (feather → 6 timeframes → feather):          {med(t_ft):6.2f} s"
              f"   (trades_load {ft_load:.2f} s of which read+dedupe+types; resample {ft_resample:.2f} s; ohlcv_store {ft_store:.2f} s)")
        print(f"  ratio baseline / project: {med(t_ft) / med(t_project):.1f}x  (goal >= 10x)")
        print(f"computation only, in memory, same DataFrame ({len(frame):,} trades), median of {args.rounds}:")
        print(f"  project trades_to_candles (6 resolutions):                                     {med(t_mem):6.3f} s")
        print(f"  baseline freqtrade trades_to_ohlcv x 6 (pandas resample().ohlc()):             {med(t_pandas):6.3f} s")
        print(f"  ratio baseline / project: {med(t_pandas) / med(t_mem):.1f}x  (goal >= 10x)")
        print(f"  second baseline polars group_by_dynamic x 6 (polars {pl.__version__}):               {med(t_polars):6.3f} s")
        print(f"  ratio polars / project: {med(t_polars) / med(t_mem):.1f}x; polars candles equal freqtrade's: {polars_same}")
        print(f"mixed, for the record: project lake build vs the in-memory baseline (storage work on one side only): "
              f"{med(t_pandas) / med(t_project):.1f}x")
        del frame
        floors = med(t_scan) + med(t_write)
        print(f"  floors under the lake build, median of {args.rounds}: scanning the trades' columns in the lake "
              f"{med(t_scan):.2f} s; writing the {sum(per_tf.values()):,} finished candles into the lake as the build "
              f"does (from memory, not committed) {med(t_write):.2f} s (from the rows' own Arrow form {med(t_rows):.2f} s)")
        print(f"  ratio project / (scan + write): {med(t_project) / floors:.2f}x  (goal <= 1.5x); each round's: "
              + ", ".join(f"{p / (a + b):.2f}x" for p, a, b in zip(t_project, t_scan, t_write))
              + f"; with the rows-form write {med(t_project) / (med(t_scan) + med(t_rows)):.2f}x")
        cpus = len(os.sched_getaffinity(0))
        cpu_build, cpu_sys, faults = (med(c[i] for c in c_project) for i in range(3))
        cpu_floors = med(c_scan) + med(c_write)
        print(f"  CPU time (user + system, all threads), median of {args.rounds}: build {cpu_build:.2f} CPU-s (system "
              f"{cpu_sys:.2f}, {faults:,.0f} minor page faults: the memory it fills); floors scan {med(c_scan):.2f} + "
              f"write {med(c_write):.2f} = {cpu_floors:.2f} CPU-s, {cpu_floors / floors:.1f} of the {cpus} CPUs busy "
              f"through their wall time")
        print(f"  so on {cpus} CPUs the build takes at least {cpu_build / cpus:.2f} s, "
              f"{cpu_build / cpus / floors:.2f}x the floors, however its work is spread over threads")

        # same candles?
        same = True
        for tf in TF_SECONDS:
            mine = markets.candles("binance", "XRP/ETH", tf, store=st)
            r = ref[tf].reset_index(drop=True)
            same &= len(mine) == len(r) and bool((mine.date.to_numpy() == r.date.to_numpy()).all()) \
                and np.array_equal(mine[["open", "high", "low", "close"]].to_numpy(), r[["open", "high", "low", "close"]].to_numpy()) \
                and np.allclose(mine.volume.to_numpy(), r.volume.to_numpy(), rtol=1e-9)
        print(f"project candles equal the baseline's (all six resolutions, row for row): {same}")
        del ref
        gc.collect()
        analytics_rounds(st, args.rounds)

        # absorb 1,000 new trades, five successive batches after the last copy
        nxt = base.assign(timestamp_ms=base.timestamp_ms + copies * SHIFT_MS, id=(base.seq + copies * ID_SHIFT).astype(str)) \
            .drop(columns="seq")
        times = []
        for i in range(5):
            batch = nxt.iloc[i * 1000:(i + 1) * 1000]
            t = time.perf_counter()
            added = markets.add_trades(batch, "binance", "XRP/ETH", store=st)
            times.append(time.perf_counter() - t)
            assert added == 1000
        again_t = time.perf_counter()
        again = markets.add_trades(nxt.iloc[4000:5000], "binance", "XRP/ETH", store=st)
        again_t = time.perf_counter() - again_t
        print("absorb 1,000 new trades into the store (insert + refresh of touched buckets, 6 resolutions): "
              + ", ".join(f"{x * 1000:.0f}" for x in times) + f" ms; median {statistics.median(times) * 1000:.0f} ms (goal < 200 ms)")
        print(f"re-adding the last 1,000: {again} new, {again_t * 1000:.0f} ms")
        files = lambda: {t: st.lake_query(f"SELECT count(*) FROM ducklake_list_files('lake', '{t}')")[0][0] for t in ("trades", "candles")}
        before = files()
        t = time.perf_counter()
        r = markets.compact(store=st)
        t_compact = time.perf_counter() - t
        print(f"lake files after absorbing (trades, candles): {before['trades']}, {before['candles']}; markets.compact: "
              f"{t_compact:.2f} s -> {', '.join(str(x) for x in r.files_after)}")
        times = []
        for i in range(5, 10):
            t = time.perf_counter()
            markets.add_trades(nxt.iloc[i * 1000:(i + 1) * 1000], "binance", "XRP/ETH", store=st)
            times.append(time.perf_counter() - t)
        print("absorb 1,000 new trades after compaction: " + ", ".join(f"{x * 1000:.0f}" for x in times)
              + f" ms; median {statistics.median(times) * 1000:.0f} ms")
        check = markets.candles("binance", "XRP/ETH", "1d", store=st)
        print(f"store after absorbing: {st.lake_query('SELECT count(*) FROM lake.trades')[0][0]:,} trades; "
              f"latest 1d candle has {int(check.trades.iloc[-1])} trades")
        print(f"load average at end: {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
