"""The result cache (#20 item 2) with a real worker and real papermill kernels: a cacheable pipeline notebook run twice
is served from the cache the second time (printed: how long that took); a changed parameter, a changed notebook source
or a new row in a lake table it read each make it run again; a new row in a table it did not read does not;
`no_cache` forces a run."""
from __future__ import annotations

import json
import time

import jobs_tasks  # noqa: F401
from jobs_helpers import data_env, workers

from fireside_lab import jobs, store

NOTEBOOK = {
    "cells": [
        {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "execution_count": None, "outputs": [],
         "source": "n: int = 1  # multiplier"},
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
         "source": "from fireside_lab import jobs, store\n"
                   "total = store.default().lake_query('SELECT coalesce(sum(x), 0) FROM lake.cache_in')[0][0]\n"
                   "jobs.outputs(total=int(total) * n)"},
    ],
    "metadata": {"fireside": {"cache": True}, "kernelspec": {"name": "python3", "display_name": "Python 3",
                                                              "language": "python"}},
    "nbformat": 4, "nbformat_minor": 5,
}


def test_cached_runs_and_what_invalidates_them(tmp_path):
    pipes = tmp_path / "pipelines"
    pipes.mkdir()
    nb = pipes / "sums.ipynb"
    nb.write_text(json.dumps(NOTEBOOK))
    with data_env(tmp_path / "data", FIRESIDE_JOBS_PIPELINES_DIR=str(pipes)):
        st = store.default()
        for t in ("cache_in", "cache_other"):
            st.lake_transaction(lambda lk, t=t: lk.execute(f"CREATE TABLE IF NOT EXISTS lake.{t} (x INT)"))
        st.lake_transaction(lambda lk: lk.execute("INSERT INTO lake.cache_in VALUES (2), (3)"))

        def run(**params):
            t0 = time.perf_counter()
            rid = jobs.enqueue("pipelines/sums", params, no_cache=params.pop("no_cache", False))
            submit_s = time.perf_counter() - t0
            r = jobs.wait(rid, timeout=300)
            assert r["status"] == "succeeded", (r["error"], r.get("traceback"))
            return r, submit_s

        with workers(1):
            first, _ = run(n=1)
            assert first["outputs"] == {"total": 5} and first["cached_from"] is None
            assert set(first["reads"]) == {"cache_in"}                         # what it read, and only that
            again, cached_s = run(n=1)
            print(f"cached run: enqueue to succeeded in {cached_s * 1000:.1f} ms")
            assert again["cached_from"] == first["run_id"] and again["outputs"] == first["outputs"]
            assert again["html_path"] == first["html_path"] and again["worker"] is None   # no worker touched it
            assert [e["detail"] for e in jobs.events(run_id=again["run_id"])] == \
                [f"cached: the result of run {first['run_id']}"]

            other, _ = run(n=2)                                                # another parameter: runs
            assert other["cached_from"] is None and other["outputs"] == {"total": 10}

            st.lake_transaction(lambda lk: lk.execute("INSERT INTO lake.cache_other VALUES (7)"))
            unrelated, _ = run(n=1)                                            # a table it did not read: cached
            assert unrelated["cached_from"] == first["run_id"]

            forced, _ = run(n=1, no_cache=True)                                # --no-cache: runs
            assert forced["cached_from"] is None and forced["outputs"] == {"total": 5}

            st.lake_transaction(lambda lk: lk.execute("INSERT INTO lake.cache_in VALUES (10)"))
            changed_input, _ = run(n=1)                                        # a table it read changed: runs
            assert changed_input["cached_from"] is None and changed_input["outputs"] == {"total": 15}
            assert run(n=1)[0]["cached_from"] == changed_input["run_id"]       # and is cached from then on

            edited = json.loads(nb.read_text())
            edited["cells"][1]["source"] += "\n# a comment changes the source"
            nb.write_text(json.dumps(edited))
            after_edit, _ = run(n=1)                                           # the notebook changed: runs
            assert after_edit["cached_from"] is None and after_edit["outputs"] == {"total": 15}
        from fireside_lab.jobs.dashboard import runs_frame
        assert "succeeded (cached)" in set(runs_frame()["status"])
