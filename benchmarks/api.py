"""HTTP API benchmark: ballots/s through the API, the permission-filtered poll list, and what token auth costs.

    .venv/bin/python benchmarks/api.py [--quick] [--clients 8] [--per-client 500] [--polls 10000] [--requests 200]

One server, `fireside-lab serve` (dashboards and API, one Tornado process), is started for the run on a fresh data
dir with write rate limits raised out of the way (FIRESIDE_WEB_WRITE_LIMIT_TOKEN/ADDRESS=100000/second); the data is
prepared in that data dir by this process through the library. Each figure comes with a baseline measured in the same
run, on the same store file, and the ratio (goals from the API issue, "Must show"):
  1. ballots/s of N client processes (8 by default; processes, so the clients' own GIL is not what is measured), each
     with its own token (a viewer holding `run` grants on the polls) and its own keep-alive `http.client` connection,
     each casting its ballots with `POST /api/v1/polls/{poll_id}/ballots` (every answer must be 201), against N voter
     processes calling `polls.vote` directly (as benchmarks/polls.py measures its "8 voters": separate processes
     released at once, ballots/s over the wall span from the first start to the last finish). The direct voters are
     measured before and after the API clients (a busy neighbour shows in both) and averaged.
     Both sides do the same writes: a user may cast one ballot per poll, so each side gets its own set of P polls
     (P = ballots per client) and every client/voter casts exactly one first ballot in each of them (an INSERT of a
     new ballot, the count trigger inside it; no `allow_change` replacement, which would be a failed INSERT plus an
     UPDATE). Each process starts at its own offset in the set so they do not all hit the same poll.
                                                            (goal: >= 1,000 ballots/s and >= 0.5x the direct rate)
  2. `GET /api/v1/polls?limit=50` at 10,000 polls, p50/p95 over sequential keep-alive requests, as a viewer who may
     view ~1 % of them (100 user grants, 20 grants to the viewer role, plus unrelated role grants and the run grants
     of part 1 in the same table), as a researcher (a role grant on every poll) and as an admin, against the library
     call the route makes, `polls.list_polls(visible_to=user, limit=51)` (the route asks one row more to know whether
     a next page exists), in this process. Requests and library calls are interleaved.       (goal: p95 < 50 ms)
  3. what token auth costs: `GET /api/v1/version` (public: it authenticates only when credentials come) without
     credentials against the same with `Authorization: Bearer <token>`, p50 over sequential keep-alive requests
     (interleaved); also an HMAC-signed request (each signature used once: it is stored to refuse replays).
                                                                (goal: bearer - none < 1 ms at p50)
Nothing is asserted on timings; figures are printed, with a "goal" column saying met / NOT met.
"""
from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# An API client process: one keep-alive connection, one token (from the environment), one ballot in each poll.
CLIENT = r"""
import http.client, json, os, sys, time
port, prefix, n, offset = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
ready, start = sys.argv[5:7]
headers = {"Authorization": "Bearer " + os.environ["BENCH_TOKEN"], "Content-Type": "application/json"}
body = b'{"choices": "a"}'
conn = http.client.HTTPConnection("127.0.0.1", port)
def post(poll_id):
    conn.request("POST", f"/api/v1/polls/{poll_id}/ballots", body, headers)
    r = conn.getresponse()
    return r.status, r.read()
status, text = post(prefix + "warm")                 # warm: the connection, and the server's path for this token
if status != 201: sys.exit(f"warm-up ballot answered {status}: {text[:300]!r}")
open(ready, "w").close()
while not os.path.exists(start): time.sleep(0.001)
statuses, first_error = {}, None
t0, c0 = time.time(), time.process_time()
for j in range(n):
    status, text = post(f"{prefix}{(offset + j) % n}")
    statuses[status] = statuses.get(status, 0) + 1
    if status != 201 and first_error is None: first_error = f"{status} {text[:300]!r}"
print(json.dumps({"t0": t0, "t1": time.time(), "cpu": time.process_time() - c0, "n": n, "statuses": statuses,
                  "error": first_error}))
"""

# A direct voter process: `polls.vote` in the same polls layout, as the client does through the API.
VOTER = r"""
import json, os, sys, time
from fireside_lab import polls
prefix, n, offset, ready, start, me = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), *sys.argv[4:7]
polls.vote(prefix + "warm", me, "a")               # warm: imports, the store opened, the ballot statement compiled
open(ready, "w").close()
while not os.path.exists(start): time.sleep(0.001)
t0, c0 = time.time(), time.process_time()
for j in range(n):
    polls.vote(f"{prefix}{(offset + j) % n}", me, "a")
print(json.dumps({"t0": t0, "t1": time.time(), "cpu": time.process_time() - c0, "n": n, "statuses": {"201": n},
                  "error": None}))
"""

