"""Jobs benchmark: notebook-run overhead vs bare papermill, enqueue->start latency, trivial-task throughput.

Each figure is printed with a baseline measured in the same run and the ratio (goals from issue 3):
  1. a notebook run through a worker vs `papermill.execute_notebook` on the same notebook   (goal: <= 1.2x)
  2. enqueue->start latency p50/p95 on the SQLite queue, our polling vs huey's default       (goal: p50 < 100 ms)
  3. trivial-task throughput with 2 worker processes, our runs vs bare huey tasks            (goal: >= 300 tasks/s)
     on the SQLite queue and on a Redis queue (a redis-server started for the run), each against bare huey on it
Run: .venv/bin/python benchmarks/jobs.py [--quick]
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import jobs_tasks  # noqa: E402,F401  (the trivial task, also imported by the workers)

QUICK = "--quick" in sys.argv


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q / 100 * (len(xs) - 1))))]


def notebook_overhead(k: int):
    """Bare papermill and a fireside run of the same notebook, alternated (so machine load hits both alike).
    A fireside run is timed from its row: created (submit) -> finished, i.e. queue, claim, kernel, archive, HTML, rows."""
    import papermill
    from jobs_helpers import data_env, workers
    from fireside_lab import jobs
    nb = ROOT / "pipelines" / "examples" / "hello.ipynb"
    params = {"name": "bench", "n": 3}
    out = Path(tempfile.mkdtemp()) / "bare.ipynb"
    bare, ours = [], []
    def run_bare():
        t0 = time.perf_counter()
        papermill.execute_notebook(str(nb), str(out), parameters=params, progress_bar=False, kernel_name="python3", cwd=str(nb.parent))
        return time.perf_counter() - t0
    with data_env(Path(tempfile.mkdtemp())), workers(1):
        run_bare(); jobs.wait(jobs.submit("pipelines/examples/hello", **params), timeout=300)     # warm both
        for _ in range(k):
            bare.append(run_bare())
            r = jobs.wait(jobs.submit("pipelines/examples/hello", **params), timeout=300, poll_s=0.2)
            assert r["status"] == "succeeded", r["error"]
            ours.append((r["finished_at"] - r["created_at"]).total_seconds())
    b, o = statistics.median(bare), statistics.median(ours)
    print(f"notebook run (hello.ipynb, median of {k}, alternated): bare papermill.execute_notebook {b:.2f} s, fireside run "
          f"(submit -> finished: queue, claim, kernel, archive + HTML, rows) {o:.2f} s, ratio {o / b:.2f}x (goal <= 1.2x -> "
          f"{'met' if o / b <= 1.2 else 'NOT met'})")


def latency(n: int):
    from jobs_helpers import data_env, workers
    from fireside_lab import jobs
    import random
    res = {}
    for label, env in [("huey default polling (0.1 s, x1.15, max 10 s)", {"FIRESIDE_JOBS_POLL_DELAY_S": "0.1", "FIRESIDE_JOBS_POLL_MAX_DELAY_S": "10"}),
                       ("fireside polling", {})]:
        with data_env(Path(tempfile.mkdtemp()), **env), workers(1):
            jobs.wait(jobs.submit("test.noop"), timeout=60)
            lat = []
            for _ in range(n):
                time.sleep(random.uniform(0.2, 1.0))                 # let the worker go idle (its polling backs off)
                rid = jobs.submit("test.noop")
                r = jobs.wait(rid, timeout=60, poll_s=0.01)
                lat.append((r["started_at"] - r["created_at"]).total_seconds() * 1000)
        res[label] = lat
        print(f"enqueue->start latency, {label}: p50 {pct(lat, 50):.0f} ms, p95 {pct(lat, 95):.0f} ms (n={n})")
    (bl, bv), (ol, ov) = res.items()
    print(f"  ratio p50 fireside/default {pct(ov, 50) / max(pct(bv, 50), 1e-9):.2f}x (goal: p50 < 100 ms -> "
          f"{'met' if pct(ov, 50) < 100 else 'NOT met'})")


def _bare_huey(n: int, path: str | None = None, redis_url: str | None = None) -> float:
    "Bare huey: n trivial tasks through a SqliteHuey (or RedisHuey) consumer with 2 process workers (no run rows); seconds."
    import subprocess
    make = (f"from huey import RedisHuey; h = RedisHuey('bench', url={redis_url!r}, results=False)" if redis_url else
            f"from huey import SqliteHuey; h = SqliteHuey('bench', filename={path!r}, results=False)")
    code = f"""
import time, sys
{make}
@h.task()
def noop(): return None
if sys.argv[1] == 'consume':
    h.create_consumer(workers=2, worker_type='process', initial_delay=0.005, max_delay=0.05, periodic=False).run()
