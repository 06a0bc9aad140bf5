"""Re-run exactly this (#20 item 1) with a real worker and the real market analytics pipeline: after new trades land
(a new lake snapshot), the exact re-run of the old run reads the lake as of its snapshot and gives the original's
outputs; a plain re-run (retry) sees the new trades and differs; the compare view says so; runs that cannot be
reproduced are refused with the reason."""
from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from jobs_helpers import data_env, workers

from fireside_lab import jobs

PARAMS = dict(timeframes=["5m", "1d"], charts=0)


def test_exact_rerun_reads_the_old_snapshot_and_a_retry_the_new_trades(tmp_path):
    from fireside_lab import store
    from fireside_lab.config import project_root
    from fireside_lab import markets as mk
    from fireside_lab.jobs.lifecycle import git_info
    with data_env(tmp_path / "data"):
        samples = project_root() / "data" / "samples" / "markets"
        mk.import_files([samples / "XRP_ETH-trades.json.gz"] + sorted(samples.glob("*_BTC-5m.feather")))
        with workers(1):
            first = jobs.wait(jobs.submit("pipelines/market_analytics", **PARAMS), timeout=400)
            assert first["status"] == "succeeded", first["error"]
            st = store.default()
            last = st.lake_query("SELECT max(timestamp_ms), max(price) FROM lake.trades WHERE symbol = 'XRP/ETH'")[0]
            day = 86_400_000
            new = pd.DataFrame({"timestamp": [last[0] + day + i * 60_000 for i in range(30)],
                                "id": [f"9{i:08d}" for i in range(30)], "type": None, "side": "buy",
                                "price": [float(last[1]) * (1 + 0.01 * i) for i in range(30)], "amount": 1.0})
            assert mk.add_trades(new, "binance", "XRP/ETH") == 30                 # a new lake snapshot
            assert st.lake_snapshot_id() > first["snapshot_id"]
            exact = jobs.wait(jobs.rerun(first["run_id"]), timeout=400)
            plain = jobs.wait(jobs.retry(first["run_id"]), timeout=400)
        assert exact["status"] == plain["status"] == "succeeded", (exact["error"], plain["error"])
        print("original", first["outputs"], "\nexact   ", exact["outputs"], "\nretry   ", plain["outputs"])
        assert exact["outputs"] == first["outputs"]                              # the same results, all of them
        assert exact["reproduces"] == first["run_id"] and exact["read_snapshot"] == first["snapshot_id"]
        assert exact["git_commit"] == first["git_commit"] and exact["git_dirty"] is False
        assert plain["outputs"]["candles"] > first["outputs"]["candles"]        # the retry saw the new trades
        assert plain["outputs"]["mean_total_return"] != first["outputs"]["mean_total_return"]
        same, differ = jobs.compare_runs(first["run_id"], exact["run_id"]), jobs.compare_runs(first["run_id"],
                                                                                              plain["run_id"])
        assert same["same_outputs"] and not differ["same_outputs"]
        assert {d["name"] for d in differ["outputs"]} >= {"candles", "lake_snapshot", "mean_total_return"}
        assert any(not c["same"] for c in differ["cells"])                       # e.g. the metrics table printed
        from fireside_lab.jobs.cli import runs_cmd
        out = CliRunner().invoke(runs_cmd, ["--compare", first["run_id"], plain["run_id"]]).output
        assert "outputs: different" in out and "output candles:" in out, out
        from fireside_lab.jobs.dashboard import run_detail_html
        assert "which it reproduces: the same outputs" in run_detail_html(exact["run_id"])

        # refused, with the reason: a run from a tree with uncommitted changes, an unknown commit
        from fireside_lab.jobs import tables
        import sqlalchemy as sa
        def set_cols(**kw):
            st.execute(tables.runs.update().where(tables.runs.c.run_id == first["run_id"]).values(**kw))
        set_cols(git_dirty=True)
        with pytest.raises(jobs.JobsError, match="uncommitted changes"):
            jobs.rerun(first["run_id"])
        set_cols(git_dirty=False, git_commit="0" * 40)
        with pytest.raises(jobs.JobsError, match="is not in this repository"):
            jobs.rerun(first["run_id"])
        assert git_info()[0] == first["git_commit"] or first["git_commit"] is None


def test_exact_rerun_of_another_commit_runs_from_a_worktree(tmp_path):
    """A run recorded at an earlier commit is re-run from a git worktree of that commit (the kernel imports the package
    from there); its result equals the original's."""
    import subprocess
    from fireside_lab import store
    from fireside_lab.config import project_root
    from fireside_lab.jobs import tables
    root = project_root()
    older = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD~1"], capture_output=True, text=True)
    if older.returncode != 0:
        pytest.skip("this checkout has no history (a shallow clone): no earlier commit to check out")
    older = older.stdout.strip()
    with data_env(tmp_path / "data"):
        with workers(1):
            first = jobs.wait(jobs.submit("pipelines/examples/hello", name="worktree", n=2), timeout=300)
            assert first["status"] == "succeeded", first["error"]
            store.default().execute(tables.runs.update().where(tables.runs.c.run_id == first["run_id"])
                                    .values(git_commit=older, git_dirty=False))
            again = jobs.wait(jobs.rerun(first["run_id"]), timeout=300)
        assert again["status"] == "succeeded", (again["error"], again.get("traceback"))
        assert again["git_commit"] == older and again["code_commit"] == older and again["git_dirty"] is False
        assert again["outputs"] == first["outputs"]
        tree = tmp_path / "data" / "worktrees" / older[:16]
        assert (tree / "pipelines" / "examples" / "hello.ipynb").exists()
        subprocess.run(["git", "-C", str(root), "worktree", "remove", "--force", str(tree)], check=False)
