"""Polls benchmark: ballots/s from one and from N voter processes, and report latency.

    .venv/bin/python benchmarks/polls.py [--procs 8] [--per-proc 1000] [--ballots 1000000]

Each figure comes with a baseline measured in the same run:
- ballots/s of one voter process (each `polls.vote`: checks, then one `INSERT … SELECT` in its own write transaction,
  the count trigger inside it) against raw one-row sqlite3 commits on the same disk with the same `synchronous`
  setting as the store (`FIRESIDE_STATE_SYNCHRONOUS`, FULL by default: each commit waits for the WAL to reach the
  disk; read from the store's connection and printed);
- ballots/s of N voter processes at once (writers meet in SQLite's busy handler: store v2 has no lock of its own; a
  `flock` queue measured 0.6x of this, see the store chapter) against the one voter process;
- `polls.report` (reads the per-option counts kept by the ballot trigger) against the naive report that counts the
  ballots table with GROUP BY, on a poll of 1 M ballots bulk-loaded with `polls.cast_ballots` (one transaction).
Goals (issue 15): one voter process >= 0.6x raw sqlite3 commits/s; N = 8 voter processes >= 2,000 ballots/s; report
< 200 ms at 1 M ballots. Nothing is asserted; figures are printed.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

VOTER = r"""
import json, os, sys, time
from fireside_lab import polls
poll_id, start, first, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
polls.get_poll(poll_id)                            # warm, before the start: imports, the store opened,
polls.vote("bench-warm", f"warm-{os.getpid()}", 0)  # and the ballot statement compiled and run once
while not os.path.exists(start): time.sleep(0.001)
t0 = time.time()
for i in range(first, first + count):
    polls.vote(poll_id, f"voter-{i}", i % 7)
