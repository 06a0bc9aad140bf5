"""Feeds benchmark on a SYNTHETIC load: latency of one page (50 posts) of each feed on the embedded store.

SYNTHETIC DATA (not real users): 1 M posts by 10 k creators, 10 M engagement events, 100 k users, 1 M follows;
post embeddings are RANDOM unit vectors (384-d), not MiniLM outputs — ranking cost does not depend on their values.
The state rows are bulk-loaded through SQLAlchemy Core (executemany in chunks of 200 k rows, the two secondary
indexes of `engagement` dropped during the load and rebuilt after it); the embeddings go to the lake as Arrow.

Measured: p50/p95 of a first page and of a second page (cursor) per feed, for random viewers, with the feed index
warm; the cold start (building the index from the lake features) and the first for-you request (which builds the
candidate pool, rebuilt every FIRESIDE_FEEDS_POOL_CLOCK_S) are printed separately. Rows marked * commit one engagement
event before each request, so every request re-ranks. Baseline, measured in the same run: the same first page computed by one
DuckDB SQL query over the state tables per request (no index, no features), in a child process on
`store.default().analytics()` (DuckDB attaching the state read-only: it must not share this writing process) — the
ratio is baseline p50 / ours p50.

    .venv/bin/python benchmarks/feeds.py            # full scale (10-15 minutes on 2 busy cores, ~6 GB RAM)
    .venv/bin/python benchmarks/feeds.py --scale 0.01
"""
import argparse, json, os, shutil, subprocess, sys, tempfile, time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--scale", type=float, default=1.0, help="fraction of the full synthetic load (1.0 = 1 M posts)")
ap.add_argument("--requests", type=int, default=200, help="timed requests per feed and page")
ap.add_argument("--keep", help="build the store in this folder and keep it (reused when it already holds the load)")
args = ap.parse_args()

N_POSTS, N_EVENTS, N_USERS = int(1_000_000 * args.scale), int(10_000_000 * args.scale), int(100_000 * args.scale)
N_CREATORS, N_FOLLOWS, N_TAGS = max(10, N_USERS // 10), N_USERS * 10, 200
DIM = 384
CHUNK = 200_000
data_dir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="feeds-bench-"))
os.environ["FIRESIDE_DATA_DIR"] = str(data_dir)

import sqlalchemy as sa  # noqa: E402

from fireside_lab import feeds, store  # noqa: E402
from fireside_lab.feeds.index import feed_index, reset_index  # noqa: E402
from fireside_lab.feeds.posts import samples_dir  # noqa: E402
from fireside_lab.feeds.settings import FEEDS  # noqa: E402
from fireside_lab.feeds.tables import engagement, feed_users, follows, posts  # noqa: E402

T = datetime(2026, 1, 31, 12, tzinfo=timezone.utc)
st = store.default()
clip, thumb = str(samples_dir() / "rabbit-1.mp4"), str(samples_dir() / "rabbit-1.jpg")
rng = np.random.default_rng(42)


def timed(label, fn):
    t = time.perf_counter(); out = fn(); dt = time.perf_counter() - t
    print(f"  {label:<46} {dt:8.2f} s"); return out


def insert_chunks(table, n, make_rows):
    "Insert `n` rows made by make_rows(a, b) (a list of dicts for rows a..b-1) in chunks, one transaction each."
    for a in range(0, n, CHUNK):
        rows = make_rows(a, min(n, a + CHUNK))
        st.transaction(lambda c: c.execute(sa.insert(table), rows))


def times_before_T(n):
    "n random times in the 30 days before T (aware UTC datetimes)."
    return [T - timedelta(microseconds=int(x)) for x in rng.random(n) * 30 * 86400e6]


