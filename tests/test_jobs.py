"""Jobs end to end: real `fireside-lab worker` processes, real papermill kernels, a real SQLite queue and a real Redis server."""
from __future__ import annotations

import json
import re
import os
import signal
import time
from pathlib import Path

import psutil
import pytest
import sqlalchemy as sa

import jobs_tasks  # noqa: F401  (registers the test tasks in this process too)
from jobs_helpers import Worker, data_env, redis_server, workers

from fireside_lab import jobs, store
from fireside_lab.config import get_settings
from fireside_lab.jobs import tables
from fireside_lab.jobs.worker import cuda_devices


@pytest.fixture(scope="module", params=["sqlite", "redis"])
def backend(request, tmp_path_factory):
    "A data dir with two worker processes on the SQLite queue, or on a Redis server the test starts."
    tmp = tmp_path_factory.mktemp(f"jobs-{request.param}")
    if request.param == "redis":
        with redis_server() as url, data_env(tmp, url), workers(2) as ws:
            yield request.param, ws
    else:
        with data_env(tmp), workers(2) as ws:
            yield request.param, ws


def statuses(run_id):
    return [e["status"] for e in jobs.events(run_id=run_id)]


def test_notebook_run_end_to_end(backend):
    rid = jobs.submit("pipelines/examples/hello", name="pytest", n=3, pause_s=0.4)
    seen = set()
    t0 = time.time()
    while (r := jobs.get_run(rid))["status"] not in jobs.TERMINAL:          # progress while it runs, from the kernel and per cell
        assert time.time() - t0 < 120
        seen.add(r["progress_message"])
        time.sleep(0.03)
    assert r["status"] == "succeeded", r["error"]
    assert r["outputs"] == {"greetings": 3, "last": "hello pytest #3"}
    assert r["params"] == {"name": "pytest", "n": 3, "pause_s": 0.4}
    assert any(m and m.startswith("greeting ") for m in seen), seen                          # jobs.progress() in the notebook
    assert any(m and re.search(r"\bcell \d+ of \d+", m) for m in seen), seen                  # cell i of n
    nb, html = Path(r["notebook_path"]), Path(r["html_path"])
    assert nb.exists() and html.exists() and nb.parent == get_settings().runs_dir / rid / "1"   # attempt 1's folder
    cells = json.loads(nb.read_text())["cells"]
    assert any("injected-parameters" in c["metadata"].get("tags", []) for c in cells)
    assert "hello pytest #3" in html.read_text()
    # provenance
    assert r["snapshot_id"] is not None and r["version"] and r["worker"] and r["git_commit"] and r["git_dirty"] in (True, False)
    assert r["progress"] == 1 and r["started_at"] <= r["finished_at"]
    assert statuses(rid) == ["queued", "running", "succeeded"]


def test_failing_notebook_keeps_partial_notebook(backend):
    rid = jobs.submit("pipelines/examples/fails")
    r = jobs.wait(rid, timeout=120)
    assert (r["status"], r["cause"]) == ("failed", "exception")
    assert r["error"].startswith("ZeroDivisionError: division by zero") and "ZeroDivisionError" in r["traceback"]
    cells = json.loads(Path(r["notebook_path"]).read_text())["cells"]
    failed = cells[r["failed_cell"]]
    assert "".join(failed["source"]) == "ratio = 10 / divisor" and failed["metadata"]["papermill"]["status"] == "failed"
    assert any("before the failure" in "".join(o.get("text", "")) for c in cells for o in c.get("outputs", []))
    assert cells[-1]["metadata"]["papermill"]["status"] == "pending"          # the partial notebook: never reached
    assert Path(r["html_path"]).exists()
    assert statuses(rid) == ["queued", "running", "failed"]


def test_invalid_parameters_refused_before_enqueue(backend):
    before = len(jobs.runs(limit=10_000))
    with pytest.raises(jobs.InvalidParams, match="parameter 'n'"):
        jobs.submit("pipelines/examples/hello", n="three")
    with pytest.raises(jobs.InvalidParams, match="'colour' is not a parameter"):
        jobs.submit("test.add", a=1, colour="red")
    with pytest.raises(jobs.UnknownTask, match="test.ad"):
        jobs.submit("test.ad", a=1)
    assert len(jobs.runs(limit=10_000)) == before


