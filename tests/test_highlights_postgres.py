"""Highlights with the shared-deployment `state` engine: a throw-away PostgreSQL server (Debian package) on loopback.
The same calls as on SQLite: detect (signals in the lake, video and segments in state), the cache, review labels,
accepted clips, the evaluation."""
from pathlib import Path

import numpy as np

from conftest import ROOT
from servers import postgres_server

from fireside_lab import config, highlights, store

BBB = ROOT / "data" / "samples" / "videos" / "bigbuckbunny.mp4"


def test_highlights_on_postgres(data_dir):
    with postgres_server() as url:
        st = store.Store(config.get_settings(data_dir=data_dir, state_url=url()))
        assert st.engine.dialect.name == "postgresql"
        r = highlights.detect_video(BBB, store=st)
        assert r["status"] == "done" and r["n_segments"] >= 1
        assert highlights.detect_video(BBB, store=st)["status"] == "cached"
        v = highlights.videos(store=st)
        assert v.has_audio.tolist() == [True] and v.n_segments.tolist() == [r["n_segments"]]
        assert v.processed_at[0].tzinfo is not None and v.settings[0]["threshold"] == 0.5
        vid, ver = r["video_id"], r["detector_version"]
        assert len(highlights.video_signals(vid, ver, store=st)) == 11
        segs = highlights.video_segments(vid, ver, store=st)
        first = segs.segment_id[0]
        lab = highlights.label(first, "adjust", "ada", start_s=segs.start_s[0] + 0.2, end_s=segs.end_s[0], store=st)
        assert Path(lab["clip_path"]).is_file()
        for sid in segs.segment_id[1:]: highlights.label(sid, "reject", "ada", store=st)
        acc = highlights.accepted_clips(store=st)
        assert acc.segment_id.tolist() == [first] and acc.clip_path[0] == lab["clip_path"]
        assert highlights.labels(vid, store=st).decision.value_counts().to_dict() == \
            {"adjust": 1, **({"reject": len(segs) - 1} if len(segs) > 1 else {})}
        highlights.mark_reviewed(vid, "ada", store=st)            # only fully reviewed videos are evaluated
        m = highlights.evaluate(ver, store=st)["metrics"].set_index("tiou")
        n = len(segs)
        assert m.loc[0.5, "tp"] == 1 and m.loc[0.5, "fp"] == n - 1 and np.isclose(m.loc[0.5, "precision"], 1 / n)
        assert highlights.compare(store=st).tiou.tolist() == [0.3, 0.5, 0.7]
        st.close()
