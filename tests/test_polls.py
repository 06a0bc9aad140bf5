"""Polls against a real store: concurrent voter processes, the true answer never stored or logged, the CLI on ANES 1996."""
import json
import logging
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT, run_py

BIN = Path(sys.executable).parent / "fireside-lab"

VOTER = r"""
import json, os, sys, time
from fireside_lab import store, polls
poll_id, start, voters = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
con = store.connect()
while not os.path.exists(start): time.sleep(0.005)
out = {"accepted": [], "duplicate": [], "errors": []}
for v in voters:
    try:
        polls.vote(con, poll_id, v, int(v[1:]) % 5)
        out["accepted"].append(v)
    except polls.DuplicateBallot:
        out["duplicate"].append(v)
    except Exception as e:
        out["errors"].append(f"{v}: {type(e).__name__}: {e}")
print(json.dumps(out))
"""


def test_eight_voter_processes_count_every_ballot_once(data_dir, tmp_path):
    from fireside_lab import polls, store
    con = store.connect()
    polls.create_poll(con, "Which one?", list("ABCDE"), poll_id="concurrent")
    voters = [f"v{i:03d}" for i in range(400)]
    # process i votes for 100 voters starting at 50*i: every voter is in two processes (overlap across processes),
    # and each process repeats five of its own voters at the end (duplicates within a process)
    plans = []
    for i in range(8):
        mine = [voters[(50 * i + j) % 400] for j in range(100)]
        plans.append(mine + mine[::20])
    start = tmp_path / "go"
    procs = [run_py(VOTER, "concurrent", start, json.dumps(plan)) for plan in plans]
    time.sleep(1.0)
    start.touch()
    results = []
    for p in procs:
        out, err = p.communicate(timeout=240)
        assert p.returncode == 0, err[-2000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert [e for r in results for e in r["errors"]] == []
    accepted = [v for r in results for v in r["accepted"]]
    duplicates = [v for r in results for v in r["duplicate"]]
    attempts = sum(len(p) for p in plans)
    assert sorted(accepted) == voters                       # every valid ballot counted exactly once
    assert len(duplicates) == attempts - len(voters) == 440  # every repeat refused, none lost
    rows = store.query(con, "SELECT voter, choices FROM state.ballots WHERE poll_id = 'concurrent' ORDER BY voter")
    assert [v for v, _ in rows] == voters
    assert all(json.loads(c) == [int(v[1:]) % 5] for v, c in rows)
    r = polls.report(con, "concurrent")
    assert r.n == 400 and r.table["count"].tolist() == np.bincount([int(v[1:]) % 5 for v in voters], minlength=5).tolist()


def test_private_poll_never_writes_or_logs_the_true_answer(data_dir, tmp_path):
    from fireside_lab import polls, store
    log_file = tmp_path / "debug.log"
    handler = logging.FileHandler(log_file)
    root = logging.getLogger()
    old = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        con = store.connect()
        labels = [f"ZQX-SECRET-OPTION-{i}" for i in range(5)]
        poll = polls.create_poll(con, "ZQX-MARKER question", labels, privacy_p=0.3)
        rng = np.random.default_rng(20261121)   # seeded: the statistical checks below must not fail by chance
        for i in range(300):   # every voter's true answer is option 4
            polls.vote(con, poll.poll_id, f"voter-{i}", labels[4], rng=rng)
        with pytest.raises(polls.DuplicateBallot) as e:
            polls.vote(con, poll.poll_id, "voter-0", labels[4])
        assert "ZQX-SECRET" not in str(e.value)
    finally:
        root.removeHandler(handler)
        root.setLevel(old)
        handler.close()
    log = log_file.read_text()
    assert log.count("ballot cast") == 300          # the log saw every ballot...
    assert "ZQX-SECRET" not in log and "choices" not in log and "[4]" not in log   # ...and no choice
    stored = [json.loads(c)[0] for (c,) in store.query(con, "SELECT choices FROM state.ballots WHERE poll_id = ?", [poll.poll_id])]
    assert len(stored) == 300
    # the rows hold the randomized answer: λ_4 = 0.3 + 0.7/5 = 0.44, the other options ~0.14 each
    share4 = np.mean(np.array(stored) == 4)
    assert 0.34 < share4 < 0.54 and set(stored) == {0, 1, 2, 3, 4}
    r = polls.report(con, poll.poll_id)
    assert r.table.ci_low[4] <= 1.0 <= r.table.ci_high[4] + 1e-12   # yet the debiased report finds the truth
    assert r.table.share[4] > 0.6 and (r.table.share[:4] < 0.3).all()   # >= 4 sd from the truth at n = 300


def test_refusals_write_nothing(data_dir):
    from fireside_lab import polls, store
    con = store.connect()
    polls.create_poll(con, "Open?", ["yes", "no"], poll_id="open-poll", voters=["ann", "bob"])
    polls.create_poll(con, "Closed?", ["yes", "no"], poll_id="closed-poll")
    polls.close_poll(con, "closed-poll")
    polls.vote(con, "open-poll", "ann", "yes")

    def snapshot():
        return (store.query(con, "SELECT * FROM state.polls ORDER BY poll_id"),
                store.query(con, "SELECT * FROM state.ballots ORDER BY poll_id, voter"),
                store.query(con, "SELECT * FROM state.poll_counts ORDER BY poll_id, option_index"))
    before = snapshot()
    cases = [
        (lambda: polls.vote(con, "no-such-poll", "ann", "yes"), "unknown poll"),
        (lambda: polls.vote(con, "closed-poll", "ann", "yes"), "is closed"),
        (lambda: polls.vote(con, "open-poll", "mallory", "yes"), "not allowed"),
        (lambda: polls.vote(con, "open-poll", "bob", "maybe"), "not an option"),
        (lambda: polls.vote(con, "open-poll", "ann", "no"), "already voted"),
        (lambda: polls.vote(con, "../etc", "bob", "yes"), "malformed"),
        (lambda: polls.vote(con, "open-poll", "", "yes"), "voter"),
        (lambda: polls.create_poll(con, "q", ["a", "b"], poll_id="has space"), "malformed"),
        (lambda: polls.create_poll(con, "q", ["a", "b"], privacy_p=0.0), "(0, 1]"),
        (lambda: polls.create_poll(con, "q", ["a", "b"], privacy_p=1.5), "(0, 1]"),
        (lambda: polls.create_poll(con, "q", ["a", "b"], privacy_p=float("nan")), "(0, 1]"),
        (lambda: polls.cast_ballots(con, "open-poll", ["bob", "ann"], [0, 1]), "already voted"),
        (lambda: polls.cast_ballots(con, "open-poll", ["bob"], [2]), "option"),
    ]
    for fn, says in cases:
        with pytest.raises(polls.PollError) as e:
            fn()
        assert says in str(e.value), (says, e.value)
    assert snapshot() == before


def test_cli_imports_anes96_idempotently(data_dir):
    env = dict(os.environ)
    run = lambda *a: subprocess.run([str(BIN), "polls", *a], env=env, capture_output=True, text=True, timeout=180, cwd=ROOT)
    r = run("import-anes96")
    assert r.returncode == 0, r.stderr
    assert "anes96-pid: 944 ballots imported" in r.stdout and "anes96-pid-private: 944 ballots imported" in r.stdout
    r = run("import-anes96")
    assert r.returncode == 0 and r.stdout.count("already there") == 2, r.stdout + r.stderr
    listing = run("list").stdout
    assert listing.count("944 ballots") == 2
    plain = run("report", "anes96-pid").stdout
    counts = [int(re.match(r"\s+\S.*?\s+(\d+)\s+-?\d", line).group(1)) for line in plain.splitlines() if line.startswith("  ")]
    assert "944 ballots" in plain and counts == [200, 180, 108, 37, 94, 150, 175]
    private = run("report", "anes96-pid-private").stdout
    assert "p = 0.5" in private and "ε = 2.079" in private
    bad = run("report", "nope")
    assert bad.returncode == 1 and "unknown poll 'nope'" in bad.stderr
    # the private report is reproducible: the same seed in a fresh store gives the same text
    from fireside_lab import polls, store
    from fireside_lab.config import get_settings
    other = get_settings(data_dir=data_dir.parent / "other")
    con = store.connect(other)
    polls.import_anes96(con)
    assert polls.report(con, "anes96-pid-private").summary() == private.rstrip("\n")