SYNCHRONOUS = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}
HEAD = f"{'figure':64} {'value':>14} {'baseline':>14} {'ratio':>7}  goal"


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q / 100 * (len(xs) - 1))))]


def met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def row(label: str, value: str, baseline: str, ratio: str, goal: str):
    print(f"{label:64} {value:>14} {baseline:>14} {ratio:>7}  {goal}")


# --- the server ------------------------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    "`fireside-lab serve` on a free port of 127.0.0.1, in its own process group, output in `<data dir>/server.log`."
    def __init__(self, data: Path):
        self.port, self.log = _free_port(), data / "server.log"
        env = dict(os.environ, FIRESIDE_DATA_DIR=str(data), FIRESIDE_WEB_WRITE_LIMIT_TOKEN="100000/second",
                   FIRESIDE_WEB_WRITE_LIMIT_ADDRESS="100000/second", PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "fireside-lab"), "serve", "--port", str(self.port),
                                      "--address", "127.0.0.1"], env=env, cwd=ROOT, start_new_session=True,
                                     stdout=self.log.open("w"), stderr=subprocess.STDOUT)

    def wait_up(self, timeout: float = 180) -> float:
        "Wait until `GET /livez` answers 200; returns the seconds it took."
        t0 = time.time()
        while time.time() - t0 < timeout:
            if self.proc.poll() is not None:
                raise SystemExit(f"the server exited ({self.proc.returncode}):\n{self.log.read_text()[-3000:]}")
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                c.request("GET", "/livez")
                if c.getresponse().status == 200: return time.time() - t0
            except OSError: pass
            time.sleep(0.2)
        raise SystemExit(f"the server did not answer /livez in {timeout} s:\n{self.log.read_text()[-3000:]}")

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def stop(self):
        "Terminate the server's process group (SIGTERM, then SIGKILL after 10 s)."
        if self.proc.poll() is not None: return
        try: os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError: return
        try: self.proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def problems(self) -> list[str]:
        "Lines of the server's log that report an error (tracebacks, ERROR, `failed`)."
        lines = self.log.read_text(errors="replace").splitlines()
        return [x for x in lines if any(w in x for w in ("Traceback", "ERROR", "Error", " failed", "Exception"))]


def _get(conn: http.client.HTTPConnection, path: str, headers: dict | None = None) -> tuple[int, bytes, float]:
    "(status, body, seconds) of one GET on a keep-alive connection."
    t = time.perf_counter()
    conn.request("GET", path, headers=headers or {})
    r = conn.getresponse()
    body = r.read()
    return r.status, body, time.perf_counter() - t


# --- data, through the library ---------------------------------------------------------------------------------------

def _new_poll(poll_id: str, created_at: dt.datetime, options=("a", "b", "c")):
    from fireside_lab.polls.definitions import Poll
    return Poll(poll_id=poll_id, question=f"bench {poll_id}?", options=tuple(options), kind="single", privacy="none",
                privacy_p=None, epsilon=None, allow_change=False, voters=None, opens_at=None, closes_at=None,
                closed=False, creator="bench", created_at=created_at)


def _insert_polls(st, polls_: list):
    "Write many polls (and their zeroed counts) with the library's `insert_poll`, in one state transaction."
    from fireside_lab.polls.definitions import insert_poll

    def write(conn):
        for p in polls_: insert_poll(conn, p)
    st.transaction(write)


def _grant_many(st, rows: list[tuple]):
    """Object grants (subject_kind, subject, action, object_type, object_id) in one transaction: the rows
    `identity.grant` writes, without an audit entry each (thousands of one-grant transactions would take minutes)."""
    from fireside_lab.identity.tables import grants
    from fireside_lab.store import utcnow
    now = utcnow()
    with st.begin() as conn:
        conn.execute(grants.insert(), [dict(subject_kind=k, subject=s, action=a, object_type=t, object_id=o,
                                            granted_by="bench", granted_at=now) for k, s, a, t, o in rows])


def _user_with_token(user_id: str, role: str) -> str:
    from fireside_lab import identity
    identity.add_user(user_id, role, None, actor="bench")
    return identity.create_token(user_id, actor="bench").token


# --- 1. ballots ------------------------------------------------------------------------------------------------------

