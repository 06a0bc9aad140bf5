"""Feeds benchmark on a SYNTHETIC load: latency of one page (50 posts) of each feed on the embedded store.

SYNTHETIC DATA (not real users): 1 M posts by 10 k creators, 10 M engagement events, 100 k users, 1 M follows;
post embeddings are RANDOM unit vectors (384-d), not MiniLM outputs — ranking cost does not depend on their values.
Everything is bulk-loaded through DuckDB (INSERT … SELECT from `range`, Arrow for the embeddings), never row by row.

Measured: p50/p95 of a first page and of a second page (cursor) per feed, for random viewers, with the feed index
warm; the cold start (building the index from the lake features) and the first for-you request (which builds the
candidate pool, rebuilt every FIRESIDE_FEEDS_POOL_CLOCK_S) are printed separately. Rows marked * commit one engagement
event before each request, so every request re-ranks. Baseline, measured in the same run: the same first page computed by one
DuckDB SQL query over the state tables per request (no index, no features) — the ratio is baseline p50 / ours p50.

    .venv/bin/python benchmarks/feeds.py            # full scale (10-15 minutes on 2 busy cores, ~6 GB RAM)
    .venv/bin/python benchmarks/feeds.py --scale 0.01
"""
import argparse, os, shutil, sys, tempfile, time
from datetime import datetime, timedelta
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
data_dir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="feeds-bench-"))
os.environ["FIRESIDE_DATA_DIR"] = str(data_dir)

from fireside_lab import feeds, store  # noqa: E402

T = datetime(2026, 1, 31, 12)
con = store.connect()
clip = str(feeds.samples_dir() / "rabbit-1.mp4"); thumb = str(feeds.samples_dir() / "rabbit-1.jpg")


def timed(label, fn):
    t = time.perf_counter(); out = fn(); dt = time.perf_counter() - t
    print(f"  {label:<46} {dt:8.2f} s"); return out


def load():
    print(f"SYNTHETIC load: {N_POSTS:,} posts, {N_EVENTS:,} events, {N_USERS:,} users, {N_FOLLOWS:,} follows "
          f"(random embeddings) into {data_dir}")
    con.execute("SELECT setseed(0.42)")
    ins = lambda sql, *p: store.transaction(con, lambda c: c.execute(sql, list(p)))
    timed("users", lambda: ins("INSERT INTO state.feed_users SELECT 'u' || range, NULL, ?::TIMESTAMP FROM range(?)", T, N_USERS))
    timed("posts", lambda: ins("""INSERT INTO state.posts (post_id, creator, caption, tags, clip, thumbnail, created_at)
        SELECT 'sp' || range, 'u' || (hash(range) % ?), 'synthetic post ' || range,
               '["t' || (hash(range * 7) % ?) || '", "t' || (hash(range * 13) % ?) || '"]', ?, ?,
               ?::TIMESTAMP - to_microseconds((random() * 30 * 86400e6)::BIGINT)
        FROM range(?)""", N_CREATORS, N_TAGS, N_TAGS, clip, thumb, T, N_POSTS))
    # bulk load: the two secondary indexes of state.engagement are dropped during the insert and rebuilt after it
    # (index DDL on the SQLite file itself; the rows still go through DuckDB)
    import sqlite3
    state_file = store.layout(store.settings_of(con)).state_target
    def ddl(sql):
        c = sqlite3.connect(state_file, timeout=60)
        try: c.executescript(sql)
        finally: c.close()
    ddl("DROP INDEX IF EXISTS engagement_user; DROP INDEX IF EXISTS engagement_post;")
    # event types 70 % view, 15 % like, 3 % comment, 2 % share, 9 % skip, 1 % report; posts Zipf-like (random^3)
    timed("events", lambda: ins("""INSERT INTO state.engagement (user_id, post_id, event, "at")
        SELECT 'u' || (hash(range) % ?), 'sp' || floor(? * pow(random(), 3))::BIGINT,
               CASE WHEN r < .70 THEN 'view' WHEN r < .85 THEN 'like' WHEN r < .88 THEN 'comment'
                    WHEN r < .90 THEN 'share' WHEN r < .99 THEN 'skip' ELSE 'report' END,
               ?::TIMESTAMP - to_microseconds((random() * 30 * 86400e6)::BIGINT)
        FROM (SELECT range, random() AS r FROM range(?))""", N_USERS, N_POSTS, T, N_EVENTS))
    timed("rebuild engagement indexes", lambda: ddl("CREATE INDEX engagement_user ON engagement (user_id, seq); "
                                                    "CREATE INDEX engagement_post ON engagement (post_id);"))
    timed("follows", lambda: ins("""INSERT INTO state.follows SELECT DISTINCT 'u' || (range % ?), 'u' || (hash(range) % ?), ?::TIMESTAMP
        FROM range(?) WHERE range % ? <> hash(range) % ?""", N_USERS, N_CREATORS, T, N_FOLLOWS, N_USERS, N_CREATORS))
    import pyarrow as pa
    rng = np.random.default_rng(0)

    def emb():
        step = 100_000
        for a in range(0, N_POSTS, step):
            n = min(step, N_POSTS - a)
            v = rng.standard_normal((n, DIM), dtype=np.float32); v /= np.linalg.norm(v, axis=1, keepdims=True)
            tbl = pa.table({"post_id": [f"sp{i}" for i in range(a, a + n)],
                            "embedding": pa.ListArray.from_arrays(pa.array(np.arange(0, (n + 1) * DIM, DIM, dtype=np.int32)), pa.array(v.ravel()))})
            con.register("synthetic_embeddings", tbl)
            store.transaction(con, lambda c: c.execute("INSERT INTO lake.feed_embeddings SELECT post_id, 'random', embedding FROM synthetic_embeddings"))
            con.unregister("synthetic_embeddings")
    timed("embeddings (random, lake)", emb)
    timed("refresh_features (lake.feed_post_stats)", lambda: feeds.refresh_features(con))


