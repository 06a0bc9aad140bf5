"""Jobs on the shared-deployment store: `state` on a real PostgreSQL server, a real worker process.
Runs, their events, a failure with its traceback, and a follower of the events, all through the SQLAlchemy state tier."""
import jobs_tasks  # noqa: F401  (registers the test tasks in this process too)
from jobs_helpers import data_env, workers
from servers import postgres_server

from fireside_lab import jobs


def test_jobs_on_postgres(tmp_path):
    with postgres_server(dbnames=("fireside", "fireside_lake")) as pg, \
         data_env(tmp_path, FIRESIDE_STATE_URL=pg("fireside"), FIRESIDE_LAKE_CATALOG_URL=pg("fireside_lake"),
                  FIRESIDE_LAKE_DATA_PATH=str(tmp_path / "lakefiles") + "/"):
        from fireside_lab import store
        assert store.default().engine.dialect.name == "postgresql"
        ok = jobs.submit("test.add", a=40, b=2)
        bad = jobs.enqueue("test.flaky", {"marker": str(tmp_path / "attempts"), "succeed_on": 99}, retries=0)
        with workers(1):
            r = jobs.wait(ok, timeout=120)
            assert r["status"] == "succeeded" and r["outputs"] == {"total": 42} and r["attempt"] == 1
            assert r["started_at"] <= r["finished_at"] and r["snapshot_id"] is not None
            f = jobs.wait(bad, timeout=120)
            assert f["status"] == "failed" and "attempt 1 fails" in f["error"] and "Traceback" in f["traceback"]
        assert [e["status"] for e in jobs.events(run_id=ok)] == ["queued", "running", "succeeded"]
        follower = jobs.events(follow=True, timeout=10, poll_s=0.01)
        seen = [next(follower) for _ in range(6)]
        assert sorted(e["id"] for e in seen) == [e["id"] for e in seen] and len({e["id"] for e in seen}) == 6
        follower.close()
        df = jobs.runs(limit=10)
        assert set(df["run_id"]) == {ok, bad} and df.iloc[0]["created_at"] >= df.iloc[1]["created_at"]
        assert jobs.runs(status="failed")["run_id"].tolist() == [bad]
