"""Polls benchmark: ballots/s from concurrent voter processes, and report latency at 1 M ballots.

    .venv/bin/python benchmarks/polls.py [--procs 8] [--per-proc 250] [--ballots 1000000]

Each figure comes with a baseline measured in the same run:
- ballots/s of N voter processes at once (each `polls.vote`: checks, one statement writing the ballot and its counts)
  against one voter process doing the same ballots alone, against the same N processes with the store keeper off
  (`FIRESIDE_STORE_KEEPER=false`: each ballot then goes through DuckDB's `sqlite_query`, which opens the file for the
  statement), and against raw one-row sqlite3 commits on the same disk (what the storage allows at all: each commit
  waits for the WAL to reach the disk). With the keeper on, a ballot is one INSERT run by the voter process's keeper
  (its own SQLite connection, held open) under the store's writer lock;
- `polls.report` (reads the per-option counts kept by the ballot trigger) against the naive report that counts the
  ballots table with GROUP BY, on a poll of 1 M ballots bulk-loaded with `polls.cast_ballots` (one transaction).
Goals (issue 6): >= 500 ballots/s sustained, report < 200 ms at 1 M ballots. Nothing is asserted; figures are printed.
"""
from __future__ import annotations

import argparse, json, os, statistics, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

VOTER = r"""
import json, os, sys, time
from fireside_lab import store, polls
poll_id, start, first, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
con = store.connect()
polls.get_poll(con, poll_id)                       # warm: imports and first query done before the start
while not os.path.exists(start): time.sleep(0.001)
t0 = time.time()
for i in range(first, first + count):
    polls.vote(con, poll_id, f"voter-{i}", i % 7)
print(json.dumps({"t0": t0, "t1": time.time(), "n": count}))
"""


def _voters(poll_id: str, procs: int, per_proc: int, offset: int, env: dict) -> tuple[float, int]:
    """Start `procs` voter processes, release them at once; returns (ballots/s over the wall span, ballots)."""
    start = Path(tempfile.mkdtemp()) / f"go-{poll_id}"
    ps = [subprocess.Popen([sys.executable, "-c", VOTER, poll_id, str(start), str(offset + i * per_proc), str(per_proc)],
                           env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(procs)]
    time.sleep(3 + procs)          # let every process import and connect
    start.touch()
    res = []
    for p in ps:
        out, err = p.communicate(timeout=600)
        if p.returncode: raise SystemExit(f"voter process failed:\n{err[-3000:]}")
        res.append(json.loads(out.strip().splitlines()[-1]))
    span = max(r["t1"] for r in res) - min(r["t0"] for r in res)
    n = sum(r["n"] for r in res)
    return n / span, n


def _raw_commits(path: Path, n: int) -> float:
    """One-row INSERT + COMMIT per call with Python's sqlite3 (WAL, default synchronous), the storage's own ceiling."""
    import sqlite3
    c = sqlite3.connect(path, isolation_level=None)
    c.execute("PRAGMA journal_mode=WAL"); c.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT)")
    t = time.perf_counter()
    for i in range(n): c.execute("BEGIN"); c.execute("INSERT INTO t VALUES (?, '[1]')", (f"k{i}",)); c.execute("COMMIT")
    dt = time.perf_counter() - t
    c.close()
    return n / dt


