"""Highlight analysis speed against ffmpeg's decode-only speed of the same files, measured in the same run.

The physical limit of a one-decode analysis is decoding itself (`ffmpeg -i f -f null -`). For every bundled clip this
prints decode-only and analysis speed (× real time: seconds of video per second of wall time, best of N interleaved runs) and
their ratio (goal ≥ 0.5), then the same for a three-decode baseline (loudness, scene and motion in separate ffmpeg
runs) to show what the single pass saves, and the speed of the whole `detect` (analysis + clips + store).

    .venv/bin/python benchmarks/highlights.py [--repeat 3] [FILES…]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def best_interleaved(fns, repeat):
    "Best-of-`repeat` wall time of each function, the runs interleaved so that load from other processes hits all alike."
    times = [[] for _ in fns]
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter(); fn(); times[i].append(time.perf_counter() - t0)
    return [min(t) for t in times]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    os.environ.setdefault("FIRESIDE_DATA_DIR", tempfile.mkdtemp(prefix="fireside-bench-"))
    from fireside_lab import highlights
    from fireside_lab.highlights.signals import ffmpeg_tools, load_settings, probe, signals
    ff, _ = ffmpeg_tools()
    files = a.files or sorted((ROOT / "data" / "samples" / "videos").glob("*.mp4"))
    s = load_settings()

    def decode(f): subprocess.run([ff, "-nostdin", "-v", "error", "-i", str(f), "-f", "null", "-"], check=True)

    def three_decodes(f, info):
        base = [ff, "-nostdin", "-v", "error", "-i", str(f)]
        if info["has_audio"]:
            subprocess.run(base + ["-map", "0:a:0", "-af", "ebur128=metadata=1,ametadata=print:key=lavfi.r128.M:file=-", "-f", "null", "-"],
                           check=True, capture_output=True)
        subprocess.run(base + ["-map", "0:v:0", "-vf", "select='gte(scene,0)',metadata=print:key=lavfi.scene_score:file=-", "-f", "null", "-"],
                       check=True, capture_output=True)
        subprocess.run(base + ["-map", "0:v:0", "-vf", "scale=160:-2,format=gray,tblend=all_mode=difference,signalstats,"
                               "metadata=print:key=lavfi.signalstats.YAVG:file=-", "-f", "null", "-"], check=True, capture_output=True)

    print(f"ffmpeg: {ff}   window {s.window_s} s, analysis width {s.analysis_width} px, best of {a.repeat}")
    print(f"{'file':18} {'dur s':>6} {'decode ×rt':>11} {'analysis ×rt':>13} {'ratio':>6} {'3-decode ×rt':>13} {'ratio':>6}")
    tot = dict(dur=0.0, dec=0.0, ana=0.0, three=0.0)
    for f in files:
        info = probe(f)
        d = info["duration_s"]
        t_dec, t_ana, t_3 = best_interleaved([lambda: decode(f),
                                              lambda: signals(f, s.window_s, s.analysis_width, info=info),
                                              lambda: three_decodes(f, info)], a.repeat)
        for k, v in dict(dur=d, dec=t_dec, ana=t_ana, three=t_3).items(): tot[k] += v
        print(f"{f.name:18} {d:6.2f} {d / t_dec:11.1f} {d / t_ana:13.1f} {t_dec / t_ana:6.2f} {d / t_3:13.1f} {t_dec / t_3:6.2f}")
    print(f"{'all':18} {tot['dur']:6.2f} {tot['dur'] / tot['dec']:11.1f} {tot['dur'] / tot['ana']:13.1f} "
          f"{tot['dec'] / tot['ana']:6.2f} {tot['dur'] / tot['three']:13.1f} {tot['dec'] / tot['three']:6.2f}")
    print(f"one-decode analysis / decode-only speed: {tot['dec'] / tot['ana']:.2f} (goal >= 0.5); "
          f"three-decode baseline: {tot['dec'] / tot['three']:.2f}")
    t0 = time.perf_counter()
    df = highlights.detect(files, force=True)                 # the process's store, in FIRESIDE_DATA_DIR
    t = time.perf_counter() - t0
    print(f"detect (analysis + {int(df.n_segments.sum())} clips and thumbnails + store) on {len(files)} files: "
          f"{t:.2f} s, {tot['dur'] / t:.1f} × real time")


if __name__ == "__main__":
    main()
