"""The shared deployment end to end, on real servers started by the test: the state on PostgreSQL, the DuckLake catalog
on PostgreSQL, the lake's Parquet on an S3 endpoint (moto's server mode), the queue on Redis. Two worker processes,
each with a data dir of its own (as on two machines: they share only the servers), and a reader in a third process see
the same runs, trades and candles."""
import json
import os
import sys
from pathlib import Path

import pytest

from conftest import run_py
from jobs_helpers import Worker, data_env
from servers import postgres_server, redis_server, s3_server

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples" / "markets"

READER = """
import json, sys
from fireside_lab import jobs, markets, store
st = store.default()
runs = jobs.runs(limit=100)
c = markets.candles("binance", "XRP/ETH", "5m")
print(json.dumps(dict(runs=sorted(runs["run_id"]), statuses=sorted(set(runs["status"])), candles=len(c),
                      trades=st.lake_query("SELECT count(*) FROM lake.trades")[0][0],
                      volume=float(c["volume"].sum()), files=len(st.lake_query(
                          "SELECT * FROM glob('s3://' || ? || '/lake/**/*.parquet')", [sys.argv[1]])))))
"""


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    with postgres_server(dbnames=("fireside", "fireside_lake")) as pg, s3_server("lab-lake") as (endpoint, bucket), \
            redis_server() as redis_url:
        yield {"FIRESIDE_STATE_URL": pg("fireside"), "FIRESIDE_LAKE_CATALOG_URL": pg("fireside_lake"),
               "FIRESIDE_LAKE_DATA_PATH": f"s3://{bucket}/lake/", "FIRESIDE_LAKE_S3_ENDPOINT": endpoint,
               "FIRESIDE_LAKE_S3_KEY_ID": "test", "FIRESIDE_LAKE_S3_SECRET": "test",
               "FIRESIDE_LAKE_S3_URL_STYLE": "path", "FIRESIDE_LAKE_S3_USE_SSL": "false",
               "FIRESIDE_QUEUE_URL": redis_url, "FIRESIDE_SECRET_KEY": "shared-deployment-test"}, bucket


def test_two_workers_and_a_reader_share_one_deployment(deployment, tmp_path):
    env, bucket = deployment
    import deploy_tasks  # noqa: F401  (the test process registers the tasks too, to validate submissions)
    with data_env(tmp_path / "submitter", env["FIRESIDE_QUEUE_URL"], **{k: v for k, v in env.items()
                                                                        if k != "FIRESIDE_QUEUE_URL"}):
        from fireside_lab import jobs, markets, store
        st = store.default()
        assert st.engine.dialect.name == "postgresql" and st.settings.lake_data_path.startswith("s3://")
        workers = [Worker(1, env=dict(env, FIRESIDE_DATA_DIR=str(tmp_path / f"machine-{i}")),
                          args=("--import", "deploy_tasks")) for i in range(2)]
        try:
            for w in workers:
                w.wait_up(timeout=120)
            spread = [jobs.submit("deploy.where", seconds=0.8) for _ in range(6)]
            imported = jobs.submit("deploy.import_trades", path=str(SAMPLES / "XRPETH-trades-2019-10-11.csv"),
                                   exchange="binance", symbol="XRP/ETH")
            done = [jobs.wait(r, timeout=180) for r in spread + [imported]]
            assert all(r["status"] == "succeeded" for r in done), [(r["run_id"], r["error"]) for r in done]
            built = jobs.wait(jobs.submit("markets.build_candles", symbol="XRP/ETH"), timeout=300)
            assert built["status"] == "succeeded", built["error"]
        finally:
            for w in workers:
                w.stop()
        # both "machines" took work from the one Redis queue, each in its own data dir
        where = {r["outputs"]["data_dir"] for r in done[:6]}
        assert where == {str(tmp_path / "machine-0"), str(tmp_path / "machine-1")}, where
        added = done[-1]["outputs"]["added"]
        assert added > 1000
        # this process sees what the workers wrote: runs in PostgreSQL, trades and candles in the lake on S3
        ids = sorted([r["run_id"] for r in done] + [built["run_id"]])
        assert sorted(jobs.runs(limit=100)["run_id"]) == ids
        c = markets.candles("binance", "XRP/ETH", "5m")
        assert len(c) > 100 and st.lake_query("SELECT count(*) FROM lake.trades")[0][0] == added
        assert not any((tmp_path / "submitter").glob("lake/**/*.parquet"))      # no Parquet on local disk
        # and so does a reader in another process, with a data dir of its own
        p = run_py(READER, bucket, env=dict(env, FIRESIDE_DATA_DIR=str(tmp_path / "reader"), FIRESIDE_QUEUE_URL=""))
        out, err = p.communicate(timeout=180)
        assert p.returncode == 0, err
        seen = json.loads(out.strip().splitlines()[-1])
        assert seen["runs"] == ids and seen["statuses"] == ["succeeded"]
        assert seen["candles"] == len(c) and seen["trades"] == added
        assert seen["volume"] == pytest.approx(float(c["volume"].sum()))
        assert seen["files"] >= 2                                      # trades and candles as Parquet on S3
