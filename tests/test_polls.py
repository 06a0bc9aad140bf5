"""Polls against a real store: concurrent voter processes, the true answer never stored or logged, the CLI on ANES 1996,
and revision polls_0002 on a store v1."""
import datetime as dt
import json
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from conftest import ROOT, run_py

FIXTURE = Path(__file__).parent / "fixtures" / "store_v1"

BIN = Path(sys.executable).parent / "fireside-lab"

VOTER = r"""
import json, os, sys, time
from fireside_lab import polls
poll_id, start, voters = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
polls.get_poll(poll_id)                       # the store opened before the start
while not os.path.exists(start): time.sleep(0.005)
out = {"accepted": [], "duplicate": [], "errors": []}
for v in voters:
    try:
        polls.vote(poll_id, v, int(v[1:]) % 5)
        out["accepted"].append(v)
    except polls.DuplicateBallot:
        out["duplicate"].append(v)
    except Exception as e:
        out["errors"].append(f"{v}: {type(e).__name__}: {e}")
print(json.dumps(out))
"""


def test_eight_voter_processes_count_every_ballot_once(data_dir, tmp_path):
    from fireside_lab import polls, store
    from fireside_lab.polls.tables import ballots
    polls.create_poll("Which one?", list("ABCDE"), poll_id="concurrent")
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
    rows = store.default().rows(sa.select(ballots.c.voter, ballots.c.choices)
                                .where(ballots.c.poll_id == "concurrent").order_by(ballots.c.voter))
    assert [r["voter"] for r in rows] == voters
    assert all(r["choices"] == [int(r["voter"][1:]) % 5] for r in rows)
    r = polls.report("concurrent")
    assert r.n == 400
    assert r.table["count"].tolist() == np.bincount([int(v[1:]) % 5 for v in voters], minlength=5).tolist()


def test_private_poll_never_writes_or_logs_the_true_answer(data_dir, tmp_path):
    from fireside_lab import polls, store
    from fireside_lab.polls.tables import ballots
    log_file = tmp_path / "debug.log"
    handler = logging.FileHandler(log_file)
    root = logging.getLogger()
    old = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        labels = [f"ZQX-SECRET-OPTION-{i}" for i in range(5)]
        poll = polls.create_poll("ZQX-MARKER question", labels, privacy_p=0.3)
        for i in range(300):   # every voter's true answer is option 4 (randomized with OS entropy: no seed exists)
            polls.vote(poll.poll_id, f"voter-{i}", labels[4])
        with pytest.raises(polls.DuplicateBallot) as e:
            polls.vote(poll.poll_id, "voter-0", labels[4])
        assert "ZQX-SECRET" not in str(e.value)
    finally:
        root.removeHandler(handler)
        root.setLevel(old)
        handler.close()
    log = log_file.read_text()
    assert log.count("ballot cast") == 300          # the log saw every ballot...
    assert "ZQX-SECRET" not in log and "choices" not in log and "[4]" not in log   # ...and no choice
    stored = [r["choices"][0] for r in store.default().rows(sa.select(ballots.c.choices)
                                                            .where(ballots.c.poll_id == poll.poll_id))]
    assert len(stored) == 300
    # the rows hold the randomized answer: λ_4 = 0.3 + 0.7/5 = 0.44 (sd 0.029 at n = 300), the others ~0.14 each;
    # the bounds are >= 4 sd wide, as the randomness is the OS's (unseeded), so they fail by chance < 1e-4
    share4 = np.mean(np.array(stored) == 4)
    assert 0.30 < share4 < 0.58 and set(stored) == {0, 1, 2, 3, 4}
    r = polls.report(poll.poll_id)
    assert r.table.ci_high[4] > 0.6                                   # yet the debiased report finds the truth
    assert r.table.share[4] > 0.6 and (r.table.share[:4] < 0.3).all()   # >= 4 sd from the truth at n = 300