print(json.dumps({"t0": t0, "t1": time.time(), "n": count}))
"""

SYNCHRONOUS = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}


def _voters(poll_id: str, procs: int, per_proc: int, env: dict) -> tuple[float, int]:
    "Start `procs` voter processes, release them at once; returns (ballots/s over the wall span, ballots)."
    start = Path(tempfile.mkdtemp()) / f"go-{poll_id}"
    ps = [subprocess.Popen([sys.executable, "-c", VOTER, poll_id, str(start), str(i * per_proc), str(per_proc)],
                           env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
          for i in range(procs)]
    time.sleep(3 + procs)          # let every process import and open the store
    start.touch()
    res = []
    for p in ps:
        out, err = p.communicate(timeout=600)
        if p.returncode: raise SystemExit(f"voter process failed:\n{err[-3000:]}")
        res.append(json.loads(out.strip().splitlines()[-1]))
    span = max(r["t1"] for r in res) - min(r["t0"] for r in res)
    n = sum(r["n"] for r in res)
    return n / span, n


def _store_synchronous(st) -> int:
    "The `synchronous` setting of the store's SQLite connections (FIRESIDE_STATE_SYNCHRONOUS; 2 = FULL, the default)."
    import sqlalchemy as sa
    return st.scalar(sa.text("PRAGMA synchronous"))


def _raw_commits(path: Path, n: int, synchronous: int) -> float:
    "One-row INSERT + COMMIT per call with Python's sqlite3 (WAL, `synchronous` as given): the storage's ceiling."
    import sqlite3
    c = sqlite3.connect(path, isolation_level=None)
    c.execute("PRAGMA journal_mode=WAL")
    c.execute(f"PRAGMA synchronous={int(synchronous)}")
    c.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT)")
    t = time.perf_counter()
    for i in range(n):
        c.execute("BEGIN")
        c.execute("INSERT INTO t VALUES (?, '[1]')", (f"k{i}",))
        c.execute("COMMIT")
    dt = time.perf_counter() - t
    c.close()
    return n / dt


def _median_ms(fn, reps: int) -> float:
    fn()                            # warm (imports, caches)
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return 1000 * statistics.median(ts)


def _ballot_rates(a, polls, env) -> None:
    "Part 1: one voter process against raw sqlite3, then N voter processes at once."
    from fireside_lab import store
    opts = [f"option {i}" for i in range(7)]
    for poll_id in ("bench-warm", "bench-one", "bench-many"):
        polls.create_poll(f"bench, {poll_id}", opts, poll_id=poll_id)
    sync = _store_synchronous(store.default())
    raw_dir = Path(os.environ["FIRESIDE_DATA_DIR"])
    raw_before = _raw_commits(raw_dir / "raw-before.sqlite", 300, sync)     # measured around the voter process,
    one, n1 = _voters("bench-one", 1, a.per_proc * 2, env)
    raw_after = _raw_commits(raw_dir / "raw-after.sqlite", 300, sync)       # so a busy neighbour shows in both
    raw = (raw_before + raw_after) / 2
    print(f"synchronous: the store's SQLite connections run with synchronous = {SYNCHRONOUS.get(sync, sync)} "
          "(FIRESIDE_STATE_SYNCHRONOUS; FULL, SQLite's default, unless set); the raw sqlite3 baseline uses the same")
    print(f"ballots/s, 1 voter process ({n1} ballots):                 {one:8.0f}")
    print(f"reference: raw sqlite3 one-row commits/s, same disk:        {raw:8.0f}   (each commit: a WAL fsync; "
          f"{raw_before:.0f} before, {raw_after:.0f} after)")
    print(f"ratio 1 voter process / raw commits:                       {one / raw:8.2f}x   (goal >= 0.6x)")

    many, n = _voters("bench-many", a.procs, a.per_proc, env)
    assert polls.report("bench-many").n == n, "ballots lost"
    print(f"ballots/s, {a.procs} voter processes at once ({n} ballots):     {many:8.0f}   (goal >= 2,000 at 8)")
    print(f"ratio {a.procs} processes / 1 process:                             {many / one:8.2f}x")


def _report_latency(a, polls) -> None:
    "Part 2: `polls.report` at `a.ballots` ballots against GROUP BY over the ballots."
    import numpy as np
    import sqlalchemy as sa
    from fireside_lab import store
    from fireside_lab.polls.tables import ballots
    polls.create_poll("bench, a million ballots", [f"option {i}" for i in range(7)], poll_id="bench-1m")
    rng = np.random.default_rng(0)
    true = rng.choice(7, a.ballots, p=[0.2, 0.19, 0.11, 0.04, 0.1, 0.16, 0.2])
    t = time.perf_counter()
    polls.cast_ballots("bench-1m", [f"v{i:07d}" for i in range(a.ballots)], true)
    load = time.perf_counter() - t
    print(f"bulk load of {a.ballots} ballots (cast_ballots, one transaction): {load:6.1f} s "
          f"({a.ballots / load:,.0f} ballots/s)")
    st = store.default()
    group_by = (sa.select(ballots.c.choices, sa.func.count().label("n")).where(ballots.c.poll_id == "bench-1m")
                .group_by(ballots.c.choices))

    def naive():
        counts = np.zeros(7, np.int64)
        for r in st.rows(group_by): counts[r["choices"][0]] += r["n"]
        return polls.estimate(counts, int(counts.sum()))

    r = polls.report("bench-1m")
    assert r.n == a.ballots and (naive()["count"].to_numpy() == r.table["count"].to_numpy()).all()
    fast = _median_ms(lambda: polls.report("bench-1m"), a.reps)
    slow = _median_ms(naive, max(3, a.reps // 4))
    print(f"report latency at {a.ballots} ballots, maintained counts: {fast:8.1f} ms   (goal < 200 ms)")
    print(f"baseline: GROUP BY over the ballots table:               {slow:8.1f} ms")
    print(f"ratio baseline / report:                                  {slow / fast:8.1f}x")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--procs", type=int, default=8, help="concurrent voter processes")
    ap.add_argument("--per-proc", type=int, default=1000, help="ballots per voter process (short runs are noisy)")
    ap.add_argument("--ballots", type=int, default=1_000_000, help="ballots in the poll whose report is timed")
    ap.add_argument("--reps", type=int, default=20, help="timed report calls (median)")
    a = ap.parse_args()

    data = Path(tempfile.mkdtemp(prefix="fireside-bench-polls-"))
    os.environ["FIRESIDE_DATA_DIR"] = str(data)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    from fireside_lab import polls, store
    st = store.default()
    print(f"store: {data} (embedded: SQLite state in WAL mode through SQLAlchemy Core); {os.cpu_count()} CPUs")
    print(f"  {st!r}")
    _ballot_rates(a, polls, env)
    _report_latency(a, polls)


if __name__ == "__main__":
    main()
