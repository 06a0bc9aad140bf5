"""Detector versions side by side (#18 item 3): the evaluate_highlights pipeline, in a real kernel, analyses the
reviewed videos a version lacks and scores every version on the same reviewed set; the evaluation tab, in headless
Chromium, shows them side by side with the metric history."""
import json
import os
from pathlib import Path

import numpy as np

from browser import browser_page, fireside_server, login

ROOT = Path(__file__).resolve().parent.parent
VIDEOS = ROOT / "data" / "samples" / "videos"
BBB, MONSTER = VIDEOS / "bigbuckbunny.mp4", VIDEOS / "monster.mp4"
PASSWORD = "a long password"


def _evaluate_pipeline(tmp_path, name, **params):
    import papermill
    run = tmp_path / name; run.mkdir()
    os.environ["FIRESIDE_JOBS_RUN_DIR"] = str(run)
    try:
        papermill.execute_notebook(str(ROOT / "pipelines" / "evaluate_highlights.ipynb"),
                                   str(tmp_path / f"{name}.ipynb"), parameters=params, progress_bar=False, cwd=str(ROOT / "pipelines"),
                                   kernel_name="python3")
    finally:
        os.environ.pop("FIRESIDE_JOBS_RUN_DIR", None)
    return json.loads((run / "outputs.json").read_text())


def _two_versions_one_gap(st):
    """Version A (defaults) analysed both clips, version B (threshold 0.6) only the first; ada reviewed both: she
    accepts A's first segment of the first clip and adds one missed highlight to the second."""
    from fireside_lab import highlights
    from fireside_lab.highlights.signals import load_settings
    a1 = highlights.detect_video(BBB, store=st)
    a2 = highlights.detect_video(MONSTER, store=st)
    b1 = highlights.detect_video(BBB, load_settings(threshold=0.6), store=st)
    assert a1["detector_version"] != b1["detector_version"]
    seg = a1["segments"].iloc[0]
    highlights.label(seg.segment_id, "accept", "ada", store=st)
    highlights.add_segment(a2["video_id"], 0.3, 1.6, "ada", store=st)
    for r in (a1, a2): highlights.mark_reviewed(r["video_id"], "ada", store=st)
    return a1, a2, b1


def test_pipeline_compares_every_version_on_the_same_reviewed_set(data_dir, tmp_path):
    from fireside_lab import highlights, store
    from fireside_lab.highlights.evaluation import video_set_id
    from fireside_lab.identity import add_user
    st = store.default()
    add_user("ada", "reviewer", None, actor="test", store=st)
    a1, a2, b1 = _two_versions_one_gap(st)
    va, vb = a1["detector_version"], b1["detector_version"]

    # without backfill: both versions on the one clip both analysed, the other listed as left out
    out = _evaluate_pipeline(tmp_path, "plain", backfill=False)
    assert out["backfilled"] == 0 and {x["video_id"] for x in out["left_out"]} == {a2["video_id"]}
    assert {s["detector_version"]: s["n_videos"] for s in out["summary"]} == {va: 1, vb: 1}
    assert {s["video_set"] for s in out["summary"]} == {video_set_id([a1["video_id"]])}

    # with backfill: version B analyses the second clip with its own stored settings; both on the same two clips
    out = _evaluate_pipeline(tmp_path, "filled")
    assert out["backfilled"] == 1 and out["left_out"] == []
    both = video_set_id([a1["video_id"], a2["video_id"]])
    assert {s["detector_version"]: (s["n_videos"], s["video_set"]) for s in out["summary"]} == {va: (2, both),
                                                                                              vb: (2, both)}
    analysed = highlights.videos(store=st)
    assert ((analysed.video_id == a2["video_id"]) & (analysed.detector_version == vb)).sum() == 1
    # the figures are those of evaluate() on the same set, and the history holds both evaluations of both versions
    ev = highlights.evaluate(save=False, store=st)
    for s in out["summary"]:
        ref = ev["summary"].set_index("detector_version").loc[s["detector_version"]]
        for k in ("precision_50", "recall_50", "f1_50", "ap_50", "map"):
            assert (s[k] is None and np.isnan(ref[k])) or np.isclose(s[k], ref[k]), (k, s[k], ref[k])
    h = highlights.history(0.5, store=st)
    assert h.groupby("detector_version").size().to_dict() == {va: 2, vb: 2}
    assert h.groupby("evaluation_id").video_set.nunique().eq(1).all()       # one set per evaluation
    assert h.sort_values("evaluated_at").n_videos.tolist() == [1, 1, 2, 2]


def test_evaluation_tab_shows_versions_side_by_side(data_dir):
    from fireside_lab import highlights, store
    from fireside_lab.identity import add_user
    st = store.default()
    add_user("ada", "reviewer", PASSWORD, display_name="Ada", actor="test", store=st)
    a1, a2, b1 = _two_versions_one_gap(st)
    highlights.backfill(store=st)
    store.reset_default()
    with fireside_server() as base, browser_page() as page:
        login(page, base, "ada", PASSWORD, "/highlights")
        page.get_by_text("Evaluation", exact=True).first.click()
        page.get_by_role("button", name="Evaluate against the review labels").click()
        page.get_by_text("Evaluated 2 detector version(s) on 2 reviewed video(s).").wait_for(timeout=60_000)
        table = page.locator("table").filter(has_text="video_set").first
        heads = table.locator("th").all_inner_texts()
        rows = [dict(zip(heads, r.locator("td").all_inner_texts())) for r in table.locator("tbody tr").all()]
        page.get_by_text("Metric history per detector version").wait_for()
        page.screenshot(path=str(data_dir.parent / "highlights-versions.png"), full_page=True)
        errors = list(page.console_errors)
    assert {r["detector_version"] for r in rows} == {a1["detector_version"], b1["detector_version"]}
    assert {r["n_videos"] for r in rows} == {"2"} and len({r["video_set"] for r in rows}) == 1
    ref = highlights.compare(store=store.default()).query("tiou == 0.5").set_index("detector_version")
    for r in rows:
        assert np.isclose(float(r["f1_50"]), ref.loc[r["detector_version"], "f1"], atol=5e-4, equal_nan=True)
    assert errors == []
