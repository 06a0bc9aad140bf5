"""#17 item 7 (ffmpeg): every ffmpeg/ffprobe run has a timeout (probe: fixed; decode and cuts: base + factor × media
length); a hung or far too slow run is killed and fails its one file with `FFmpegTimeout` naming the file and the
timeout, and the batch, the function and the worker go on. Real ffmpeg, real files, a named pipe, a real worker."""
import os
from pathlib import Path

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
VIDEOS = ROOT / "data" / "samples" / "videos"
BBB = VIDEOS / "bigbuckbunny.mp4"      # 5.312 s
MONSTER = VIDEOS / "monster.mp4"       # 7.3 s


def _ffmpeg_children() -> list[int]:
    "Live (not reaped) ffmpeg/ffprobe child processes of this process, from /proc."
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            comm = stat.with_name("comm").read_text()
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and comm.startswith("ff"):
            out.append(int(stat.parent.name))
    return out


def _hung_playlist(folder: Path) -> Path:
    """An ffconcat playlist: a real clip, then a named pipe that nobody ever writes. ffprobe reads the stated durations
    and returns at once; ffmpeg decodes the clip, then blocks in open() on the pipe for ever (SIGTERM does not move
    it): a hung decode."""
    folder.mkdir()
    os.symlink(MONSTER, folder / "part.mp4")
    os.mkfifo(folder / "never.mp4")
    p = folder / "hung.ffconcat"
    p.write_text("ffconcat version 1.0\nfile part.mp4\nduration 7.3\nfile never.mp4\nduration 1\n")
    return p


def test_hung_decode_fails_its_file_and_the_batch_goes_on(data_dir, tmp_path):
    from fireside_lab import highlights, store
    from fireside_lab.highlights.signals import ffmpeg_timeout, load_settings, probe
    from fireside_lab.highlights.tables import highlight_videos
    hung = _hung_playlist(tmp_path / "hung")
    assert probe(hung)["duration_s"] == pytest.approx(8.3, abs=0.05)     # the probe is not what hangs
    st = store.default()
    kw = dict(ffmpeg_timeout_base_s=6, ffmpeg_timeout_factor=0.5)
    limit = ffmpeg_timeout(8.3, load_settings(**kw))                       # 6 + 0.5 × 8.3 = 10.15 s
    df = highlights.detect([hung, BBB], store=st, **kw).set_index("name")
    assert df.status.to_dict() == {"hung": "failed", "bigbuckbunny": "done"}, df.error.to_dict()
    assert df.error["hung"] == (f"hung.ffconcat analysis: ffmpeg timed out after {limit:.3g} s and was killed "
                                "(hung or far too slow)")
    assert _ffmpeg_children() == []                                        # killed and reaped, not left blocking
    assert [r["name"] for r in st.rows(sa.select(highlight_videos.c.name))] == ["bigbuckbunny"]
    files = [p for p in (data_dir / "highlights").rglob("*") if p.is_file()]
    assert files and all(df.video_id["bigbuckbunny"] in p.parts for p in files)
    # the function stays usable: the next call analyses a real file as before
    assert highlights.detect_video(MONSTER, store=st)["status"] == "done"


def test_tiny_timeouts_on_a_real_sample_fail_each_run_cleanly(data_dir, tmp_path):
    from fireside_lab import highlights, store
    from fireside_lab.highlights.detection import cut_clip, thumbnail
    from fireside_lab.highlights.signals import FFmpegTimeout, HighlightError, load_settings, probe, signals
    st = store.default()
    # a decode allowed 0.001 s + 0.0001 s per second of media: ffmpeg cannot even start in that time
    s = load_settings(ffmpeg_timeout_base_s=0.001, ffmpeg_timeout_factor=0.0001)
    with pytest.raises(FFmpegTimeout, match=r"^bigbuckbunny\.mp4 analysis: ffmpeg timed out after 0\.00153 s") as e:
        highlights.detect_video(BBB, s, store=st)
    assert isinstance(e.value, HighlightError)                   # what `detect` and the API already handle
    with pytest.raises(FFmpegTimeout, match=r"^bigbuckbunny\.mp4: ffprobe timed out after 0\.001 s"):
        probe(BBB, timeout_s=0.001)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(FFmpegTimeout, match=r"^bigbuckbunny\.mp4 clip 1\.00–2\.00 s: ffmpeg timed out after 0\.001"):
        cut_clip(BBB, 1.0, 2.0, out / "c.mp4", 25, timeout_s=0.001)
    with pytest.raises(FFmpegTimeout, match=r"^bigbuckbunny\.mp4 thumbnail at 2\.00 s: ffmpeg timed out"):
        thumbnail(BBB, 2.0, out / "t.jpg", timeout_s=0.001)
    fifo = out / "pipe.mp4"
    os.mkfifo(fifo)
    with pytest.raises(FFmpegTimeout, match=r"^pipe\.mp4 analysis: ffmpeg timed out after 1 s"):
        signals(fifo, info=probe(BBB), timeout_s=1)              # blocks in open(): killed after 1 s
    assert _ffmpeg_children() == [] and list(out.iterdir()) == [fifo]   # no half-written clip or thumbnail
    hl = data_dir / "highlights"
    assert not hl.exists() or not [p for p in hl.rglob("*") if p.is_file()]
    # nothing of the killed runs sticks: the same functions with the default timeouts work
    assert cut_clip(BBB, 1.0, 2.0, out / "c.mp4", 25).exists()
    assert thumbnail(BBB, 2.0, out / "t.jpg").read_bytes()[:2] == b"\xff\xd8"
    assert highlights.detect_video(BBB, store=st)["status"] == "done"


def test_a_hung_decode_fails_the_file_not_the_worker(data_dir, tmp_path):
    jobs = pytest.importorskip("fireside_lab.jobs")
    from jobs_helpers import Worker
    hung = _hung_playlist(tmp_path / "hung")
    env = {"FIRESIDE_HIGHLIGHTS_FFMPEG_TIMEOUT_BASE_S": "6", "FIRESIDE_HIGHLIGHTS_FFMPEG_TIMEOUT_FACTOR": "0.5"}
    w = Worker(1, env=env)
    try:
        w.wait_up()
        rid = jobs.submit("pipelines/detect_highlights", videos=[str(hung), str(BBB)], fail_on_error=False)
        r = jobs.wait(rid, timeout=240)
        assert r["status"] == "succeeded", r["error"]
        out = r["outputs"]
        assert out["done"] == 1 and out["failed"] == 1, out
        assert "hung.ffconcat analysis: ffmpeg timed out after 10.2 s" in out["failures"][0]["error"], out
        # the same worker takes the next run
        rid2 = jobs.submit("pipelines/detect_highlights", videos=[str(MONSTER)])
        r2 = jobs.wait(rid2, timeout=240)
        assert r2["status"] == "succeeded" and r2["outputs"]["done"] == 1, r2["error"]
        assert w.proc.poll() is None
    finally:
        w.stop()