def test_retry_with_backoff_and_dead_letter(backend, tmp_path):
    rid = jobs.submit("test.flaky", marker=str(tmp_path / "n"))
    r = jobs.wait(rid, timeout=60)
    assert (r["status"], r["attempt"], r["outputs"]) == ("succeeded", 3, {"attempts": 3})
    ev = list(jobs.events(run_id=rid))
    assert [e["status"] for e in ev] == ["queued", "running", "retrying", "running", "retrying", "running", "succeeded"]
    gap1 = (ev[3]["at"] - ev[2]["at"]).total_seconds()
    gap2 = (ev[5]["at"] - ev[4]["at"]).total_seconds()
    assert gap1 >= 0.3 and gap2 >= 0.6, (gap1, gap2)                   # 0.3 s, then doubled
    dead = jobs.submit("test.flaky", marker=str(tmp_path / "m"), succeed_on=9)
    assert jobs.wait(dead, timeout=60)["status"] == "failed"
    assert dead in set(jobs.dead_letter()["run_id"]) and rid not in set(jobs.dead_letter()["run_id"])


def test_timeout(backend):
    rid = jobs.enqueue("test.sleep", {"seconds": 30}, timeout=1.0)
    r = jobs.wait(rid, timeout=30)
    assert (r["status"], r["cause"]) == ("failed", "timeout") and "timed out" in r["error"]
    assert (r["finished_at"] - r["started_at"]).total_seconds() < 10


def test_notebook_timeout_kills_kernel(backend):
    # 20 s: room for the kernel to start and reach the sleeping cell on a loaded machine under coverage.py
    rid = jobs.enqueue("pipelines/examples/slow", {"seconds": 90}, timeout=20.0)
    r = jobs.wait(rid, timeout=120)
    assert (r["status"], r["cause"], r["error"]) == ("failed", "timeout", "timed out after 20 s")
    cells = json.loads(Path(r["notebook_path"]).read_text())["cells"]
    assert "time.sleep" in "".join(cells[r["failed_cell"]]["source"])      # the cell that was running
    worker_pid = int(r["worker"].rpartition(":")[2])
    assert not [c for c in psutil.Process(worker_pid).children(recursive=True) if "ipykernel" in " ".join(c.cmdline())]


def test_cancel_running(backend):
    rid = jobs.submit("test.sleep", seconds=30)
    t0 = time.time()
    while jobs.get_run(rid)["status"] != "running":
        assert time.time() - t0 < 30
        time.sleep(0.05)
    jobs.cancel(rid)
    r = jobs.wait(rid, timeout=20)
    assert (r["status"], r["cause"]) == ("cancelled", "cancelled")
    assert statuses(rid) == ["queued", "running", "cancelled"]
    queued = jobs.submit("test.sleep", seconds=30)
    # a queued (or just started) run is cancelled too
    assert jobs.wait(jobs.cancel(queued)["run_id"], timeout=20)["status"] == "cancelled"
    # a running notebook: its kernel is killed, the partial notebook kept with the cell that was running
    nb = jobs.submit("pipelines/examples/slow", seconds=60)
    t0 = time.time()
    while not (jobs.get_run(nb)["progress_message"] or "").startswith("sleeping"):
        assert time.time() - t0 < 60
        time.sleep(0.05)
    jobs.cancel(nb)
    r = jobs.wait(nb, timeout=30)
    assert (r["status"], r["cause"], r["error"]) == ("cancelled", "cancelled", "cancelled while running")   # #17 item 5
    cells = json.loads(Path(r["notebook_path"]).read_text())["cells"]
    assert "time.sleep" in "".join(cells[r["failed_cell"]]["source"]) and Path(r["html_path"]).exists()


def test_chain_fan_out_fan_in(backend):
    rid = jobs.submit("test.chain", n=3)
    r = jobs.wait(rid, timeout=60)
    assert r["status"] == "succeeded", r["error"]
    assert r["outputs"] == {"total": 9 + 27, "check": 9 + 27}
    kids = jobs.runs(limit=1000).query("parent_id == @rid")
    assert sorted(kids["task"]) == ["test.cube", "test.source", "test.square", "test.total"]
    assert set(kids["status"]) == {"succeeded"}
    total = jobs.get_run(kids.query("task == 'test.total'")["run_id"].item())
    assert total["params"] == {"y": [9, 27], "square": 9, "cube": 27}


