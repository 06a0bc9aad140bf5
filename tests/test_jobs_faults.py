"""Fault injection on a real Redis queue with real `fireside-lab worker` processes and real kernels.

Each fault strikes while 20 runs are in flight (a worker with 3 worker processes, so 3 running and 17 waiting):

- `consumer parent`: SIGKILL of the consumer only. Its worker processes (and their kernels) must leave by themselves
  (`PR_SET_PDEATHSIG`), re-queueing what they ran; a supervisor (here the test) starts a new worker.
- `worker process`: SIGKILL of the worker process running a run; huey starts a new one and the consumer's heartbeat
  thread re-queues the orphaned run.
- `kernel`: SIGKILL of a notebook run's kernel; the run fails (`kernel_died`) and its retry succeeds.
- `worker group`: SIGKILL of the consumer and all its processes at once; the next worker re-queues the orphans.

Every run must end exactly once (one terminal event, status `succeeded`), none may be lost (not finished within the
deadline) and no run's work may be done twice (one output file per run, see `fault_tasks`). The table printed at the
end gives, per fault: runs, lost, duplicated, the runs it struck, when the last of them was re-queued (interrupted,
or failed and set to retry) and the time to recovery: from the kill until every struck run was claimed again (it waits
its turn behind the runs queued before it, so this includes queueing).
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from pathlib import Path

import psutil
import pytest

import fault_tasks
from jobs_helpers import Worker, data_env, redis_server

from fireside_lab import jobs
from fireside_lab.store import utcnow

N_RUNS = 20
ENV = {"FIRESIDE_JOBS_HEARTBEAT_S": "0.5", "FIRESIDE_JOBS_STALE_AFTER_S": "5"}
ARGS = ("--import", "fault_tasks")
RESULTS: list[dict] = []


def _worker() -> Worker:
    return Worker(3, env=ENV, args=ARGS).wait_up()


def _submit(out: Path, n: int, notebook: Path | None = None, prefix: str = "r", seconds: float = 1.0) -> dict:
    "Submit `n` runs (callables, or runs of `notebook`); returns {run id: key}."
    ids = {}
    for i in range(n):
        key = f"{prefix}{i:02d}"
        params = {"key": key, "seconds": seconds, "out_dir": str(out)}
        rid = (jobs.enqueue(str(notebook), params, retries=1, retry_delay=0.2) if notebook
               else jobs.submit("fault.work", **params))
        ids[rid] = key
    return ids


def _wait_for(what, cond, timeout: float = 120):
    t0 = time.time()
    while not (got := cond()):
        assert time.time() - t0 < timeout, f"timed out waiting for {what}"
        time.sleep(0.05)
    return got


def _running(ids: dict) -> list[dict]:
    return [r for r in (jobs.get_run(rid) for rid in ids) if r["status"] == "running"]


def _kernels(pid: int) -> list[psutil.Process]:
    out = []
    for p in psutil.Process(pid).children(recursive=True):
        try:
            if "ipykernel" in " ".join(p.cmdline()):
                out.append(p)
        except psutil.Error:
            pass
    return out


def _alive(procs: list[psutil.Process]) -> list[psutil.Process]:
    out = []
    for p in procs:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                out.append(p)
        except psutil.NoSuchProcess:
            pass
    return out


def _describe(procs: list[psutil.Process]) -> str:
    "Each process: pid, status, command line, threads and the kernel function it sleeps in (/proc/PID/wchan)."
    lines = []
    for p in procs:
        try:
            wchan = Path(f"/proc/{p.pid}/wchan").read_text() if Path(f"/proc/{p.pid}/wchan").exists() else "?"
            cmd = " ".join(p.cmdline())[:200]
            lines.append(f"  {p.pid} {p.status()} threads={p.num_threads()} wchan={wchan} {cmd}")
        except psutil.Error as e:
            lines.append(f"  {p.pid} gone while described ({type(e).__name__})")
    return "\n".join(lines)


def _settle(fault: str, ids: dict, out: Path, t_fault, timeout: float = 240) -> dict:
    "Wait for every run to end; check each ended once, with one output; record the fault's row of the table."
    t0 = time.time()
    while time.time() - t0 < timeout and any(jobs.get_run(rid)["status"] not in jobs.TERMINAL for rid in ids):
        time.sleep(0.2)
    lost = [rid for rid in ids if jobs.get_run(rid)["status"] not in jobs.TERMINAL]
    files: dict[str, int] = {}
    for f in out.iterdir():
        files[f.name.split(".")[0]] = files.get(f.name.split(".")[0], 0) + 1
    duplicated = sorted(k for k, n in files.items() if n > 1)
    recovered_at, detected_at, hit = [], [], []
    for rid in ids:
        ev = list(jobs.events(run_id=rid))
        terminal = [e for e in ev if e["status"] in jobs.TERMINAL]
        assert rid in lost or len(terminal) == 1, (rid, [(e["status"], e["detail"]) for e in ev])
        after = [e for e in ev if e["at"] >= t_fault]
        struck = next((i for i, e in enumerate(after) if e["status"] in ("interrupted", "retrying")), None)
        if struck is not None:
            hit.append(rid)
            detected_at.append(after[struck]["at"])
            again = next((e for e in after[struck:] if e["status"] == "running"), None)
            if again is not None:
                recovered_at.append(again["at"])
    ended = {rid: jobs.get_run(rid) for rid in ids if rid not in lost}
    row = dict(fault=fault, runs=len(ids), lost=len(lost), duplicated=len(duplicated), hit=len(hit),
               detected_s=max(((t - t_fault).total_seconds() for t in detected_at), default=0.0),
               recovery_s=max(((t - t_fault).total_seconds() for t in recovered_at), default=0.0),
               not_succeeded=sorted(r["status"] + ":" + str(r["error"]) for r in ended.values()
                                    if r["status"] != "succeeded"),
               missing_output=sorted(k for rid, k in ids.items() if rid in ended and files.get(k, 0) == 0))
    RESULTS.append(row)
    return row


def _check(row: dict):
    assert row["lost"] == 0 and row["duplicated"] == 0, row
    assert row["hit"] >= 1, row                          # the fault struck a run in flight
    assert not row["not_succeeded"] and not row["missing_output"], row


@contextlib.contextmanager
def _in_flight(tmp_path: Path, redis_url: str):
    "A data dir on the Redis queue, its output folder and a worker (stopped after); yields (output folder, worker)."
    out = tmp_path / "out"
    out.mkdir()
    with data_env(tmp_path / "data", redis_url):
        w = _worker()
        try:
            yield out, w
        finally:
            w.stop()


@pytest.fixture(scope="module")
def redis_url():
    with redis_server() as url:
        yield url


@pytest.fixture(scope="module", autouse=True)
def print_table(request):
    "Print the table after the module's tests, past pytest's output capture (so `make test` shows it)."
    yield
    if RESULTS:
        lines = [f"{'fault':<16} {'runs':>5} {'lost':>5} {'duplicated':>11} {'struck':>7} {'re-queued after':>16} "
                 f"{'time to recovery':>17}"]
        lines += [f"{r['fault']:<16} {r['runs']:>5} {r['lost']:>5} {r['duplicated']:>11} {r['hit']:>7} "
                  f"{r['detected_s']:>14.1f} s {r['recovery_s']:>15.1f} s" for r in RESULTS]
        text = "\n".join(lines)
        capture = request.config.pluginmanager.getplugin("capturemanager")
        with capture.global_and_fixture_disabled():
            print("\n\nfault injection (20 runs in flight on a real Redis queue)\n" + text)
        Path(os.environ.get("FIRESIDE_FAULT_TABLE", "/tmp/fireside-fault-table.txt")).write_text(text + "\n")


@pytest.fixture
def notebook(tmp_path) -> Path:
    p = tmp_path / "fault_work.ipynb"
    p.write_text(json.dumps(fault_tasks.NOTEBOOK))
    return p


def test_sigkill_consumer_parent(tmp_path, redis_url, notebook):
    "The item-1 fault: only the consumer dies; its processes and kernels follow it, each run ends once."
    with _in_flight(tmp_path, redis_url) as (out, w):
        ids = _submit(out, 3, notebook, prefix="n")              # notebooks first: a kernel is up when the kill lands
        ids |= _submit(out, N_RUNS - 3)
        _wait_for("a kernel", lambda: _kernels(w.pid))
        _wait_for("runs running", lambda: len(_running(ids)) >= 2)
        family = psutil.Process(w.pid).children(recursive=True)
        t_fault = utcnow()
        os.kill(w.pid, signal.SIGKILL)                          # the consumer only
        w.proc.wait(timeout=30)
        t0 = time.time()
        while _alive(family) and time.time() - t0 < 60:
            time.sleep(0.2)
        left = _alive(family)
        if left:                                                # what they were doing, for the report; then end them
            said = _describe(left) + "\nthe worker's log, its end:\n" + w.log.read_text()[-4000:]
            for p in left:
                with contextlib.suppress(psutil.Error): p.kill()
            pytest.fail(f"processes of the killed worker still running 60 s later:\n{said}")
        w2 = _worker()                                          # what a supervisor does
        try:
            row = _settle("consumer parent", ids, out, t_fault)
        finally:
            w2.stop()
    _check(row)


def test_sigkill_worker_process(tmp_path, redis_url):
    with _in_flight(tmp_path, redis_url) as (out, w):
        ids = _submit(out, N_RUNS)
        victim = _wait_for("a run running", lambda: _running(ids))[0]
        t_fault = utcnow()
        os.kill(int(victim["worker"].rpartition(":")[2]), signal.SIGKILL)
        row = _settle("worker process", ids, out, t_fault)
    _check(row)


def test_sigkill_kernel(tmp_path, redis_url, notebook):
    with _in_flight(tmp_path, redis_url) as (out, w):
        ids = _submit(out, N_RUNS, notebook, seconds=1.5)
        kernel = _wait_for("a kernel", lambda: _kernels(w.pid))[0]
        time.sleep(0.5)                                          # inside its cell
        t_fault = utcnow()
        kernel.kill()
        row = _settle("kernel", ids, out, t_fault)
        retried = {e["detail"] for rid in ids for e in jobs.events(run_id=rid) if e["status"] == "retrying"}
    _check(row)
    assert any("(kernel_died)" in (d or "") for d in retried), retried


def test_sigkill_worker_group(tmp_path, redis_url):
    with _in_flight(tmp_path, redis_url) as (out, w):
        ids = _submit(out, N_RUNS)
        _wait_for("runs running", lambda: len(_running(ids)) >= 2)
        t_fault = utcnow()
        w.kill(signal.SIGKILL)                                   # the whole process group at once
        w2 = _worker()
        try:
            row = _settle("worker group", ids, out, t_fault)
        finally:
            w2.stop()
    _check(row)
