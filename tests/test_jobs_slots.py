"""Concurrency keys, resource slots and priorities (#20 item 3) with real worker processes on the SQLite queue: six runs
on a key with limit 2 never exceed two at once; a gpu:0 slot is held by one run at a time and only on the worker that
offers it; a higher-priority run is taken before earlier lower ones; the queue view says why runs wait."""
from __future__ import annotations

import time

import pandas as pd

import jobs_tasks  # noqa: F401  (registers the test tasks in this process too)
from jobs_helpers import Worker, data_env, workers

from fireside_lab import jobs


def _intervals(rids):
    rows = [jobs.get_run(r) for r in rids]
    return [(r["run_id"], r["started_at"], r["finished_at"], r["consumer"]) for r in rows]


def _max_overlap(intervals) -> int:
    "The most intervals open at one instant (an end at the same instant as a start does not overlap)."
    edges = sorted([(s, 1) for _, s, _, _ in intervals] + [(e, -1) for _, _, e, _ in intervals],
                   key=lambda x: (x[0], x[1]))
    now = most = 0
    for _, d in edges:
        now += d
        most = max(most, now)
    return most


def _watch_reasons(rids, until_s=120):
    "Poll the queue view until every run ended; the waiting reasons seen."
    seen, t0 = set(), time.time()
    while any(jobs.get_run(r)["status"] not in jobs.TERMINAL for r in rids):
        seen |= set(jobs.queue_view()["waiting"])
        assert time.time() - t0 < until_s, [jobs.get_run(r)["status"] for r in rids]
        time.sleep(0.05)
    return seen


def test_concurrency_key_limit_two_and_a_gpu_slot(tmp_path):
    with data_env(tmp_path):
        with workers(2, per=2):                                      # four worker processes
            rids = [jobs.submit("test.limited", seconds=1.5) for _ in range(6)]
            reasons = _watch_reasons(rids)
            done = [jobs.wait(r, timeout=120) for r in rids]
        assert {r["status"] for r in done} == {"succeeded"}
        iv = _intervals(rids)
        for rid, s, e, c in sorted(iv, key=lambda x: x[1]):
            print(f"{rid} {s:%H:%M:%S.%f} → {e:%H:%M:%S.%f} on {c}")
        assert _max_overlap(iv) == 2, iv                             # never more than 2, and 2 at times
        assert "concurrency key limited at 2/2" in reasons, reasons

        plain = Worker(2).wait_up()
        slot = Worker(2, args=["--slots", "gpu:0"]).wait_up()
        try:
            assert jobs.workers().set_index("pid").loc[slot.pid, "slots"] == "gpu:0"
            g = [jobs.submit("test.on_gpu0", seconds=0.8) for _ in range(3)]
            reasons = _watch_reasons(g)
            done = [jobs.wait(r, timeout=120) for r in g]
        finally:
            plain.stop(); slot.stop()
        assert {r["status"] for r in done} == {"succeeded"}
        iv = _intervals(g)
        for rid, s, e, c in sorted(iv, key=lambda x: x[1]):
            print(f"gpu:0 {rid} {s:%H:%M:%S.%f} → {e:%H:%M:%S.%f} on {c}")
        assert _max_overlap(iv) == 1, iv                             # one run holds gpu:0 at a time
        assert {c.rsplit(":", 1)[1] for *_, c in iv} == {str(slot.pid)}   # only the worker offering it
        assert any(x.startswith("waiting for slot gpu:0 on ") for x in reasons) or \
            any(x.startswith("needs slot gpu:0") for x in reasons), reasons


def test_priority_and_per_market_keys(tmp_path):
    with data_env(tmp_path):
        rows = [jobs.get_run(jobs.submit("test.per_market", symbol=s)) for s in ("XRP/BTC", "ETH/BTC")]
        assert [r["concurrency_key"] for r in rows] == ["market:XRP/BTC", "market:ETH/BTC"]
        with workers(1, per=1):
            for r in rows: jobs.wait(r["run_id"], timeout=60)
            busy = jobs.submit("test.sleep", seconds=2.0)
            t0 = time.time()
            while jobs.get_run(busy)["status"] != "running":
                assert time.time() - t0 < 60
                time.sleep(0.05)
            low = [jobs.submit("test.add", a=i) for i in range(3)]
            high = jobs.enqueue("test.add", {"a": 100}, priority=10)
            v = jobs.queue_view()
            assert v["run_id"].tolist()[0] == high and v["priority"].tolist()[0] == 10
            assert jobs.queue_depths()["cpu"] == 4
            done = {r: jobs.wait(r, timeout=60) for r in [busy, *low, high]}
        order = sorted(done, key=lambda r: done[r]["started_at"])
        print(pd.DataFrame([(r, done[r]["priority"], done[r]["started_at"]) for r in order],
                           columns=["run", "priority", "started_at"]).to_string(index=False))
        assert order[:2] == [busy, high], order                       # the high one went before the earlier low ones