def test_events_see_every_transition_in_order(backend):
    last = max([e["id"] for e in jobs.events()] or [0])
    a = jobs.submit("test.add", a=1)
    b = jobs.submit("pipelines/examples/fails")
    jobs.wait(a, timeout=60), jobs.wait(b, timeout=120)
    ev = list(jobs.events(since=last))
    assert [e["id"] for e in ev] == sorted(e["id"] for e in ev) and all(e["id"] > last for e in ev)
    assert [e["status"] for e in ev if e["run_id"] == a] == ["queued", "running", "succeeded"]
    assert [e["status"] for e in ev if e["run_id"] == b] == ["queued", "running", "failed"]
    # follow mode returns what is new and stops at its timeout
    got = list(jobs.events(since=ev[-1]["id"], follow=True, timeout=0.3))
    assert got == []


def _kill_test(tmp, queue_url=None):
    with data_env(tmp, queue_url):
        w = Worker(1).wait_up()
        try:
            marker = tmp / "started"
            rid = jobs.submit("test.sleep", seconds=2, marker=str(marker))
            t0 = time.time()
            while not marker.exists():
                assert time.time() - t0 < 60, w.log.read_text()
                time.sleep(0.05)
            assert jobs.get_run(rid)["status"] == "running"
            w.kill(signal.SIGKILL)                       # the consumer and its worker process, mid-run
            assert jobs.get_run(rid)["status"] == "running"
            w2 = Worker(1).wait_up()
            try:
                r = jobs.wait(rid, timeout=60)
            finally:
                w2.stop()
        finally:
            w.stop()
        assert r["status"] == "succeeded" and r["attempt"] == 2
        assert statuses(rid) == ["queued", "running", "interrupted", "queued", "running", "succeeded"]


def test_sigkill_worker_interrupts_and_requeues(tmp_path):
    _kill_test(tmp_path)


def test_sigterm_worker_requeues_at_once(tmp_path):
    with data_env(tmp_path):
        w = Worker(1).wait_up()
        marker = tmp_path / "started"
        rid = jobs.submit("test.sleep", seconds=2, marker=str(marker))
        t0 = time.time()
        while not marker.exists():
            assert time.time() - t0 < 60, w.log.read_text()
            time.sleep(0.05)
        os.kill(w.pid, signal.SIGTERM)                   # huey stops its workers now: the task is interrupted
        w.proc.wait(timeout=30)
        w.stop()
        assert jobs.get_run(rid)["status"] == "queued"   # re-queued by the worker itself, not left running
        w2 = Worker(1).wait_up()
        try:
            r = jobs.wait(rid, timeout=60)
        finally:
            w2.stop()
        assert r["status"] == "succeeded"
        assert statuses(rid) == ["queued", "running", "interrupted", "queued", "running", "succeeded"]


def test_sigkill_worker_interrupts_and_requeues_redis(tmp_path):
    with redis_server() as url:
        _kill_test(tmp_path, url)


def _schedule_test(tmp, queue_url=None):
    start = time.time()
    # a virtual clock 60x real time: a one-minute schedule is due every real second
    with data_env(tmp, queue_url, FIRESIDE_JOBS_CLOCK=f"{start},60", FIRESIDE_JOBS_HEARTBEAT_S="0.5"):
        jobs.schedule_add("each-minute", "* * * * *", "test.add", {"a": 40, "b": 2},
                          overlap="allow")   # every due time runs, even while the one before is still queued
        with workers(2) as ws:
            time.sleep(4.5)
            jobs.set_enabled("each-minute", False)
            t_off = jobs.clock()
            time.sleep(2)
            fired = jobs.runs(limit=1000).query("schedule == 'each-minute'")
            f = tables.schedule_fires.c
            fires = store.default().rows(sa.select(f.due_at, f.run_id).where(f.schedule == "each-minute").order_by(f.due_at))
            assert len({w.pid for w in ws}) == 2 and all(w.proc.poll() is None for w in ws)
        dues = [r["due_at"] for r in fires]
        assert len(dues) >= 3 and len(dues) == len(set(dues)) == len(fired)
        assert all((b - a).total_seconds() == 60 for a, b in zip(dues, dues[1:]))    # every minute, none skipped, none twice
        assert all(d <= t_off for d in dues)                                          # nothing after disable
        for rid in fired["run_id"]:
            r = jobs.wait(rid, timeout=30)
            assert r["status"] == "succeeded" and r["outputs"] == {"total": 42}
        s = jobs.get_schedule("each-minute")
        assert s["enabled"] is False and s["description"] == "Every minute"


