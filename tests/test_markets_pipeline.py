"""The market analytics pipeline and the markets tasks through the jobs layer: a real worker process runs the papermill
notebook on the bundled real samples; its outputs, progress and the metrics it wrote to the lake are checked."""
from jobs_helpers import data_env, workers


def test_market_analytics_pipeline_and_build_candles_task(tmp_path):
    with data_env(tmp_path / "data"):
        from fireside_lab import jobs, store
        from fireside_lab.markets import latest_metrics
        with workers(1):
            rid = jobs.submit("pipelines/market_analytics", import_samples=True, timeframes=["5m", "1d"], charts=1)
            r = jobs.wait(rid, timeout=400)
            assert r["status"] == "succeeded", r["error"]
            out = r["outputs"]
            assert out["markets"] == 10 and out["metrics_rows"] == 20 and out["timeframes"] == ["5m", "1d"]
            assert 0.2 < out["max_abs_correlation"] < 1          # the 9 BTC pairs' 5m log returns co-move
            assert r["progress"] == 1

            rid2 = jobs.submit("markets.build_candles", symbol="XRP/ETH")
            r2 = jobs.wait(rid2, timeout=200)
            assert r2["status"] == "succeeded", r2["error"]
            assert r2["outputs"]["markets"] == 1 and r2["outputs"]["candles"]["1d"] == 3

        st = store.default()
        m = latest_metrics(timeframe="5m", store=st).set_index("symbol")
        assert len(m) == 10 and m.loc["XRP/ETH", "candles"] > 600 and -1 < m.loc["ETH/BTC", "max_drawdown"] < 0
        assert m.loc["XRP/ETH", "lake_snapshot"] <= out["lake_snapshot"]
        corr = st.lake_query("SELECT count(*), count(correlation) FROM lake.market_correlations")[0]
        assert corr[0] == 100 and corr[1] == 82          # XRP/ETH (2019) shares no buckets with the 2018 BTC pairs