else:
    for _ in range({n}): noop()
"""
    subprocess.run([sys.executable, "-c", code, "enqueue"], check=True)
    if redis_url:
        from huey import RedisHuey
        h = RedisHuey("bench", url=redis_url, results=False)
        left = h.pending_count
    else:
        import sqlite3
        def left():
            c = sqlite3.connect(path)
            try: return c.execute("SELECT count(*) FROM task WHERE queue = 'bench'").fetchone()[0]
            finally: c.close()
    p = subprocess.Popen([sys.executable, "-c", code, "consume"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.perf_counter()
    while left() > 0:
        time.sleep(0.01)
    dt = time.perf_counter() - t0
    p.terminate(); p.wait()
    return dt


def _commit_rate(n: int) -> float:
    """Single-row transactions per second through the store (DuckDB -> SQLite state), 2 processes at once, timed inside
    the processes after they connected (from the first one's start to the last one's end): the floor under a run's 3."""
    import json, subprocess
    from jobs_helpers import data_env, worker_env
    from fireside_lab import store
    with data_env(Path(tempfile.mkdtemp())):
        con = store.connect()
        store.execute(con, "CREATE TABLE state.bench_commit (k TEXT PRIMARY KEY, v INTEGER)")
        go = Path(tempfile.mkdtemp()) / "go"
        code = f"""
import json, os, sys, time
from fireside_lab import store
con = store.connect()
while not os.path.exists({str(go)!r}): time.sleep(0.001)
t0 = time.time()
for i in range({n}):
    store.transaction(con, lambda c: c.execute("INSERT INTO state.bench_commit VALUES (?, ?)", [sys.argv[1] + str(i), i]))
print(json.dumps([t0, time.time()]))
"""
        ps = [subprocess.Popen([sys.executable, "-c", code, f"p{j}-"], env=worker_env(), stdout=subprocess.PIPE, text=True) for j in range(2)]
        time.sleep(5); go.touch()
        spans = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in ps]
        return 2 * n / (max(t1 for _, t1 in spans) - min(t0 for t0, _ in spans))


def _our_throughput(n: int, queue_url: str | None) -> tuple[float, float]:
    "n trivial runs submitted up front, then 2 worker processes: (runs/s from first start to last finish, submits/s)."
    from jobs_helpers import data_env, Worker
    from fireside_lab import jobs
    import pandas as pd
    with data_env(Path(tempfile.mkdtemp()), queue_url):
        t0 = time.perf_counter()
        ids = [jobs.submit("test.noop") for _ in range(n)]
        sub = n / (time.perf_counter() - t0)
        w = Worker(2).wait_up()
        try:
            jobs.wait(ids[-1], timeout=600, poll_s=0.1)
            while len(jobs.runs(status="succeeded", limit=n + 10)) < n:
                time.sleep(0.1)
        finally:
            w.stop()
        df = jobs.runs(limit=n + 10)
        span = (pd.to_datetime(df["finished_at"]).max() - pd.to_datetime(df["started_at"]).min()).total_seconds()
    return n / span, sub


def throughput(n: int):
    from jobs_helpers import redis_server
    ours, sub = _our_throughput(n, None)
    bare = n / _bare_huey(n, str(Path(tempfile.mkdtemp()) / "q.sqlite"))
    commits = _commit_rate(n // 4)
    print(f"throughput, trivial task, 2 worker processes, SQLite queue: fireside runs {ours:.0f} tasks/s "
          f"(first start -> last finish of {n}), bare huey {bare:.0f} tasks/s, ratio {ours / bare:.2f}x "
          f"(goal >= 300 tasks/s -> {'met' if ours >= 300 else 'NOT met'}); submit rate {sub:.0f} runs/s")
    print(f"  for scale: {commits:.0f} single-row DuckDB-path state transactions/s from 2 processes (a run's claim and finish "
          f"used to be two of those; they are now one native statement each, run by the store keeper)")
    with redis_server() as url:
        ours_r, sub_r = _our_throughput(n, url)
        bare_r = n / _bare_huey(n, redis_url=url)
    print(f"throughput, trivial task, 2 worker processes, Redis queue:  fireside runs {ours_r:.0f} tasks/s, bare huey "
          f"{bare_r:.0f} tasks/s, ratio {ours_r / bare_r:.2f}x (goal >= 300 tasks/s -> {'met' if ours_r >= 300 else 'NOT met'}); "
          f"submit rate {sub_r:.0f} runs/s")


if __name__ == "__main__":
    notebook_overhead(2 if QUICK else 5)
    latency(10 if QUICK else 40)
    throughput(200 if QUICK else 400)
