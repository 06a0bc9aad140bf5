"""The store under several processes: concurrent writers and a reader; a writer killed mid-transaction."""
import json
import signal
import time

from conftest import run_py
from fireside_lab import store

SETUP = """
from fireside_lab import store
store.migration("storetest", 1, "state", "CREATE TABLE st_items (k TEXT PRIMARY KEY, writer INTEGER NOT NULL)")
store.migration("storetest", 2, "lake", "CREATE TABLE IF NOT EXISTS st_appends (writer INTEGER, i INTEGER)")
con = store.connect()
"""

WRITER = SETUP + """
import sys, json
w, n = int(sys.argv[1]), int(sys.argv[2])
accepted, rejected, appended = [], [], 0
for i in range(n):
    k = f"k{(i * 7 + w * 3) % (n + 10)}"           # overlapping keys across writers
    try:
        store.transaction(con, lambda c: c.execute("INSERT INTO state.st_items VALUES (?, ?)", [k, w]))
        accepted.append(k)
    except store.ConstraintError as e:
        assert "st_items" in str(e), e
        rejected.append(k)
    if i % 5 == 0:
        store.transaction(con, lambda c: c.execute("INSERT INTO lake.st_appends SELECT ?, range FROM range(3)", [w]))
        appended += 3
print(json.dumps(dict(accepted=accepted, rejected=rejected, appended=appended)))
"""

READER = SETUP + """
import time, json
reads, errors, t0 = 0, [], time.time()
while time.time() - t0 < float(__import__('sys').argv[1]):
    try:
        store.query(con, "SELECT count(*) FROM state.st_items"); store.query(con, "SELECT count(*) FROM lake.st_appends")
        reads += 1
    except Exception as e:
        errors.append(repr(e))
print(json.dumps(dict(reads=reads, errors=errors)))
"""


def test_three_writers_and_a_reader(data_dir):
    exec(SETUP, {})  # migrate once up front, as `fireside-lab db upgrade` would
    n = 60
    reader = run_py(READER, 20)
    writers = [run_py(WRITER, w, n) for w in range(3)]
    results = []
    for p in writers:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    out, err = reader.communicate(timeout=120)
    assert reader.returncode == 0, err
    r = json.loads(out.strip().splitlines()[-1])
    assert r["errors"] == [] and r["reads"] > 0

    con = store.connect()
    rows = store.query(con, "SELECT k, writer FROM state.st_items")
    accepted = [(k, w) for w, res in enumerate(results) for k in res["accepted"]]
    assert sorted(rows) == sorted(accepted)                          # every accepted row present, once
    assert len({k for k, _ in rows}) == len(rows)
    attempts = sum(len(res["accepted"]) + len(res["rejected"]) for res in results)
    assert attempts == 3 * n
    distinct = {k for res in results for k in res["accepted"] + res["rejected"]}
    assert len(rows) == len(distinct)                                # every duplicate rejected
    lake = store.query(con, "SELECT count(*) FROM lake.st_appends")[0][0]
    assert lake == sum(res["appended"] for res in results)


KILLED = SETUP + """
import sys, time
store.transaction(con, lambda c: c.execute("INSERT INTO state.st_items VALUES ('committed', 1)"))
store.transaction(con, lambda c: c.execute("INSERT INTO lake.st_appends VALUES (1, 1)"))
con.execute("BEGIN TRANSACTION")
con.execute("INSERT INTO state.st_items VALUES ('uncommitted', 1)")
print("IN-TRANSACTION", flush=True)
time.sleep(60)
"""

KILLED_LAKE = SETUP + """
import time
con.execute("BEGIN TRANSACTION")
con.execute("INSERT INTO lake.st_appends SELECT 2, range FROM range(1000)")
print("IN-TRANSACTION", flush=True)
time.sleep(60)
"""


def _kill_when_ready(code):
    p = run_py(code)
    line = p.stdout.readline()
    assert line.strip() == "IN-TRANSACTION", p.stderr.read()
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=30)
    assert p.returncode == -signal.SIGKILL


def test_writer_killed_mid_transaction(data_dir):
    _kill_when_ready(KILLED)
    _kill_when_ready(KILLED_LAKE)
    con = store.connect()
    assert store.query(con, "SELECT k FROM state.st_items ORDER BY k") == [("committed",)]
    assert store.query(con, "SELECT writer, i FROM lake.st_appends") == [(1, 1)]
    # and the store still takes writes
    store.transaction(con, lambda c: c.execute("INSERT INTO state.st_items VALUES ('after', 2)"))
    assert store.query(con, "SELECT count(*) FROM state.st_items") == [(2,)]