if store.query(con, "SELECT count(*) FROM state.posts")[0][0] < N_POSTS: load()
else: print(f"reusing the SYNTHETIC load in {data_dir}")

users = [f"u{i}" for i in np.random.default_rng(1).integers(0, N_USERS, args.requests)]
print("feed index")
feeds.reset_index()
timed("cold start (posts, lake features, embeddings)", lambda: feeds._index(con).sync(con))
timed("first for-you (builds the candidate pool)", lambda: feeds.feed(con, users[0], "for-you", now=T))


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
print(f"latency of one page (50 posts), {args.requests} random viewers, ms   [SYNTHETIC load, embedded store]")
print(f"  machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start (other processes share the cores; "
      "CPU time per request is printed too)")
print(f"  {'feed':<10} {'page-1 p50':>10} {'p95':>8} {'page-2 p50':>11} {'p95':>8} {'CPU p50':>8} {'p95':>7} {'SQL baseline p50':>17} {'ratio':>8}")
for kind in feeds.FEEDS:
    t1, t2, c1, cursors = [], [], [], []
    for u in users:
        t, c = time.perf_counter(), time.process_time()
        pg = feeds.feed(con, u, kind, limit=50, now=T)
        t1.append(time.perf_counter() - t); c1.append(time.process_time() - c)
        cursors.append((u, pg.cursor))
    for u, c in cursors:
        if c is None: continue
        t = time.perf_counter(); feeds.feed(con, u, kind, cursor=c, limit=50, now=T); t2.append(time.perf_counter() - t)
    tb = []
    for u in users[:3]:
        t = time.perf_counter(); con.execute(BASELINE[kind], {"u": u, "T": T} if "$u" in BASELINE[kind] and "$T" in BASELINE[kind]
                                             else {"u": u} if "$u" in BASELINE[kind] else {"T": T} if "$T" in BASELINE[kind] else None).fetchall()
        tb.append(time.perf_counter() - t)
    (a50, a95), (b50, b95), (p50, p95) = pct(t1), (pct(t2) if t2 else (float("nan"),) * 2), pct(c1)
    base = np.median(tb) * 1e3
    print(f"  {kind:<10} {a50:10.1f} {a95:8.1f} {b50:11.1f} {b95:8.1f} {p50:8.1f} {p95:7.1f} {base:17.1f} {base / a50:7.0f}x")
# with writes: one engagement event (a like by a random user on a random post) committed before each request, so every
# request finds new engagement, drops the hot results and re-ranks (the candidate pool is kept)
posts = [f"sp{i}" for i in np.random.default_rng(3).integers(0, N_POSTS, args.requests)]
for kind in ("trending", "for-you"):
    tw, cw = [], []
    for u, p in zip(users, posts):
        feeds.engage(con, u, p, "like")
        t, c = time.perf_counter(), time.process_time()
        feeds.feed(con, u, kind, limit=50, now=T)
        tw.append(time.perf_counter() - t); cw.append(time.process_time() - c)
    (a50, a95), (p50, p95) = pct(tw), pct(cw)
    print(f"  {kind + '*':<10} {a50:10.1f} {a95:8.1f} {'':>11} {'':>8} {p50:8.1f} {p95:7.1f}   (* one engagement write before each request)")
print(f"  load average {os.getloadavg()[0]:.1f} at the end")
print("goal: for-you p95 < 50 ms on the embedded store")
if not args.keep: shutil.rmtree(data_dir, ignore_errors=True)
