"""Highlights evaluation against complete review: missed highlights count, only fully reviewed videos are scored,
labels are kept per reviewer, AP/mAP as QVHighlights defines them, reviewer agreement equal to scikit-learn's."""
import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from sklearn.metrics import cohen_kappa_score

from fireside_lab.config import get_settings
from fireside_lab.store import Store, utcnow


@pytest.fixture
def st(tmp_path):
    s = Store(get_settings(data_dir=tmp_path / "data"))
    yield s
    s.close()


def _video(st, video_id, segments, version="signals-1+test", duration=120.0):
    "A stored analysis of a (not real) video with detected segments [(start, end, score)]; returns the segment ids."
    from fireside_lab.highlights.tables import highlight_segments, highlight_videos
    st.execute(highlight_videos.insert().values(
        video_id=video_id, detector_version=version, name=video_id, path=f"/nowhere/{video_id}.mp4",
        content_hash=video_id * 4, duration_s=duration, fps=25.0, width=64, height=64, has_audio=False, settings={},
        analysis_s=0.1, processed_at=utcnow()))
    ids = []
    for i, (a, b, score) in enumerate(segments):
        sid = f"{video_id}-{version}-{i}"
        st.execute(highlight_segments.insert().values(
            segment_id=sid, video_id=video_id, detector_version=version, start_s=a, end_s=b, score=score,
            peak_s=(a + b) / 2, clip_path=f"/nowhere/{sid}.mp4", thumbnail_path=f"/nowhere/{sid}.jpg",
            created_at=utcnow()))
        ids.append(sid)
    return ids


def test_a_missed_highlight_lowers_recall_and_unreviewed_videos_change_nothing(st):
    from fireside_lab import highlights
    from fireside_lab.highlights import review
    # three true highlights [10,20], [40,50], [70,80]; the detector found two of them and one false alarm
    ids = _video(st, "v1", [(10, 20, 0.9), (40, 50, 0.8), (100, 110, 0.7)])
    highlights.label(ids[0], "accept", "ada", store=st)
    highlights.label(ids[1], "accept", "ada", store=st)
    highlights.label(ids[2], "reject", "ada", store=st)
    review.add_segment("v1", 70, 80, "ada", store=st)      # the one the detector missed
    review.mark_reviewed("v1", "ada", store=st)
    ev = highlights.evaluate(save=False, store=st)
    m = ev["metrics"].set_index("tiou")
    assert m.loc[0.5, ["tp", "fp", "fn"]].tolist() == [2, 1, 1]
    assert np.isclose(m.loc[0.5, "recall"], 2 / 3) and np.isclose(m.loc[0.5, "precision"], 2 / 3)
    # an unreviewed video (detections, even a label, but nobody marked it fully reviewed) changes nothing
    other = _video(st, "v2", [(5, 9, 0.95), (30, 40, 0.2)])
    highlights.label(other[0], "accept", "bo", store=st)
    ev2 = highlights.evaluate(save=False, store=st)
    cols = ["tiou", "tp", "fp", "fn", "precision", "recall", "f1", "average_precision"]
    pd.testing.assert_frame_equal(ev2["metrics"][cols], ev["metrics"][cols])
    assert set(ev2["per_video"].video_id) == {"v1"}
    pd.testing.assert_frame_equal(ev2["summary"], ev["summary"])
    # ground truth of ada = the accepted detections + the added one
    gt = highlights.evaluation.ground_truth("ada", store=st)
    assert gt[["video_id", "start_s", "end_s"]].values.tolist() == [["v1", 10, 20], ["v1", 40, 50], ["v1", 70, 80]]


