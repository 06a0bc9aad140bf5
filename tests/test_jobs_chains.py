"""Chains with real `fireside-lab worker` processes: inputs checked before enqueue, a step that cannot get its inputs,
cancelling a running chain, a chain nested as a step of another (#17 item 3)."""
from __future__ import annotations

import time

import pytest

import jobs_tasks  # noqa: F401  (registers the test tasks and chains in this process too)
from jobs_helpers import data_env, workers

from fireside_lab import jobs


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory):
    "A data dir with two worker processes on the SQLite queue."
    with data_env(tmp_path_factory.mktemp("chains")), workers(2) as ws:
        yield ws


def statuses(run_id):
    return [e["status"] for e in jobs.events(run_id=run_id)]


def tree(run_id) -> list[dict]:
    "Every run under `run_id` (its steps' runs, a nested chain's too), as rows."
    df = jobs.runs(limit=10_000)
    found, todo = [], [run_id]
    while todo:
        parent = todo.pop()
        for kid in df[df["parent_id"] == parent]["run_id"]:
            found.append(jobs.get_run(kid))
            todo.append(kid)
    return found


def n_runs() -> int:
    return len(jobs.runs(limit=100_000))


def test_chain_refused_before_enqueue_when_a_step_cannot_get_its_inputs(two_workers):
    # registration: test.inc declares its outputs (x), test.needs_z requires z, which no one can give
    with pytest.raises(jobs.InvalidParams, match=r"step 2 \('test.needs_z'\) requires parameter 'z'"):
        jobs.chain("test.gap", ["test.inc", "test.needs_z"])
    with pytest.raises(jobs.UnknownTask):
        jobs.get_task("test.gap")
    # a run's arguments: z can come only from the chain's arguments; without it nothing is written
    before = n_runs()
    with pytest.raises(jobs.InvalidParams, match=r"requires parameter 'z'.*not given"):
        jobs.submit("test.seeded", n=1)
    assert n_runs() == before
    rid = jobs.submit("test.seeded", n=1, z=4)
    r = jobs.wait(rid, timeout=60)
    assert (r["status"], r["outputs"]) == ("succeeded", {"w": 4}), r["error"]


def test_step_that_cannot_get_its_inputs_fails_the_chain_not_the_step_before(two_workers):
    rid = jobs.submit("test.misfit", n=2)           # test.source's outputs are not declared: checked at run time
    r = jobs.wait(rid, timeout=60)
    assert (r["status"], r["cause"]) == ("failed", "step_failed")
    assert r["error"].startswith("step 2 cannot start") and "parameter 'z' is required" in r["error"], r["error"]
    runs = sorted(tree(rid), key=lambda k: k["chain_step"])
    assert [(k["task"], k["status"]) for k in runs] == [("test.source", "succeeded"), ("test.needs_z", "failed")]
    first, second = runs
    assert (first["error"], first["traceback"], first["outputs"]) == (None, None, {"x": 2})
    assert statuses(first["run_id"]) == ["queued", "running", "succeeded"]
    assert second["cause"] == "invalid_inputs" and "parameter 'z' is required" in second["error"]
    assert statuses(rid) == ["queued", "running", "failed"]


@pytest.mark.parametrize("name", ["test.slow_chain", "test.slow_nested"])
def test_cancel_running_chain_stops_its_step_and_starts_no_other(two_workers, tmp_path, name):
    marker = tmp_path / "started"
    rid = jobs.submit(name, seconds=20, marker=str(marker))
    t0 = time.time()
    while not marker.exists():                      # the sleep step runs in a worker
        assert time.time() - t0 < 60
        time.sleep(0.05)
    jobs.cancel(rid)
    sleeper = next(k for k in tree(rid) if k["task"] == "test.sleep")
    s = jobs.wait(sleeper["run_id"], timeout=60)
    assert (s["status"], s["cause"], s["error"]) == ("cancelled", "cancelled", "cancelled while running")
    r = jobs.get_run(rid)
    assert (r["status"], r["cause"]) == ("cancelled", "cancelled")
    runs = tree(rid)
    assert "test.after_sleep" not in {k["task"] for k in runs}      # no later step started
    assert {k["status"] for k in runs} == {"cancelled"}             # a nested chain too
    assert statuses(rid) == ["queued", "running", "cancelled"]      # ended once


def test_nested_chain_runs_its_steps_and_passes_its_outputs_on(two_workers):
    rid = jobs.submit("test.nested", n=2)
    r = jobs.wait(rid, timeout=60)
    assert r["status"] == "succeeded", r["error"]
    # source: x=2; inner chain: inc x=3, square y=9; beside it cube: y=8; total: 9 + 8, check: square + cube
    assert r["outputs"] == {"total": 17, "check": 17}
    inner = next(k for k in tree(rid) if k["task"] == "test.inner")
    assert (inner["kind"], inner["parent_id"], inner["chain_step"]) == ("chain", rid, 1)
    assert (inner["status"], inner["outputs"]) == ("succeeded", {"y": 9, "square": 9})
    steps = sorted((k for k in tree(inner["run_id"])), key=lambda k: k["chain_step"])
    assert [(k["task"], k["params"], k["status"]) for k in steps] == \
        [("test.inc", {"x": 2}, "succeeded"), ("test.square", {"x": 3}, "succeeded")]
    total = next(k for k in tree(rid) if k["task"] == "test.total")
    assert total["params"] == {"y": [9, 8], "square": 9, "cube": 8}
