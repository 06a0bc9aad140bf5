"""The store under several processes: three writers and a reader at once; a writer killed mid-transaction."""
import json
import signal

from conftest import run_py

SETUP = """
import sqlalchemy as sa
from fireside_lab import store
items = sa.Table("st_items", sa.MetaData(), sa.Column("k", sa.Text, primary_key=True),
                 sa.Column("writer", sa.Integer, nullable=False), sa.Column("at", store.UTCDateTime, nullable=False))
store.lake_table("st_appends", "CREATE TABLE IF NOT EXISTS lake.st_appends (writer INTEGER, i INTEGER)")
st = store.default()
items.create(st.engine, checkfirst=True)
"""

WRITER = SETUP + """
import sys
w, n = int(sys.argv[1]), int(sys.argv[2])
accepted, rejected, appended = [], [], 0
for i in range(n):
    k = f"k{(i * 7 + w * 3) % (n + 10)}"           # overlapping keys across writers
    try:
        st.transaction(lambda c: c.execute(items.insert().values(k=k, writer=w, at=store.utcnow())))
        accepted.append(k)
    except store.ConstraintError as e:
        assert "st_items" in str(e), e
        rejected.append(k)
    if i % 5 == 0:
        st.lake_transaction(lambda lk: lk.execute("INSERT INTO lake.st_appends SELECT ?, range FROM range(3)", [w]))
        appended += 3
print(json.dumps(dict(accepted=accepted, rejected=rejected, appended=appended)))
"""

READER = SETUP + """
import sys, time
reads, errors, t0 = 0, [], time.time()
while time.time() - t0 < float(sys.argv[1]):
    try:
        st.scalar(sa.select(sa.func.count()).select_from(items))
        st.lake_query("SELECT count(*) FROM lake.st_appends")
        reads += 1
    except Exception as e:
        errors.append(repr(e))
print(json.dumps(dict(reads=reads, errors=errors)))
"""

HEAD = "import json\n"


def _state(data_dir):
    """The test's tables seen from this process (a fresh store of the test's data dir)."""
    ns = {}
    exec(HEAD + SETUP, ns)
    return ns


def test_three_writers_and_a_reader(data_dir):
    ns = _state(data_dir)          # create both tables up front, as `fireside-lab db upgrade` would
    n = 60
    reader = run_py(HEAD + READER, 20)
    writers = [run_py(HEAD + WRITER, w, n) for w in range(3)]
    results = []
    for p in writers:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    out, err = reader.communicate(timeout=120)
    assert reader.returncode == 0, err
    r = json.loads(out.strip().splitlines()[-1])
    assert r["errors"] == [] and r["reads"] > 0

    st, items, sa = ns["st"], ns["items"], ns["sa"]
    rows = [(r.k, r.writer) for r in st.rows(sa.select(items.c.k, items.c.writer))]
    accepted = [(k, w) for w, res in enumerate(results) for k in res["accepted"]]
    assert sorted(rows) == sorted(accepted)                          # every accepted row present, once
    assert len({k for k, _ in rows}) == len(rows)
    attempts = sum(len(res["accepted"]) + len(res["rejected"]) for res in results)
    assert attempts == 3 * n
    distinct = {k for res in results for k in res["accepted"] + res["rejected"]}
    assert len(rows) == len(distinct)                                # every duplicate rejected
    lake = st.lake_query("SELECT count(*) FROM lake.st_appends")[0][0]
    assert lake == sum(res["appended"] for res in results)


KILLED = SETUP + """
import time
st.transaction(lambda c: c.execute(items.insert().values(k="committed", writer=1, at=store.utcnow())))
st.lake_transaction(lambda lk: lk.execute("INSERT INTO lake.st_appends VALUES (1, 1)"))
with st.begin() as c:
    c.execute(items.insert().values(k="uncommitted", writer=1, at=store.utcnow()))
    print("IN-TRANSACTION", flush=True)
    time.sleep(60)
"""

KILLED_LAKE = SETUP + """
import time
st.lake.execute("BEGIN")
st.lake.execute("INSERT INTO lake.st_appends SELECT 2, range FROM range(1000)")
print("IN-TRANSACTION", flush=True)
time.sleep(60)
"""


def _kill_when_ready(code):
    p = run_py(HEAD + code)
    line = p.stdout.readline()
    assert line.strip() == "IN-TRANSACTION", p.stderr.read()
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=30)
    assert p.returncode == -signal.SIGKILL


def test_writer_killed_mid_transaction(data_dir):
    _kill_when_ready(KILLED)            # it held the state's write lock (BEGIN IMMEDIATE and the flock) when killed
    _kill_when_ready(KILLED_LAKE)
    ns = _state(data_dir)
    st, items, sa = ns["st"], ns["items"], ns["sa"]
    assert [r.k for r in st.rows(sa.select(items.c.k).order_by(items.c.k))] == ["committed"]
    assert st.lake.execute("SELECT writer, i FROM lake.st_appends").fetchall() == [(1, 1)]
    # and the store still takes writes: the dead writer's locks went with it
    st.transaction(lambda c: c.execute(items.insert().values(k="after", writer=2, at=ns["store"].utcnow())))
    assert st.scalar(sa.select(sa.func.count()).select_from(items)) == 2