def test_two_reviewers_keep_both_labels_and_agreement_equals_sklearn(st):
    from fireside_lab import highlights
    from fireside_lab.highlights import review
    from fireside_lab.highlights.evaluation import agreement, ground_truth
    ids = _video(st, "v1", [(10, 20, 0.9), (40, 50, 0.8), (100, 110, 0.7)], duration=120.0)
    highlights.label(ids[0], "accept", "ada", store=st)
    highlights.label(ids[1], "accept", "ada", store=st)
    highlights.label(ids[0], "accept", "bo", store=st)
    highlights.label(ids[1], "reject", "bo", store=st)
    review.add_segment("v1", 70, 80, "bo", store=st)
    lab = highlights.labels(store=st)
    assert len(lab) == 4 and sorted(lab[lab.segment_id == ids[1]].decision) == ["accept", "reject"]   # both kept
    highlights.label(ids[0], "reject", "bo", store=st)                 # bo changes their own mind
    highlights.label(ids[0], "accept", "bo", store=st)
    lab = highlights.labels(store=st).set_index(["segment_id", "reviewer"]).decision
    assert lab[(ids[1], "ada")] == "accept" and lab[(ids[1], "bo")] == "reject" and len(lab) == 4
    review.mark_reviewed("v1", "ada", store=st)
    review.mark_reviewed("v1", "bo", store=st)
    ag = agreement(store=st)
    assert len(ag) == 1
    a = ag.iloc[0]
    # ada: [10,20], [40,50]; bo: [10,20], [70,80] -> one pair matched at tIoU 0.5: F1 = 2*1 / (2+2) = 0.5
    assert (a.reviewer_a, a.reviewer_b, a.n_a, a.n_b, a.matched) == ("ada", "bo", 2, 2, 1) and a.f1 == 0.5
    sec = np.arange(120) + 0.5
    ada = ((sec >= 10) & (sec < 20)) | ((sec >= 40) & (sec < 50))
    bo = ((sec >= 10) & (sec < 20)) | ((sec >= 70) & (sec < 80))
    assert a.n_seconds == 120 and np.isclose(a.kappa, cohen_kappa_score(ada.astype(int), bo.astype(int)))
    # consensus of 2 reviewers: segments marked by >= 1 of them, merged: [10,20], [40,50], [70,80]
    gt = ground_truth(store=st)
    assert gt[["start_s", "end_s", "support"]].values.tolist() == [[10, 20, 2], [40, 50, 1], [70, 80, 1]]
    # per reviewer: evaluate against bo's truth = [10,20], [70,80]
    m = highlights.evaluate(reviewer="bo", save=False, store=st)["metrics"].set_index("tiou")
    assert m.loc[0.5, ["tp", "fp", "fn"]].tolist() == [1, 2, 1]


def test_ap_and_map_equal_the_definition_by_hand():
    from fireside_lab.highlights.evaluation import MAP_TIOUS, average_precision, mean_ap
    gt = pd.DataFrame({"start_s": [0.0, 20.0], "end_s": [10.0, 30.0]})
    pred = pd.DataFrame({"start_s": [24.0, 0.0, 40.0, 2.0], "end_s": [30.0, 5.0, 45.0, 10.0],
                         "score": [0.7, 0.9, 0.6, 0.8]})
    # score order P1 [0,5] .9 (tIoU .5 with G1), P2 [2,10] .8 (.8 with G1), P3 [24,30] .7 (.6 with G2), P4 .6 (none)
    # tIoU 0.5: TP FP TP FP -> P [1, 1/2, 2/3, 1/2], R [1/2, 1/2, 1, 1]; monotone envelope [1, 2/3, 2/3, 1/2];
    #   AP = (1/2 - 0)*1 + (1 - 1/2)*2/3 = 5/6
    # tIoU 0.55, 0.6: FP TP TP FP -> P [0, 1/2, 2/3, 1/2], R [0, 1/2, 1, 1]; AP = 1/2*2/3 + 1/2*2/3 = 2/3
    # tIoU 0.65 .. 0.8: FP TP FP FP -> P [0, 1/2, 1/3, 1/4], R [0, 1/2, 1/2, 1/2]; AP = 1/2*1/2 + 1/2*0 = 1/4
    # tIoU 0.85 .. 0.95: no TP -> 0.  mAP = (5/6 + 2*2/3 + 4*1/4 + 3*0) / 10 = 19/60
    ap = average_precision(pred, gt)
    assert list(ap.index) == list(MAP_TIOUS) == [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95]
    assert np.allclose(ap.values, [5 / 6, 2 / 3, 2 / 3, 1 / 4, 1 / 4, 1 / 4, 1 / 4, 0, 0, 0])
    overall, per = mean_ap(pred.assign(video_id="a"), gt.assign(video_id="a"))
    assert np.isclose(overall[0.5], 5 / 6) and np.isclose(overall[0.75], 1 / 4) and np.isclose(overall.mean(), 19 / 60)


