"""The model server (#19 item 1) with the real SmolLM2 on the CPU: two worker processes and an API handler ask for
suggestions at once; the model is loaded once, in the server; the requests are decoded in one batch; each caller gets
the completion that generating it alone gives; a summaries run (gpu-queue notebook) uses the same server, its
entries in one batch; with no server, `required` fails clearly and `auto` loads locally."""
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from jobs_helpers import Worker

ROOT = Path(__file__).resolve().parent.parent
MACBETH = ROOT / "data" / "samples" / "stories" / "macbeth.xml"
SYSTEM = "You help write interactive fiction."


@pytest.fixture
def required(data_dir, monkeypatch):
    "This process and the processes it starts must use the model server (never load a model themselves)."
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("FIRESIDE_MODEL_SERVER", "required")
    from fireside_lab import store
    from fireside_lab.config import reset_settings
    reset_settings(); store.reset_default()
    yield data_dir
    reset_settings(); store.reset_default()


def _start_server(log: Path, wait_ms: int = 1500) -> subprocess.Popen:
    from fireside_lab.stories import server
    f = open(log, "w")
    p = subprocess.Popen([sys.executable, "-c", "from fireside_lab.cli import main; main()", "stories", "model-server",
                          "--max-wait-ms", str(wait_ms)], cwd=ROOT, stdout=f, stderr=subprocess.STDOUT,
                         env=dict(os.environ, PYTHONUNBUFFERED="1"))
    t0 = time.time()
    while True:
        try: return p if server.health() else p
        except server.ModelServerUnavailable:
            assert p.poll() is None, log.read_text()
            assert time.time() - t0 < 180, "the model server did not come up:\n" + log.read_text()
            time.sleep(0.2)


def test_two_workers_and_the_api_share_one_model_load_and_one_batch(required, tmp_path):
    import psutil
    from fireside_lab import jobs, stories
    from fireside_lab.stories import generation, server
    stories.import_story(MACBETH)
    log = tmp_path / "model-server.log"
    srv = _start_server(log, wait_ms=3000)     # a request waits up to 3 s for companions
    w = Worker(2, queue="gpu", log=tmp_path / "worker.log")
    try:
        w.wait_up()
        before = server.health()
        assert before["loads"] == 1 and before["batches"] == []
        # two runs for the two worker processes and, once both are running, the API handler's own call here
        rids = [jobs.submit("stories.suggest", story_id="macbeth", suggestion_type=t, max_new_tokens=20)
                for t in ("continue", "scene")]
        t0 = time.time()
        while any(jobs.get_run(r)["status"] != "running" for r in rids):    # both taken by the worker processes
            assert time.time() - t0 < 120, [jobs.get_run(r)["status"] for r in rids]
            time.sleep(0.05)
        mine = {}
        api = threading.Thread(target=lambda: mine.update(id=stories.suggest("macbeth", "character",
                                                                              max_new_tokens=20)))
        api.start()
        results = [jobs.wait(r, timeout=300) for r in rids]
        api.join(300)
        assert all(r["status"] == "succeeded" for r in results), [r["error"] for r in results]
        workers_rss = [c.memory_info().rss / 2**20 for c in psutil.Process(w.pid).children(recursive=True)]
        h = server.health()
        # a summaries run (gpu-queue notebook) goes through the same server: its kernel, with `required`, never loads
        # the model; the four entry prompts arrive at once and are decoded as one batch, then the fold
        run = jobs.wait(jobs.submit("pipelines/summarize_stories", stories=["macbeth"], scenes=["act1-scene1"],
                                    limit=4, batch_size=4, max_new_tokens=8), timeout=300)
        h2 = server.health()
    finally:
        w.stop()
        srv.terminate(); srv.wait(30)
    text = log.read_text()
    print(text)
    assert h["loads"] == 1 and text.count("loaded model 'smollm2'") == 1          # one load in total
    assert h["batches"] == [3], h["batches"]                                      # the three requests, one batch
    assert "batch of 3 request(s)" in text
    assert not Path(server.socket_path()).exists()                               # a clean stop removes the socket
    print(f"model server peak RSS {h['rss_mb']:.0f} MB; worker processes RSS (MB): "
          f"{', '.join(f'{x:.0f}' for x in workers_rss)}")
    assert max(workers_rss) < h["rss_mb"]                   # the workers never held the model
    assert run["status"] == "succeeded" and run["queue"] == "gpu", (run["error"], run.get("traceback"))
    assert run["outputs"]["entries"] == 4 and h2["loads"] == 1 and h2["batches"] == [3, 4, 1], h2["batches"]
    assert stories.summaries().set_index("story_id").loc["macbeth", "entries_processed"] == 4
    rows = stories.suggestions("macbeth").set_index("id")
    ids = [r["outputs"]["suggestion_id"] for r in results] + [mine["id"]]
    assert set(rows.loc[ids].status) == {"complete"}
    import sqlalchemy as sa
    from fireside_lab import store
    from fireside_lab.stories.tables import suggestions as table
    prompts = {r["id"]: r["prompt"] for r in store.default().rows(sa.select(table.c.id, table.c.prompt))}
    for sid in ids:                                         # each equals its prompt generated alone
        prompt = prompts[sid]
        alone = generation.generate([prompt], 20, system=SYSTEM)[0]
        assert rows.loc[sid, "text"] == alone.text, (rows.loc[sid, "text"], alone.text)


def test_no_server_required_fails_clearly_auto_loads_locally(required, monkeypatch):
    from fireside_lab import store, stories
    from fireside_lab.config import reset_settings
    from fireside_lab.stories import server
    stories.import_story(MACBETH)
    with pytest.raises(server.ModelServerUnavailable, match="no model server at .*fireside-lab stories model-server"):
        stories.suggest("macbeth", max_new_tokens=4)
    row = stories.suggestions("macbeth").iloc[0]
    assert row.status == "failed" and "ModelServerUnavailable" in row.error        # the row says why
    monkeypatch.setenv("FIRESIDE_MODEL_SERVER", "auto")
    reset_settings(); store.reset_default()
    sid = stories.suggest("macbeth", max_new_tokens=4)
    assert stories.suggestions("macbeth").set_index("id").loc[sid, "status"] == "complete"