def load():
    print(f"SYNTHETIC load: {N_POSTS:,} posts, {N_EVENTS:,} events, {N_USERS:,} users, {N_FOLLOWS:,} follows "
          f"(random embeddings) into {data_dir}")
    timed("users", lambda: insert_chunks(feed_users, N_USERS, lambda a, b: [
        dict(user_id=f"u{i}", display_name=None, created_at=T) for i in range(a, b)]))

    def post_rows(a, b):
        creators = rng.integers(0, N_CREATORS, b - a)
        tags = rng.integers(0, N_TAGS, (b - a, 2))
        return [dict(post_id=f"sp{i}", creator=f"u{c}", caption=f"synthetic post {i}", tags=[f"t{x}", f"t{y}"],
                     clip=clip, thumbnail=thumb, created_at=t)
                for i, c, (x, y), t in zip(range(a, b), creators, tags, times_before_T(b - a))]
    timed("posts", lambda: insert_chunks(posts, N_POSTS, post_rows))
    # bulk load: the two secondary indexes of state.engagement are dropped during the insert and rebuilt after it
    timed("drop engagement indexes", lambda: st.transaction(lambda c: [ix.drop(c) for ix in engagement.indexes]))
    # event types 70 % view, 15 % like, 3 % comment, 2 % share, 9 % skip, 1 % report; posts Zipf-like (random^3)
    kinds = np.array(["view", "like", "comment", "share", "skip", "report"])
    edges = np.array([.70, .85, .88, .90, .99])

    def event_rows(a, b):
        users = rng.integers(0, N_USERS, b - a)
        post_ix = np.floor(N_POSTS * rng.random(b - a) ** 3).astype(np.int64)
        events = kinds[np.searchsorted(edges, rng.random(b - a), side="right")]
        return [dict(user_id=f"u{u}", post_id=f"sp{p}", event=e, at=t)
                for u, p, e, t in zip(users, post_ix, events, times_before_T(b - a))]
    timed("events", lambda: insert_chunks(engagement, N_EVENTS, event_rows))
    timed("rebuild engagement indexes", lambda: st.transaction(lambda c: [ix.create(c) for ix in engagement.indexes]))
    pairs = np.unique(np.stack([np.arange(N_FOLLOWS) % N_USERS, rng.integers(0, N_CREATORS, N_FOLLOWS)], axis=1), axis=0)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    timed("follows", lambda: insert_chunks(follows, len(pairs), lambda a, b: [
        dict(follower=f"u{f}", creator=f"u{c}", created_at=T) for f, c in pairs[a:b]]))
    import pyarrow as pa

    def emb():
        step = 100_000
        for a in range(0, N_POSTS, step):
            n = min(step, N_POSTS - a)
            v = rng.standard_normal((n, DIM), dtype=np.float32); v /= np.linalg.norm(v, axis=1, keepdims=True)
            offsets = pa.array(np.arange(0, (n + 1) * DIM, DIM, dtype=np.int32))
            tbl = pa.table({"post_id": [f"sp{i}" for i in range(a, a + n)],
                            "embedding": pa.ListArray.from_arrays(offsets, pa.array(v.ravel()))})

            def write(lake):
                lake.register("synthetic_embeddings", tbl)
                try: lake.execute("INSERT INTO lake.feed_embeddings SELECT post_id, 'random', embedding "
                                  "FROM synthetic_embeddings")
                finally: lake.unregister("synthetic_embeddings")
            st.lake_transaction(write)
    timed("embeddings (random, lake)", emb)
    timed("refresh_features (lake.feed_post_stats)", lambda: feeds.refresh_features(store=st))


if st.scalar(sa.select(sa.func.count()).select_from(posts)) < N_POSTS: load()
else: print(f"reusing the SYNTHETIC load in {data_dir}")

users = [f"u{i}" for i in np.random.default_rng(1).integers(0, N_USERS, args.requests)]
print("feed index")
reset_index()
timed("cold start (posts, lake features, embeddings)", lambda: feed_index(st).sync(st))
timed("first for-you (builds the candidate pool)", lambda: feeds.feed(users[0], "for-you", now=T, store=st))


def pct(xs): return np.percentile(np.array(xs) * 1e3, [50, 95])