def test_schedule_fires_once_per_minute_with_two_workers(tmp_path):
    _schedule_test(tmp_path)


def test_schedule_fires_once_per_minute_with_two_workers_redis(tmp_path):
    with redis_server() as url:
        _schedule_test(tmp_path, url)


def _cli(*args, timeout=120):
    import subprocess
    import sys
    from jobs_helpers import worker_env, ROOT
    return subprocess.run([sys.executable, "-c", "from fireside_lab.cli import main; main()", *args], cwd=ROOT,
                          env=worker_env({"FIRESIDE_JOBS_IMPORTS": "jobs_tasks"}), capture_output=True, text=True, timeout=timeout)


def test_cli_run_wait_presets_schedules(tmp_path):
    "The CLI verbs against a real worker (the CLI is the same on both queues: checked on SQLite)."
    with data_env(tmp_path), workers(1):
        _cli_checks()


def _cli_checks():
    p = _cli("run", "pipelines/examples/hello", "-p", "n", "2", "-p", "name", "cli", "--wait")
    assert p.returncode == 0, p.stderr
    assert "succeeded" in p.stdout and '"last": "hello cli #2"' in p.stdout and "100%" in p.stderr   # tqdm bar on stderr
    p = _cli("run", "pipelines/examples/hello", "-p", "n", "two")
    assert p.returncode != 0 and "parameter 'n'" in p.stderr
    assert _cli("preset", "save", "add-40", "test.add", "-p", "a", "40", "-p", "b", "2").returncode == 0
    p = _cli("preset", "run", "add-40", "--wait")
    assert p.returncode == 0 and '"total": 42' in p.stdout, p.stderr
    assert _cli("schedule", "add", "nightly-add", "--cron", "0 22 * * 6", "--preset", "add-40").returncode == 0
    assert _cli("schedule", "disable", "nightly-add").returncode == 0
    p = _cli("schedule", "list")
    assert "nightly-add" in p.stdout and "At 22:00, only on Saturday" in p.stdout and " off " in p.stdout
    p = _cli("runs", "--task", "test.add")
    assert p.returncode == 0 and "succeeded" in p.stdout


def test_gpu_queue_falls_back_to_cpu_worker_without_cuda(tmp_path):
    if cuda_devices():
        pytest.skip("this machine has CUDA: gpu work goes to gpu workers")
    with data_env(tmp_path):
        rid = jobs.submit("test.where")
        assert jobs.get_run(rid)["queue"] == "gpu"
        w = Worker(1, args=["--gpu-fallback"]).wait_up()
        try:
            r = jobs.wait(rid, timeout=90)
            ws = jobs.workers()
        finally:
            w.stop()
        assert r["status"] == "succeeded" and r["outputs"]["pid"] != w.pid
        assert "no CUDA device: this cpu worker also takes gpu-queue work" in w.log.read_text()
        assert set(ws["queue"]) == {"cpu", "gpu"} and "gpu work on CPU (no CUDA)" in set(ws["note"])


def test_a_forged_queue_message_is_dropped_not_unpickled_redis(tmp_path):
    """#17 item 2 (fails on 7e1ce76: one LPUSH of a crafted pickle ran code in the worker): messages are signed
    (HMAC-SHA256 from the secret key); an unsigned or tampered one is dropped and logged, and real runs still run."""
    import pickle
    import redis as redis_lib
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    with redis_server() as url:
        with data_env(tmp_path, url), workers(1) as ws:
            r = redis_lib.Redis.from_url(url)
            key = "huey.redis.firesidecpup"          # huey's priority queue: a sorted set, 8-byte time prefix
            assert jobs.wait(jobs.submit("test.add", a=1, b=1), timeout=60)["status"] == "succeeded"
            r.zadd(key, {b"\0" * 8 + pickle.dumps(Exploit()): 0})                          # unsigned
            r.zadd(key, {b"\1" * 8 + pickle.dumps(Exploit()) + b":" + b"0" * 64: 0})       # a signature that does not match
            time.sleep(3)
            assert not marker.exists()
            rid = jobs.submit("test.add", a=40, b=2)
            assert jobs.wait(rid, timeout=60)["outputs"] == {"total": 42}
            log = ws[0].log.read_text()
            assert log.count("Error reading from queue") == 2 and log.count("mismatch") == 2, log[-2000:]
        assert not marker.exists()