def _median_ms(fn, reps: int) -> float:
    fn()                            # warm (imports, caches)
    ts = []
    for _ in range(reps):
        t = time.perf_counter(); fn(); ts.append(time.perf_counter() - t)
    return 1000 * statistics.median(ts)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--procs", type=int, default=8, help="concurrent voter processes")
    ap.add_argument("--per-proc", type=int, default=250, help="ballots cast by each voter process")
    ap.add_argument("--ballots", type=int, default=1_000_000, help="ballots in the poll whose report is timed")
    ap.add_argument("--reps", type=int, default=20, help="timed report calls (median)")
    a = ap.parse_args()

    data = Path(tempfile.mkdtemp(prefix="fireside-bench-polls-"))
    os.environ["FIRESIDE_DATA_DIR"] = str(data)
    # this process holds no keeper, so the voter processes alone decide whether the file is held open
    os.environ["FIRESIDE_STORE_KEEPER"] = "false"
    env = dict(os.environ, PYTHONUNBUFFERED="1", FIRESIDE_STORE_KEEPER="true")
    import numpy as np
    from fireside_lab import polls, store
    con = store.connect()
    print(f"store: {data} (embedded: SQLite state in WAL mode through DuckDB); {os.cpu_count()} CPUs")

    # 1. ballots/s: one voter process (baseline), then N at once, each on its own fresh poll
    opts = [f"option {i}" for i in range(7)]
    polls.create_poll(con, "bench, one process", opts, poll_id="bench-one")
    polls.create_poll(con, "bench, concurrent", opts, poll_id="bench-many")
    one, n1 = _voters("bench-one", 1, a.per_proc * 2, 0, env)
    many, nm = _voters("bench-many", a.procs, a.per_proc, 0, env)
    assert polls.report(con, "bench-many").n == nm, "ballots lost"
    print(f"ballots/s, 1 voter process ({n1} ballots):            {one:8.0f}")
    print(f"ballots/s, {a.procs} voter processes at once ({nm} ballots): {many:8.0f}   (goal >= 500)")
    print(f"ratio concurrent / one process:                       {many / one:8.2f}x")
    # without the store keeper (FIRESIDE_STORE_KEEPER=false): DuckDB's sqlite_query opens the file for each ballot, and the
    # last connection to close checkpoints the WAL and deletes it, ~5 fsyncs a ballot instead of 1
    polls.create_poll(con, "bench, concurrent, no keeper", opts, poll_id="bench-nokeeper")
    bare, nb = _voters("bench-nokeeper", a.procs, a.per_proc, 0, dict(env, FIRESIDE_STORE_KEEPER="false"))
    print(f"ballots/s, {a.procs} voter processes, store keeper off:          {bare:8.0f}")
    print(f"ratio keeper on / off:                                {many / bare:8.2f}x")
    raw = _raw_commits(data / "raw.sqlite", 300)
    print(f"reference: raw sqlite3 one-row commits/s, same disk:   {raw:8.0f}   (the per-commit floor: WAL fsync)")
    print(f"ratio 1 voter process / raw commits:                  {one / raw:8.2f}x")

    # 2. report latency at a.ballots ballots
    polls.create_poll(con, "bench, a million ballots", opts, poll_id="bench-1m")
    rng = np.random.default_rng(0)
    true = rng.choice(7, a.ballots, p=[0.2, 0.19, 0.11, 0.04, 0.1, 0.16, 0.2])
    t = time.perf_counter()
    polls.cast_ballots(con, "bench-1m", [f"v{i:07d}" for i in range(a.ballots)], true)
    load = time.perf_counter() - t
    print(f"bulk load of {a.ballots} ballots (cast_ballots, one transaction): {load:6.1f} s ({a.ballots / load:,.0f} ballots/s)")

    def naive():
        rows = store.query(con, "SELECT choices, count(*) FROM state.ballots WHERE poll_id = 'bench-1m' GROUP BY choices")
        counts = np.zeros(7, np.int64)
        for c, n in rows: counts[json.loads(c)[0]] += n
        return polls.estimate(counts, int(counts.sum()))

    r = polls.report(con, "bench-1m")
    assert r.n == a.ballots and (naive()["count"].to_numpy() == r.table["count"].to_numpy()).all()
    fast = _median_ms(lambda: polls.report(con, "bench-1m"), a.reps)
    slow = _median_ms(naive, max(3, a.reps // 4))
    print(f"report latency at {a.ballots} ballots, maintained counts: {fast:8.1f} ms   (goal < 200 ms)")
    print(f"baseline: GROUP BY over the ballots table:          {slow:8.1f} ms")
    print(f"ratio baseline / report:                             {slow / fast:8.1f}x")


if __name__ == "__main__":
    main()
