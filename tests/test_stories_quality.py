"""Summary quality (#18 items 4-5) with the real SmolLM2 (offline, short generations): the evaluate_summaries pipeline
run as a job by a real worker on Macbeth I.1 compares today's decoding with v2 in one run, prints both side by side,
and stores one row per summary in lake.story_summary_quality; v2's entity precision is at least today's and its
repeated-trigram rate at most today's. Also: the summariser's default decoding is v2, `today` stays reachable."""
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples" / "stories"
SCENE = "act1-scene1"     # Macbeth I.1: two stage directions and ten short speeches of the witches
REFERENCE = ("Three witches meet in thunder and lightning in a desert place and agree to meet again upon the heath, "
             "when the battle is lost and won, to meet with Macbeth.")


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def test_evaluate_summaries_pipeline_today_vs_v2_on_macbeth_opening_scene(data_dir):
    jobs = pytest.importorskip("fireside_lab.jobs")
    from jobs_helpers import Worker
    from fireside_lab import store, stories
    stories.import_story(SAMPLES / "macbeth.xml")
    st = store.default()
    w = Worker(1, queue="gpu").wait_up()      # summary evaluation is gpu-queue work (the CPU here: no CUDA)
    try:
        rid = jobs.submit("pipelines/evaluate_summaries", stories=["macbeth"], scenes=[SCENE],
                          decodings=["today", "v2"], max_new_tokens=32, limit=12, references={"macbeth": REFERENCE})
        r = jobs.wait(rid, timeout=900)
        assert r["status"] == "succeeded", (r["error"], r.get("traceback"))
    finally:
        w.stop()
    page = Path(r["html_path"]).read_text()
    assert all(s in page for s in ("entity_precision", "repeated_trigram_rate", "fold, today:", "fold, v2:"))

    rows = st.lake_frame("SELECT * FROM lake.story_summary_quality WHERE run_id = ?", [r["outputs"]["run_ids"][0]])
    assert sorted(rows.groupby(["decoding", "kind"]).size().items()) == \
        [(("today", "entry"), 12), (("today", "fold"), 1), (("v2", "entry"), 12), (("v2", "fold"), 1)]
    assert set(rows.story_id) == {"macbeth"} and set(rows.model) == {"smollm2"} and rows.summary.str.strip().all()
    assert rows[rows.kind == "fold"].rouge_l.between(0, 1).all() and rows[rows.kind == "entry"].rouge_l.isna().all()
    m = rows.groupby(["kind", "decoding"])[["entity_precision", "repeated_trigram_rate"]].mean()
    print("\n" + m.round(3).to_string())
    for kind in ("entry", "fold"):
        assert m.loc[(kind, "v2"), "entity_precision"] >= m.loc[(kind, "today"), "entity_precision"], m
        assert m.loc[(kind, "v2"), "repeated_trigram_rate"] <= m.loc[(kind, "today"), "repeated_trigram_rate"], m
    # the story itself is untouched: no running summary, no entry result
    assert st.lake_query("SELECT count(*) FROM lake.story_summaries")[0][0] == 0
    assert stories.entries("macbeth", scenes=[SCENE]).result.isna().all()


def test_summarize_defaults_to_v2_and_today_stays_reachable(data_dir):
    import inspect
    from fireside_lab.stories import generation, summarizer
    assert inspect.signature(summarizer.summarize).parameters["decoding"].default == "v2"
    v2 = generation.get_decoding("v2")
    assert (v2.no_repeat_ngram_size, v2.repetition_penalty, v2.stop_at_sentence_end, v2.facts_only) == \
        (3, 1.2, True, True)
    assert generation.get_decoding("today") == generation.Decoding("today")
    with pytest.raises(ValueError, match="unknown decoding 'v9'"):
        summarizer.summarize(["macbeth"], decoding="v9")
