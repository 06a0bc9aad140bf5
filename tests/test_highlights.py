"""Highlights on the bundled real clips: signals, segments, clips, cache, no-audio video, bad input, CLI, pipelines."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
VIDEOS = ROOT / "data" / "samples" / "videos"
BBB = VIDEOS / "bigbuckbunny.mp4"      # 1280x720, 25 fps, AAC 5.1, 5.3 s
MONSTER = VIDEOS / "monster.mp4"       # 720x480, 30 fps, AAC stereo, 7.3 s
CRYSTAL = VIDEOS / "crystal.mp4"       # index (moov) at the start: a truncated copy still opens, then decodes short


def _ffprobe(path):
    import ffmpeg
    from fireside_lab.highlights.signals import ffmpeg_tools
    return ffmpeg.probe(str(path), cmd=ffmpeg_tools()[1])


def _frames(path):
    from fireside_lab.highlights.signals import ffmpeg_tools
    out = subprocess.run([ffmpeg_tools()[1], "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                          "stream=nb_read_frames", "-of", "csv=p=0", str(path)], capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


def test_detect_real_clip_signals_segments_clips_and_cache(data_dir):
    from fireside_lab import highlights, store
    from fireside_lab.highlights.signals import load_settings
    st = store.default()
    r = highlights.detect_video(BBB, store=st)
    assert r["status"] == "done" and r["n_segments"] >= 1
    vid, ver = r["video_id"], r["detector_version"]

    sig = highlights.video_signals(vid, ver, store=st)
    assert len(sig) == 11 and sig.t.tolist() == [i * 0.5 for i in range(11)]          # ceil(5.312 / 0.5) windows
    assert sig.loudness.between(-70, 0).all() and sig.scene.between(0, 1).all() and sig.motion.between(0, 1).all()
    assert sig.score.between(0, 1).all() and sig.score.max() >= 0.5 and sig.motion.max() > 0

    segs = highlights.video_segments(vid, ver, store=st)
    assert len(segs) == r["n_segments"] and (segs.end_s > segs.start_s).all()
    assert (segs.start_s >= 0).all() and (segs.end_s <= 5.312 + 1e-6).all()
    assert (segs.score >= load_settings().threshold).all()
    for s in segs.itertuples():
        info = _ffprobe(s.clip_path)                        # the clip plays: ffprobe reads it
        v = [st for st in info["streams"] if st["codec_type"] == "video"][0]
        assert v["codec_name"] == "h264" and v["pix_fmt"] == "yuv420p"
        assert any(st["codec_type"] == "audio" for st in info["streams"])
        length = s.end_s - s.start_s
        assert abs(float(info["format"]["duration"]) - length) <= 1 / 25 + 1e-6, (info["format"]["duration"], length)
        assert _frames(s.clip_path) == round(length * 25)   # frame-accurate: exactly the segment's frames
        assert Path(s.thumbnail_path).read_bytes()[:2] == b"\xff\xd8"
        assert Path(s.clip_path).is_relative_to(data_dir / "highlights")
    mtimes = {p: os.stat(p).st_mtime_ns for p in segs.clip_path}

    again = highlights.detect([BBB], store=st)            # second run: the cache
    assert again.status.tolist() == ["cached"] and again.n_segments.tolist() == [r["n_segments"]]
    assert {p: os.stat(p).st_mtime_ns for p in segs.clip_path} == mtimes
    assert st.lake_query("SELECT count(*) FROM lake.highlight_signals WHERE video_id = ?", [vid])[0][0] == 11

    # the same bytes under another name are the same video (content hash); another detector version is analysed anew
    copy = data_dir.parent / "renamed.mp4"; shutil.copy(BBB, copy)
    assert highlights.detect([copy], store=st).status.tolist() == ["cached"]
    other = highlights.detect([BBB], store=st, threshold=0.4)
    assert other.status.tolist() == ["done"] and other.detector_version[0] != ver


def test_video_without_audio(data_dir, tmp_path):
    from fireside_lab import highlights, store
    from fireside_lab.highlights.signals import ffmpeg_tools, probe
    silent = tmp_path / "monster-silent.mp4"
    subprocess.run([ffmpeg_tools()[0], "-v", "error", "-i", str(MONSTER), "-an", "-c:v", "copy", str(silent)], check=True)
    assert not probe(silent)["has_audio"]
    st = store.default()
    r = highlights.detect_video(silent, store=st)
    assert r["status"] == "done" and r["n_segments"] >= 1
    assert highlights.videos(store=st).has_audio.tolist() == [False]
    sig = highlights.video_signals(r["video_id"], r["detector_version"], store=st)
    assert sig.loudness.isna().all() and sig.motion.notna().all() and sig.score.max() > 0.5
    for p in r["segments"].clip_path:
        assert [st["codec_type"] for st in _ffprobe(p)["streams"]] == ["video"]


def test_bad_inputs_fail_alone_and_leave_nothing(data_dir, tmp_path):
    from fireside_lab import highlights, store
    bad = tmp_path / "bad"; bad.mkdir()
    data = CRYSTAL.read_bytes()
    (bad / "a_truncated.mp4").write_bytes(data[: len(data) // 2])                 # index kept, media cut in half
    (bad / "b_no_index.mp4").write_bytes(BBB.read_bytes()[:500_000])              # index at the end: lost
    (bad / "c_notes.mp4").write_text("not a video at all\n" * 50)
    (bad / "d_empty.mp4").write_bytes(b"")
    shutil.copy(BBB, bad / "e_good.mp4")
    seen = []
    st = store.default()
    df = highlights.detect([bad], progress=lambda f, m: seen.append((f, m)), store=st).set_index("name")
    assert df.status.to_dict() == {"a_truncated": "failed", "b_no_index": "failed", "c_notes": "failed",
                                   "d_empty": "failed", "e_good": "done"}
    assert "a_truncated.mp4: truncated or corrupt" in df.error["a_truncated"]
    assert "b_no_index.mp4: not a readable video" in df.error["b_no_index"]
    assert "c_notes.mp4: not a readable video" in df.error["c_notes"]
    assert "d_empty.mp4: is empty" in df.error["d_empty"]
    assert [f for f, _ in seen] == [0.2, 0.4, 0.6, 0.8, 1.0] and "e_good.mp4: done" in seen[-1][1]
    # no rows and no files for the failed videos
    from fireside_lab.highlights.tables import highlight_videos
    assert [r["name"] for r in st.rows(sa.select(highlight_videos.c.name))] == ["e_good"]
    good_id = df.video_id["e_good"]
    assert {r[0] for r in st.lake_query("SELECT DISTINCT video_id FROM lake.highlight_signals")} == {good_id}
    files = [p for p in (data_dir / "highlights").rglob("*") if p.is_file()]
    assert files and all(good_id in p.parts for p in files) and not [p for p in files if ".part" in p.name]


def test_cli_detect(data_dir, tmp_path):
    exe = Path(sys.executable).parent / "fireside-lab"
    bad = tmp_path / "x.mp4"; bad.write_text("nope")
    p = subprocess.run([str(exe), "highlights", "detect", str(BBB), str(bad)], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 1, p.stderr
    assert "done    bigbuckbunny: " in p.stdout and "failed  x: x.mp4: not a readable video" in p.stdout, p.stdout
    h = subprocess.run([str(exe), "highlights", "detect", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert h.returncode == 0 and "--threshold" in h.stdout


def _papermill(name, out, params, run_dir):
    import papermill
    os.environ["FIRESIDE_JOBS_RUN_DIR"] = str(run_dir)
    try:
        papermill.execute_notebook(str(ROOT / "pipelines" / name), str(out), parameters=params, progress_bar=False,
                                   cwd=str(ROOT / "pipelines"), kernel_name="python3")
    finally:
        os.environ.pop("FIRESIDE_JOBS_RUN_DIR", None)
    return json.loads((run_dir / "outputs.json").read_text())


def test_pipelines_detect_then_evaluate_on_review_labels(data_dir, tmp_path):
    pytest.importorskip("fireside_lab.jobs")
    from papermill.exceptions import PapermillExecutionError
    from fireside_lab import highlights, store
    bad = tmp_path / "broken.mp4"; bad.write_bytes(b"\x00" * 1000)
    run = tmp_path / "run1"; run.mkdir()
    outs = _papermill("detect_highlights.ipynb", tmp_path / "d.ipynb", dict(videos=[str(BBB), str(bad)], fail_on_error=False), run)
    assert outs["videos"] == 2 and outs["done"] == 1 and outs["failed"] == 1 and outs["segments"] >= 1
    assert "broken.mp4" in outs["failures"][0]["error"]
    assert json.loads((run / "progress.json").read_text())["fraction"] == 1.0
    # the same batch with fail_on_error: the good video comes from the cache, the run fails naming the bad file
    run2 = tmp_path / "run2"; run2.mkdir()
    with pytest.raises(PapermillExecutionError, match="broken.mp4"):
        _papermill("detect_highlights.ipynb", tmp_path / "d2.ipynb", dict(videos=[str(BBB), str(bad)]), run2)
    assert json.loads((run2 / "outputs.json").read_text())["cached"] == 1

    st = store.default()
    segs = highlights.video_segments(outs["video_ids"][0], outs["detector_version"], store=st)
    highlights.label(segs.segment_id[0], "accept", "ada", store=st)
    for sid in segs.segment_id[1:]:
        highlights.label(sid, "reject", "ada", store=st)
    from fireside_lab.highlights.review import mark_reviewed
    mark_reviewed(outs["video_ids"][0], "ada", store=st)        # only fully reviewed videos are evaluated
    run3 = tmp_path / "run3"; run3.mkdir()
    ev = _papermill("evaluate_highlights.ipynb", tmp_path / "e.ipynb", dict(detector_version=outs["detector_version"]), run3)
    m = {r["tiou"]: r for r in ev["metrics"]}
    n = len(segs)
    assert set(m) == {0.3, 0.5, 0.7} and m[0.5]["tp"] == 1 and m[0.5]["fp"] == n - 1 and m[0.5]["fn"] == 0
    assert np.isclose(m[0.5]["precision"], 1 / n) and m[0.5]["recall"] == 1.0
    stored = highlights.compare(store=st)
    assert stored.detector_version.tolist() == [outs["detector_version"]] * 3 and np.isclose(stored.f1[1], 2 / (n + 1))


def test_pipelines_through_jobs_with_a_real_worker(data_dir):
    jobs = pytest.importorskip("fireside_lab.jobs")
    from jobs_helpers import Worker
    from fireside_lab import highlights, store
    from fireside_lab.highlights.signals import detector_version, load_settings
    w = Worker(1)
    try:
        w.wait_up()
        rid = jobs.submit("pipelines/detect_highlights", videos=[str(MONSTER)], top_k=2, weight_loudness=0.5)
        r = jobs.wait(rid, timeout=240)
        assert r["status"] == "succeeded", r["error"]
        assert r["progress"] == 1 and r["outputs"]["done"] == 1 and r["outputs"]["segments"] >= 1
        ver = r["outputs"]["detector_version"]
        assert ver == detector_version(load_settings(top_k=2, weight_loudness=0.5))
        st = store.default()
        segs = highlights.video_segments(r["outputs"]["video_ids"][0], ver, store=st)
        highlights.label(segs.segment_id[0], "adjust", "bo", start_s=segs.start_s[0] + 0.1, end_s=segs.end_s[0],
                         store=st)
        from fireside_lab.highlights.review import mark_reviewed
        mark_reviewed(r["outputs"]["video_ids"][0], "bo", store=st)   # only fully reviewed videos are evaluated
        rid2 = jobs.submit("pipelines/evaluate_highlights", detector_version=ver)
        r2 = jobs.wait(rid2, timeout=240)
        assert r2["status"] == "succeeded", r2["error"]
        m = {x["tiou"]: x for x in r2["outputs"]["metrics"]}
        assert m[0.7]["tp"] == 1 and m[0.7]["fp"] == len(segs) - 1 and m[0.7]["recall"] == 1.0
    finally:
        w.stop()


def test_pip_only_machine_uses_imageio_ffmpeg(data_dir, tmp_path):
    "With no ffmpeg/ffprobe on PATH the bundled imageio-ffmpeg binary does probing, analysis and cutting."
    code = ("import json, sys; from fireside_lab import highlights as h; from fireside_lab.highlights import signals; "
            "ff, fp = signals.ffmpeg_tools(); assert fp is None and 'imageio_ffmpeg' in ff, (ff, fp); "
            "r = h.detect_video(sys.argv[1]); "
            "print(json.dumps(dict(n=r['n_segments'], clips=list(r['segments'].clip_path), s=list(r['segments'].start_s), e=list(r['segments'].end_s))))")
    env = dict(os.environ, PATH=str(Path(sys.executable).parent))
    p = subprocess.run([sys.executable, "-c", code, str(BBB)], capture_output=True, text=True, env=env, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout.strip().splitlines()[-1])
    assert out["n"] >= 1
    for c, a, b in zip(out["clips"], out["s"], out["e"]):
        assert _frames(c) == round((b - a) * 25)


def test_failure_while_storing_leaves_no_clips_or_signals(data_dir, monkeypatch):
    "Fault injection: the state transaction fails after clips were cut and signals written; everything is undone."
    from fireside_lab import highlights, store
    from fireside_lab.highlights import detection
    from fireside_lab.highlights.tables import highlight_segments, highlight_videos

    def broken(conn, video_row, segment_rows):
        raise store.StoreError("state is unavailable (injected)")
    monkeypatch.setattr(detection, "_write_state", broken)
    st = store.default()
    with pytest.raises(store.StoreError, match="injected"):
        highlights.detect_video(BBB, store=st)
    assert st.lake_query("SELECT count(*) FROM lake.highlight_signals")[0][0] == 0
    assert st.scalar(sa.select(sa.func.count()).select_from(highlight_segments)) == 0
    assert st.scalar(sa.select(sa.func.count()).select_from(highlight_videos)) == 0
    assert not [p for p in (data_dir / "highlights").rglob("*") if p.is_file()]
    monkeypatch.undo()
    assert highlights.detect_video(BBB, store=st)["status"] == "done"     # a retry works


def test_container_start_offset_is_removed(data_dir, tmp_path):
    "An MPEG-TS copy starts at 1.4 s of container time; its signals equal the mp4's (times count from the video's start)."
    from fireside_lab.highlights.signals import ffmpeg_tools, probe, signals
    ts = tmp_path / "monster.ts"
    subprocess.run([ffmpeg_tools()[0], "-v", "error", "-i", str(MONSTER), "-c", "copy", "-f", "mpegts", str(ts)], check=True)
    info = probe(ts)
    assert info["start_s"] > 1.0
    a, b = signals(MONSTER), signals(ts, info=info)
    assert len(a) == len(b)
    assert np.allclose(a.motion, b.motion, atol=1e-6) and np.allclose(a.scene, b.scene, atol=1e-6)
    assert np.nanmax(np.abs(a.loudness - b.loudness)) < 1.0
