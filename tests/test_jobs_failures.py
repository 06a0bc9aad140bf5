"""Failure signatures (#20 item 4) with real worker processes: failures of one crash from different runs, whatever
their messages, share a signature; another crash gets another; the CLI and the dashboard's Failures tab list them."""
from __future__ import annotations

import re

from click.testing import CliRunner

import jobs_tasks  # noqa: F401  (registers the test tasks in this process too)
from jobs_helpers import data_env, workers

from fireside_lab import jobs


def test_twenty_failures_of_two_kinds_group_into_two_signatures(tmp_path):
    with data_env(tmp_path):
        with workers(2):
            keys = [f"COIN{i}/BTC" for i in range(12)]                       # 12 KeyErrors, each with its own message
            rids = [jobs.submit("test.lookup", symbol=k) for k in keys]
            rids += [jobs.submit("test.lookup", symbol="") for _ in range(8)]  # 8 ValueErrors
            nb = [jobs.submit("pipelines/examples/fails", divisor=0) for _ in range(2)]   # a notebook cell's crash
            done = [jobs.wait(r, timeout=300) for r in rids + nb]
        assert [r["status"] for r in done] == ["failed"] * 22
        assert len({r["error"] for r in done[:12]}) == 12                     # twelve different messages …
        assert len({r["signature"] for r in done[:12]}) == 1                  # … one crash
        g = jobs.failure_groups(latest=20).set_index("signature")
        print(g[["title", "task", "runs"]].to_string())
        lookups = g[g.task == "test.lookup"]
        assert sorted(lookups.runs) == [8, 12] and len(g) == 3
        key_error = lookups[lookups.runs == 12].iloc[0]
        assert key_error.title.startswith("KeyError in lookup() in jobs_tasks.py"), key_error.title
        assert sorted(key_error.run_ids) == sorted(rids[:12])
        assert lookups[lookups.runs == 8].iloc[0].title.startswith("ValueError in lookup() in jobs_tasks.py")
        cell = g[g.task == "pipelines/examples/fails"].iloc[0]
        assert cell.runs == 2 and re.fullmatch(r"ZeroDivisionError in cell \d+: ratio = 10 / divisor", cell.title)
        assert cell.first_seen <= cell.last_seen
        from fireside_lab.jobs.cli import runs_cmd
        out = CliRunner().invoke(runs_cmd, ["--failures"]).output
        assert out.count(" run(s) ") == 3 and "12 run(s)" in out and "KeyError in lookup()" in out, out