def test_ap_and_map_through_evaluate(st):
    from fireside_lab import highlights
    from fireside_lab.highlights import review
    ids = _video(st, "v1", [(24, 30, 0.7), (0, 5, 0.9), (40, 45, 0.6), (2, 10, 0.8)])
    review.add_segment("v1", 0, 10, "ada", store=st)
    review.add_segment("v1", 20, 30, "ada", store=st)
    review.mark_reviewed("v1", "ada", store=st)
    s = highlights.evaluate(save=False, store=st)["summary"].iloc[0]
    assert np.isclose(s.ap_50, 5 / 6) and np.isclose(s.ap_75, 1 / 4) and np.isclose(s["map"], 19 / 60)


def test_migration_up_and_down_on_sqlite(st):
    from fireside_lab.store import schema
    from fireside_lab import highlights
    from fireside_lab.highlights import review
    ids = _video(st, "v1", [(10, 20, 0.9)])
    highlights.label(ids[0], "accept", "ada", store=st)
    highlights.label(ids[0], "reject", "bo", store=st)
    schema.downgrade(st.engine, "highlights_0002")
    insp = sa.inspect(st.engine)
    assert "highlight_added_segments" not in insp.get_table_names()
    with st.engine.connect() as c:
        assert c.execute(sa.text("SELECT reviewer FROM highlight_labels")).scalars().all() == ["bo"]   # the latest
    schema.upgrade(st.engine)
    insp = sa.inspect(st.engine)
    assert {"highlight_added_segments", "highlight_reviewed_videos"} <= set(insp.get_table_names())
    highlights.label(ids[0], "accept", "ada", store=st)
    assert len(highlights.labels(store=st)) == 2


def test_cli_import_labels_and_evaluate_json(data_dir, tmp_path):
    import json
    from click.testing import CliRunner
    from fireside_lab import highlights, store
    from fireside_lab.highlights.cli import highlights_group
    from fireside_lab.identity import add_user
    store.reset_default()
    try:
        st = store.default()
        _video(st, "v1", [(10, 20, 0.9), (40, 50, 0.8), (100, 110, 0.7)])
        add_user("ada", "reviewer", None, actor="test", store=st)
        def csv(text):
            f = tmp_path / "labels.csv"
            f.write_text("video,start_s,end_s,reviewer\n" + text)
            return str(f)
        run = lambda *a: CliRunner().invoke(highlights_group, list(a))
        for text, what in [("v1,10,20,ada\nv1,70,abc,ada\n", "row 2, column end_s"),
                           ("v1,10,20,ada\nnope.mp4,70,80,ada\n", "row 2, column video"),
                           ("v1,10,20,ada\nv1,80,70,ada\n", "row 2, column end_s"),
                           ("v1,10,20,ghost\n", "row 1, column reviewer")]:
            r = run("import-labels", csv(text), "--reviewed")
            assert r.exit_code == 1 and what in r.output, (what, r.output)
        assert highlights.labels(store=st).empty and highlights.review.added_segments(store=st).empty
        assert highlights.review.reviewed_videos(store=st).empty                 # nothing written
        # by file name (v1.mp4) and by id; [70, 80] matches no detection: a missed highlight
        r = run("import-labels", csv("v1.mp4,10,20,ada\nv1,40,50,ada\nv1,70,80,ada\n"), "--reviewed")
        assert r.exit_code == 0 and "2 label(s)" in r.output and "1 missed" in r.output, r.output
        r = run("evaluate", "--reviewer", "ada", "--json", "--no-save")
        assert r.exit_code == 0, r.output
        doc = json.loads(r.output)
        v = doc["versions"][0]
        assert doc["ground_truth"] == "reviewer:ada" and set(v["tiou"]) == {"0.3", "0.5", "0.7"}
        t = v["tiou"]["0.5"]
        assert t["recall"] == pytest.approx(2 / 3) and t["precision"] == pytest.approx(2 / 3)
        assert {"ap_0.5", "ap_0.75", "map"} <= set(v)
        assert json.loads(run("evaluate", "--consensus", "--json", "--no-save").output)["ground_truth"] == "consensus"
    finally:
        store.reset_default()