def _processes(code: str, argv_of, env_of, procs: int) -> tuple[float, int, dict, list, float, float]:
    """Start `procs` processes running `code` (argv from `argv_of(i, ready, start)`, environment from `env_of(i)`),
    wait until each is warm (it creates its ready file), release them at once: (ballots/s over the wall span from the
    first start to the last finish, ballots, answers by status, first errors, the span in s, the CPU seconds the
    processes used in their timed loops)."""
    tmp = Path(tempfile.mkdtemp(prefix="fireside-bench-api-go-"))
    start = tmp / "start"
    ps = [subprocess.Popen([sys.executable, "-c", code, *argv_of(i, str(tmp / f"ready-{i}"), str(start))],
                           env=env_of(i), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
          for i in range(procs)]
    t0 = time.time()
    while len(list(tmp.glob("ready-*"))) < procs:
        if any(p.poll() is not None for p in ps) or time.time() - t0 > 300:
            bad = next((p for p in ps if p.poll() is not None), ps[0])
            for p in ps: p.kill()
            raise SystemExit(f"a ballot process failed before the start:\n{bad.communicate()[1][-3000:]}")
        time.sleep(0.01)
    start.touch()
    res = []
    for p in ps:
        out, err = p.communicate(timeout=900)
        if p.returncode: raise SystemExit(f"a ballot process failed:\n{err[-3000:]}")
        res.append(json.loads(out.strip().splitlines()[-1]))
    shutil.rmtree(tmp, ignore_errors=True)
    span = max(r["t1"] for r in res) - min(r["t0"] for r in res)
    statuses: dict = {}
    for r in res:
        for s, k in r["statuses"].items(): statuses[str(s)] = statuses.get(str(s), 0) + k
    n = sum(r["n"] for r in res)
    return n / span, n, statuses, [r["error"] for r in res if r["error"]], span, sum(r["cpu"] for r in res)


def _cpu(pid: int) -> float:
    "CPU seconds (user + system) used so far by process `pid`."
    import psutil
    return sum(psutil.Process(pid).cpu_times()[:2])


def ballots(a, server: Server, env: dict):
    from fireside_lab import store
    st = store.default()
    n, procs = a.per_client, a.clients
    base = store.utcnow() - dt.timedelta(days=30)
    sets = ("api-", "lib1-", "lib2-")      # the API clients' polls; the direct voters' before and after them
    _insert_polls(st, [_new_poll(f"{s}{j}", base) for s in sets for j in [*range(n), "warm"]])
    tokens = [_user_with_token(f"client-{i}", "viewer") for i in range(procs)]
    _grant_many(st, [("user", f"client-{i}", "run", "poll", f"api-{j}") for i in range(procs)
                     for j in [*range(n), "warm"]])

    def direct(prefix):
        return _processes(VOTER, lambda i, ready, start: [prefix, str(n), str(i * n // procs), ready, start,
                                                          f"client-{i}"], lambda i: env, procs)
    lib1, _, _, _, _, lib_cpu1 = direct("lib1-")
    server_cpu = _cpu(server.proc.pid)
    api, n_api, statuses, errors, span, client_cpu = _processes(
        CLIENT, lambda i, ready, start: [str(server.port), "api-", str(n), str(i * n // procs), ready, start],
        lambda i: dict(env, BENCH_TOKEN=tokens[i]), procs)
    server_cpu = _cpu(server.proc.pid) - server_cpu
    lib2, n_lib, _, _, _, lib_cpu2 = direct("lib2-")
    lib = (lib1 + lib2) / 2
    from fireside_lab import polls
    stored = sum(polls.report(f"api-{j}").n for j in range(n))
    answers = ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items()))
    print(f"  ballots: {procs} client processes x {n} ballots (one in each of {n} polls); answers {answers}; "
          f"{stored} ballots stored by the API" + (f"; first refusals: {errors[:3]}" if errors else ""))
    ok = statuses == {"201": n_api} and stored == n_api
    row(f"ballots/s, {procs} API client processes ({n_api} ballots{', all 201' if ok else ', NOT all 201'})",
        f"{api:,.0f}/s", f"{lib:,.0f}/s", f"{api / lib:.2f}x",
        f">= 1,000/s and >= 0.5x -> {met(ok and api >= 1000 and api / lib >= 0.5)}")
    print(f"  baseline: {procs} processes calling polls.vote directly, {n_lib} ballots each time: "
          f"{lib1:,.0f}/s before the API clients, {lib2:,.0f}/s after")
    print(f"  CPU per ballot: API server {1e3 * server_cpu / n_api:.2f} ms (busy {server_cpu / span:.0%} of the "
          f"{span:.1f} s, one process) + clients {1e3 * client_cpu / n_api:.2f} ms; direct voters "
          f"{1e3 * (lib_cpu1 + lib_cpu2) / (2 * n_lib):.2f} ms")


# --- 2. the permission-filtered list ---------------------------------------------------------------------------------

def poll_list(a, server: Server, tokens: dict):
    from fireside_lab import identity, polls, store
    from fireside_lab.polls.tables import polls as polls_table
    import sqlalchemy as sa
    st = store.default()
    n = a.polls
    now = store.utcnow()
    t = time.perf_counter()
    _insert_polls(st, [_new_poll(f"list-{i:05d}", now - dt.timedelta(seconds=i), ("yes", "no")) for i in range(n)])
    load = time.perf_counter() - t
    step = 100                                           # ~1 %: the viewer's own grants, spread over all the polls
    mine = {f"list-{i:05d}" for i in range(37, n, step)}
    team = {f"list-{i:05d}" for i in range(11, n, n // 20)}   # 20 polls granted to the viewer role
    _grant_many(st, [("user", "viewer-1", "view", "poll", p) for p in sorted(mine)]
                + [("role", "viewer", "view", "poll", p) for p in sorted(team)])
    identity.grant("role:viewer", "view", "run", actor="bench")             # unrelated role grants, as in a real store
    identity.grant("role:reviewer", "view", "poll", actor="bench")
    identity.grant("role:researcher", "view", "poll", actor="bench")        # the researcher sees every poll
    total = st.scalar(sa.select(sa.func.count()).select_from(polls_table))
    from fireside_lab.identity.tables import grants
    n_grants = st.scalar(sa.select(sa.func.count()).select_from(grants))
    users = {u: identity.get_user(u) for u in tokens}
    conns = {u: server.connection() for u in tokens}
    api: dict = {u: [] for u in tokens}
    lib: dict = {u: [] for u in tokens}
    path = "/api/v1/polls?limit=50"
    for u in tokens:                                      # warm, and check the pages against the library's
        status, body, _ = _get(conns[u], path, {"Authorization": f"Bearer {tokens[u]}"})
        if status != 200: raise SystemExit(f"GET {path} as {u} answered {status}: {body[:300]!r}")
        got = [p["poll_id"] for p in json.loads(body)["polls"]]
        want = polls.list_polls(visible_to=users[u], limit=51)["poll_id"].tolist()[:50]
        if got != want: raise SystemExit(f"GET {path} as {u}: the page differs from polls.list_polls")
        if u.startswith("viewer") and not set(got) <= mine | team: raise SystemExit("viewer: an ungranted poll")
    bad = 0
    for _ in range(a.requests):
        for u in tokens:
            status, _, s = _get(conns[u], path, {"Authorization": f"Bearer {tokens[u]}"})
            bad += status != 200
            api[u].append(s)
            t = time.perf_counter()
            polls.list_polls(visible_to=users[u], limit=51)
            lib[u].append(time.perf_counter() - t)
    print(f"  list: {total:,} polls in the store ({n:,} loaded for this in {load:.1f} s, one transaction), "
          f"{n_grants:,} grants; viewer-1 may view {len(mine)} polls by user grants + {len(team)} by role grants; "
          f"{a.requests} requests per user, interleaved with the library calls"
          + (f"; {bad} answers were not 200" if bad else ""))
    for u, who in (("viewer-1", f"viewer, {len(mine) + len(team)} of {total:,} visible"),
                   ("researcher-1", "researcher, role grant on *"), ("admin-1", "admin, sees all")):
        p50, p95, l50, l95 = (1e3 * pct(xs, q) for xs, q in ((api[u], 50), (api[u], 95), (lib[u], 50), (lib[u], 95)))
        row(f"GET /api/v1/polls?limit=50 p50/p95 ms, {who}", f"{p50:.1f} / {p95:.1f}", f"{l50:.1f} / {l95:.1f}",
            f"{p95 / l95:.2f}x", f"p95 < 50 ms -> {met(p95 < 50 and not bad)}")
    print("  baseline: polls.list_polls(visible_to=user, limit=51) in this process; ratio of the p95s")


# --- 3. token auth ---------------------------------------------------------------------------------------------------

def auth_cost(a, server: Server, new_token):
    from fireside_lab.identity import signature
    conns = {k: server.connection() for k in ("none", "bearer", "signed")}
    bearer = {"Authorization": f"Bearer {new_token.token}"}
    times: dict = {k: [] for k in conns}
    refused: dict = {k: 0 for k in conns}

    def signed(i: int) -> tuple[str, dict]:
        p, ts = f"/api/v1/version?n={i}", str(int(time.time()))
        return p, {"X-Fireside-Key": new_token.token_id, "X-Fireside-Timestamp": ts,
                   "X-Fireside-Signature": signature(new_token.signing_key, "GET", p, ts, b"")}
    for i in range(-20, a.auth_requests):                # the first 20: warm
        for k in conns:
            if k == "signed" and i % a.signed_every: continue
            p, h = signed(i) if k == "signed" else ("/api/v1/version", bearer if k == "bearer" else {})
            status, body, s = _get(conns[k], p, h)
            if status != 200 or (k != "none" and json.loads(body)["user"] != new_token.user_id): refused[k] += 1
            if i >= 0: times[k].append(s)
    none, bear, sig = (1e3 * pct(times[k], 50) for k in ("none", "bearer", "signed"))
    if any(refused.values()): print(f"  auth: answers that were not 200 as the right user: {refused}")
    row(f"GET /api/v1/version p50 ms, bearer token vs none ({len(times['bearer'])} each)", f"{bear:.2f}",
        f"{none:.2f}", f"{bear / none:.2f}x",
        f"bearer - none < 1 ms -> {met(bear - none < 1 and not refused['bearer'])} (+{bear - none:.2f} ms)")
    row(f"GET /api/v1/version p50 ms, HMAC-signed vs none ({len(times['signed'])} signed)", f"{sig:.2f}",
        f"{none:.2f}", f"{sig / none:.2f}x", f"no goal (+{sig - none:.2f} ms: a write per request, replay record)")
    print(f"  p95 ms: none {1e3 * pct(times['none'], 95):.2f}, bearer {1e3 * pct(times['bearer'], 95):.2f}, "
          f"signed {1e3 * pct(times['signed'], 95):.2f}; sequential requests on keep-alive connections, interleaved")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small counts, to check that it works")
    ap.add_argument("--clients", type=int, default=8, help="concurrent API client processes (and direct voters)")
    ap.add_argument("--per-client", type=int, default=None, help="ballots per client (default 500; quick 40)")
    ap.add_argument("--polls", type=int, default=None, help="polls in the listed store (default 10,000; quick 2,000)")
    ap.add_argument("--requests", type=int, default=None, help="timed list requests per user (default 250; quick 30)")
    ap.add_argument("--auth-requests", type=int, default=None, help="timed /version requests each (default 1,500)")
    ap.add_argument("--signed-every", type=int, default=3, help="send a signed request every k-th round")
    a = ap.parse_args()
    a.per_client = a.per_client or (40 if a.quick else 500)
    a.polls = a.polls or (2000 if a.quick else 10_000)
    a.requests = a.requests or (30 if a.quick else 250)
    a.auth_requests = a.auth_requests or (200 if a.quick else 1500)

    data = Path(tempfile.mkdtemp(prefix="fireside-bench-api-"))
    os.environ["FIRESIDE_DATA_DIR"] = str(data)
    from fireside_lab import config, identity, store
    config.reset_settings()
    store.reset_default()
    st = store.default()
    tokens = {u: _user_with_token(u, role) for u, role in (("viewer-1", "viewer"), ("researcher-1", "researcher"),
                                                           ("admin-1", "admin"))}
    new_token = identity.create_token("researcher-1", "signed", actor="bench")
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    server = Server(data)
    try:
        up = server.wait_up()
        sync = st.scalar(__import__("sqlalchemy").text("PRAGMA synchronous"))
        print(f"api benchmark{' (--quick)' if a.quick else ''}: fireside-lab serve (one Tornado process) on "
              f"127.0.0.1:{server.port}, up in {up:.1f} s; {os.cpu_count()} CPUs")
        print(f"  store: {data}, {st!r}, synchronous = {SYNCHRONOUS.get(sync, sync)}")
        print(HEAD)
        ballots(a, server, env)
        poll_list(a, server, tokens)
        auth_cost(a, server, new_token)
    finally:
        server.stop()
    problems = server.problems()
    print(f"server log ({server.log}): {len(problems)} error lines" + ("".join(f"\n  {x[:200]}" for x in problems[:10])
                                                                      if problems else ""))


if __name__ == "__main__":
    main()