def test_refusals_write_nothing(data_dir):
    from fireside_lab import polls, store
    from fireside_lab.polls.tables import ballots, poll_counts, polls as polls_table
    st = store.default()
    polls.create_poll("Open?", ["yes", "no"], poll_id="open-poll", voters=["ann", "bob"])
    polls.create_poll("Closed?", ["yes", "no"], poll_id="closed-poll")
    polls.close_poll("closed-poll")
    polls.vote("open-poll", "ann", "yes")

    def snapshot():
        tables = [(polls_table, [polls_table.c.poll_id]), (ballots, [ballots.c.poll_id, ballots.c.voter]),
                  (poll_counts, [poll_counts.c.poll_id, poll_counts.c.option_index])]
        return [[dict(r) for r in st.rows(sa.select(t).order_by(*order))] for t, order in tables]
    before = snapshot()
    cases = [
        (lambda: polls.vote("no-such-poll", "ann", "yes"), "unknown poll"),
        (lambda: polls.vote("closed-poll", "ann", "yes"), "is closed"),
        (lambda: polls.vote("open-poll", "mallory", "yes"), "not allowed"),
        (lambda: polls.vote("open-poll", "bob", "maybe"), "not an option"),
        (lambda: polls.vote("open-poll", "ann", "no"), "already voted"),
        (lambda: polls.vote("../etc", "bob", "yes"), "malformed"),
        (lambda: polls.vote("open-poll", "", "yes"), "voter"),
        (lambda: polls.create_poll("q", ["a", "b"], poll_id="has space"), "malformed"),
        (lambda: polls.create_poll("q", ["a", "b"], privacy_p=0.0), "(0, 1]"),
        (lambda: polls.create_poll("q", ["a", "b"], privacy_p=1.5), "(0, 1]"),
        (lambda: polls.create_poll("q", ["a", "b"], privacy_p=float("nan")), "(0, 1]"),
        (lambda: polls.cast_ballots("open-poll", ["bob", "ann"], [0, 1]), "already voted"),
        (lambda: polls.cast_ballots("open-poll", ["bob"], [2]), "option"),
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
    st = store.Store(other)
    polls.import_anes96(store=st)
    assert polls.report("anes96-pid-private", store=st).summary() == private.rstrip("\n")
    st.close()


def _sqlite_rows(path: Path, query: str, params=()) -> list[tuple]:
    "The rows of one query on a SQLite file with plain sqlite3 (no types), the connection closed after."
    c = sqlite3.connect(path)
    try: return c.execute(query, params).fetchall()
    finally: c.close()


def _sqlite_schema(path: Path, *tables: str) -> dict[str, str]:
    "The CREATE statements of `tables` and of their triggers, by name."
    marks = ",".join("?" * len(tables))
    query = f"SELECT name, sql FROM sqlite_master WHERE tbl_name IN ({marks}) AND sql IS NOT NULL"
    return dict(_sqlite_rows(path, query, tables))


def test_revision_polls_0002_on_a_store_v1(tmp_path):
    """polls_0002 on the store v1 fixture with its times in other ISO forms: real times and booleans after, the counts
    still kept by the triggers, back to v1's types by the downgrade and up again; a value that is no time refuses the
    whole upgrade, nothing changed."""
    from fireside_lab import polls, store
    from fireside_lab.config import get_settings
    from fireside_lab.polls.tables import ballots, poll_counts
    data = tmp_path / "data"
    shutil.copytree(FIXTURE, data)
    db = data / "state.sqlite"
    c = sqlite3.connect(db)       # store v1 wrote naive UTC text; other ISO forms must convert, not be lost
    c.execute("UPDATE polls SET created_at = '2026-12-04T15:22:04.991401', closes_at = '2100-01-01T00:00:00Z' "
              "WHERE poll_id = 'v1-private'")
    c.execute("UPDATE ballots SET cast_at = '2026-12-04 16:22:05+01:00' "
              "WHERE poll_id = 'v1-private' AND voter = 'voter-1'")
    c.commit()
    rows_v1 = c.execute("SELECT voter, choices, cast_at FROM ballots WHERE poll_id = 'v1-private'")
    before = {v: (ch, t) for v, ch, t in rows_v1}
    c.close()
    utc = dt.timezone.utc

    st = store.Store(get_settings(data_dir=data))
    plain, private = polls.get_poll("v1-plain", store=st), polls.get_poll("v1-private", store=st)
    assert plain.closed is True and plain.allow_change is False
    assert private.closed is False and private.allow_change is True
    assert private.created_at == dt.datetime(2026, 12, 4, 15, 22, 4, 991401, tzinfo=utc)
    assert private.closes_at == dt.datetime(2100, 1, 1, tzinfo=utc) and private.status() == "open"
    rows = {r["voter"]: r for r in st.rows(sa.select(ballots).where(ballots.c.poll_id == "v1-private"))}
    assert {v: r["choices"] for v, r in rows.items()} == {v: json.loads(ch) for v, (ch, _) in before.items()}
    assert rows["voter-1"]["cast_at"] == dt.datetime(2026, 12, 4, 15, 22, 5, tzinfo=utc)
    assert all(r["cast_at"] == dt.datetime.fromisoformat(before[v][1]).replace(tzinfo=utc)
               for v, r in rows.items() if v != "voter-1")
    raw = _sqlite_rows(db, "SELECT cast_at FROM ballots WHERE voter = 'voter-1' AND poll_id = 'v1-private'")
    assert raw == [("2026-12-04 15:22:05.000000",)]                      # rewritten as naive UTC text

    # the triggers came back after the copy of `ballots`: a new ballot and a changed one move the counts
    counts = lambda: {r["option_index"]: r["n"] for r in st.rows(sa.select(poll_counts)
                                                                  .where(poll_counts.c.poll_id == "v1-private"))}
    assert counts() == {-1: 12, 0: 5, 1: 7} and polls.report("v1-private", store=st).n == 12
    polls.vote("v1-private", "voter-new", "yes", store=st)
    after_new = counts()
    assert after_new[-1] == 13 and after_new[0] + after_new[1] == 13
    old = rows["voter-1"]["choices"][0]
    assert polls.vote("v1-private", "voter-1", "no", store=st)["replaced"] is True
    new = st.row(sa.select(ballots.c.choices).where(ballots.c.voter == "voter-1", ballots.c.poll_id == "v1-private"))
    expected = dict(after_new)
    expected[old] -= 1
    expected[new["choices"][0]] += 1
    assert counts() == expected
    with pytest.raises(polls.PollError, match="is closed"):
        polls.vote("v1-plain", "voter-new", "tea", store=st)

    # down to v1's types (and its triggers) and up again, every row kept
    st.downgrade("polls@polls_0001")
    schema = _sqlite_schema(db, "polls", "ballots")
    assert "closed INTEGER" in schema["polls"] and "created_at TIMESTAMP" in schema["polls"]
    assert "cast_at TIMESTAMP" in schema["ballots"]
    assert {"ballots_count_insert", "ballots_count_update", "ballots_count_delete"} <= set(schema)
    assert _sqlite_rows(db, "SELECT count(*) FROM ballots") == [(24 + 1,)]
    st.upgrade()
    schema = _sqlite_schema(db, "polls", "ballots")
    assert "closed BOOLEAN" in schema["polls"] and "cast_at DATETIME" in schema["ballots"]
    assert "CONSTRAINT ck_polls_kind CHECK" in schema["polls"] and "ballots_count_insert" in schema
    assert polls.report("v1-private", store=st).n == 13
    st.close()

    # a time no parser reads: the upgrade is refused and the store left as it was
    data2 = tmp_path / "data2"
    shutil.copytree(FIXTURE, data2)
    c = sqlite3.connect(data2 / "state.sqlite")
    c.execute("UPDATE ballots SET cast_at = 'yesterday' WHERE voter = 'voter-2' AND poll_id = 'v1-plain'")
    c.commit()
    c.close()
    schema_before = _sqlite_schema(data2 / "state.sqlite", "polls", "ballots", "poll_counts")
    with pytest.raises(store.SchemaError, match="nothing was changed"):
        store.Store(get_settings(data_dir=data2))
    assert _sqlite_schema(data2 / "state.sqlite", "polls", "ballots", "poll_counts") == schema_before


def test_private_means_p_below_one_and_answers_are_randomized_from_the_os(tmp_path):
    """#17 item 6 (the first half fails on 7e1ce76): a "private" poll with p = 1 (ε = ∞) would store every true answer,
    so it is refused; two stores fed the same 200 ballots store different randomized answers (the randomness of
    `vote` comes from the OS, never a fixed seed)."""
    import math
    from fireside_lab import polls
    from fireside_lab.config import get_settings
    from fireside_lab.polls.tables import ballots
    from fireside_lab.store import Store
    stores = [Store(get_settings(data_dir=tmp_path / name)) for name in ("a", "b")]
    for kw in (dict(privacy_p=1), dict(epsilon=math.inf), dict(privacy_p=1.0)):
        with pytest.raises(polls.PollError, match="p < 1"):
            polls.create_poll("Open?", ["y", "n"], store=stores[0], **kw)
    stored = []
    for st in stores:
        polls.create_poll("Which?", ["a", "b", "c"], poll_id="same", privacy_p=0.5, store=st)
        for i in range(200): polls.vote("same", f"v{i}", i % 3, store=st)
        rows = st.rows(sa.select(ballots.c.voter, ballots.c.choices).order_by(ballots.c.voter))
        stored.append([(r["voter"], tuple(r["choices"])) for r in rows])
        st.close()
    assert [v for v, _ in stored[0]] == [v for v, _ in stored[1]]
    assert stored[0] != stored[1]                # two draws of one ballot agree with probability 1/2: all 200, 2^-200


def test_no_live_ballot_path_takes_a_seed_and_each_draws_from_the_os(tmp_path):
    """#17 item 6, second half (fails on 9fa2c49, where `vote`, `cast_in` and `cast_ballots` took `rng=`): no caller
    can pass randomness (a fixed seed) to a live ballot, and nothing of a refused call is written; two fresh stores fed
    the same 200 ballots through `cast_in` (the API's group commit) and through `cast_ballots` store different
    randomized answers."""
    from fireside_lab import polls
    from fireside_lab.config import get_settings
    from fireside_lab.polls.ballots import cast_in, definition
    from fireside_lab.polls.tables import ballots
    from fireside_lab.store import Store
    stores = [Store(get_settings(data_dir=tmp_path / name)) for name in ("a", "b")]
    true = np.arange(200) % 4
    voters = [f"v{i:03d}" for i in range(200)]
    stored = []
    for st in stores:
        for pid in ("by-cast-in", "by-batch"):
            polls.create_poll("Which?", list("abcd"), poll_id=pid, privacy_p=0.5, store=st)
        poll = definition("by-cast-in", store=st)
        st.transaction(lambda conn: [cast_in(conn, poll, v, int(c)) for v, c in zip(voters, true)])
        assert polls.cast_ballots("by-batch", voters, true, store=st) == 200
        rows = st.rows(sa.select(ballots.c.poll_id, ballots.c.voter, ballots.c.choices)
                       .order_by(ballots.c.poll_id, ballots.c.voter))
        stored.append({pid: [r["choices"][0] for r in rows if r["poll_id"] == pid]
                       for pid in ("by-cast-in", "by-batch")})
    for pid in ("by-cast-in", "by-batch"):
        a, b = np.array(stored[0][pid]), np.array(stored[1][pid])
        assert len(a) == len(b) == 200
        assert (a != b).any() and (a != true).any()   # P(two draws agree) = 0.625 per ballot: all 200, < 1e-40

    st = stores[0]
    for seed in (np.random.default_rng(0), 0):
        with pytest.raises(TypeError, match="rng"):
            polls.vote("by-batch", "late", "a", rng=seed, store=st)
        with pytest.raises(TypeError, match="seed"):
            polls.vote("by-batch", "late", "a", seed=seed, store=st)
        with pytest.raises(TypeError, match="rng"):
            st.transaction(lambda conn: cast_in(conn, definition("by-batch", store=st), "late", "a", rng=seed))
        with pytest.raises(TypeError, match="rng"):
            polls.cast_ballots("by-batch", ["late"], np.array([0]), rng=seed, store=st)
    assert st.scalar(sa.select(sa.func.count()).select_from(ballots).where(ballots.c.voter == "late")) == 0
    assert polls.vote("by-batch", "late", "a", store=st)["voter"] == "late"     # the plain call still votes
    for s in stores: s.close()