BASELINE = {
    "new": """SELECT post_id FROM state.posts ORDER BY created_at DESC, seq DESC LIMIT 50""",
    "following": """SELECT p.post_id FROM state.posts p JOIN state.follows f ON f.creator = p.creator
        WHERE f.follower = $u ORDER BY p.created_at DESC, p.seq DESC LIMIT 50""",
    "trending": """SELECT p.post_id, pow(greatest(0, sum(CASE e.event WHEN 'view' THEN 1 WHEN 'like' THEN 4 WHEN 'comment' THEN 6
            WHEN 'share' THEN 8 WHEN 'skip' THEN -2 ELSE -10 END)), 0.8)
            / pow(date_diff('second', p.created_at, $T) / 3600 + 2, 1.8) AS s
        FROM state.posts p JOIN state.engagement e USING (post_id)
        WHERE p.created_at > $T - INTERVAL 72 HOUR GROUP BY p.post_id, p.created_at ORDER BY s DESC LIMIT 50""",
    "for-you": """WITH c AS (SELECT post_id, sum(CASE event WHEN 'view' THEN 1 WHEN 'like' THEN 4 WHEN 'comment' THEN 6
            WHEN 'share' THEN 8 WHEN 'skip' THEN -2 ELSE -10 END) AS s FROM state.engagement GROUP BY post_id),
        seen AS (SELECT post_id FROM state.engagement WHERE user_id = $u AND event IN ('view', 'skip', 'report'))
        SELECT p.post_id, (1 + greatest(0, coalesce(c.s, 0))) * pow(2, -date_diff('second', p.created_at, $T) / 3600 / 24) AS s
        FROM state.posts p LEFT JOIN c USING (post_id) WHERE p.post_id NOT IN (SELECT post_id FROM seen)
        ORDER BY s DESC LIMIT 50""",
}
# the baseline runs in a child process: DuckDB attaching the SQLite state file must not share a process that writes it
BASELINE_CHILD = """
import json, sys, time
from datetime import datetime
import numpy as np
from fireside_lab import store
queries, users, T = json.loads(sys.argv[1]), json.loads(sys.argv[2]), datetime.fromisoformat(sys.argv[3])
con = store.default().analytics()
out = {}
for kind, sql in queries.items():
    times = []
    for u in users:
        params = {k: v for k, v in dict(u=u, T=T).items() if "$" + k in sql} or None
        t = time.perf_counter(); con.execute(sql, params).fetchall(); times.append(time.perf_counter() - t)
    out[kind] = float(np.median(times) * 1e3)
con.close()
print(json.dumps(out))
"""


def baseline_ms() -> dict:
    "p50 (ms) of each baseline query for 3 viewers, measured in a child process."
    p = subprocess.run([sys.executable, "-c", BASELINE_CHILD, json.dumps(BASELINE), json.dumps(users[:3]),
                        T.replace(tzinfo=None).isoformat()], capture_output=True, text=True, cwd=ROOT)
    if p.returncode != 0: raise RuntimeError(f"baseline child failed: {p.stderr.strip().splitlines()[-1:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


base = baseline_ms()
print(f"latency of one page (50 posts), {args.requests} random viewers, ms   [SYNTHETIC load, embedded store]")
print(f"  machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start (other processes share the cores; "
      "CPU time per request is printed too)")
print(f"  {'feed':<10} {'page-1 p50':>10} {'p95':>8} {'page-2 p50':>11} {'p95':>8} {'CPU p50':>8} {'p95':>7} {'SQL baseline p50':>17} {'ratio':>8}")
for kind in FEEDS:
    t1, t2, c1, cursors = [], [], [], []
    for u in users:
        t, c = time.perf_counter(), time.process_time()
        pg = feeds.feed(u, kind, limit=50, now=T, store=st)
        t1.append(time.perf_counter() - t); c1.append(time.process_time() - c)
        cursors.append((u, pg.cursor))
    for u, c in cursors:
        if c is None: continue
        t = time.perf_counter(); feeds.feed(u, kind, cursor=c, limit=50, now=T, store=st); t2.append(time.perf_counter() - t)
    (a50, a95), (b50, b95), (p50, p95) = pct(t1), (pct(t2) if t2 else (float("nan"),) * 2), pct(c1)
    print(f"  {kind:<10} {a50:10.1f} {a95:8.1f} {b50:11.1f} {b95:8.1f} {p50:8.1f} {p95:7.1f} {base[kind]:17.1f} "
          f"{base[kind] / a50:7.0f}x")
# with writes: one engagement event (a like by a random user on a random post) committed before each request, so every
# request finds new engagement, drops the hot results and re-ranks (the candidate pool is kept)
liked = [f"sp{i}" for i in np.random.default_rng(3).integers(0, N_POSTS, args.requests)]
for kind in ("trending", "for-you"):
    tw, cw = [], []
    for u, p in zip(users, liked):
        feeds.engage(u, p, "like", store=st)
        t, c = time.perf_counter(), time.process_time()
        feeds.feed(u, kind, limit=50, now=T, store=st)
        tw.append(time.perf_counter() - t); cw.append(time.process_time() - c)
    (a50, a95), (p50, p95) = pct(tw), pct(cw)
    print(f"  {kind + '*':<10} {a50:10.1f} {a95:8.1f} {'':>11} {'':>8} {p50:8.1f} {p95:7.1f}   (* one engagement write before each request)")
print(f"  load average {os.getloadavg()[0]:.1f} at the end")
print("goal: for-you p95 < 50 ms on the embedded store")
st.close()
if not args.keep: shutil.rmtree(data_dir, ignore_errors=True)
