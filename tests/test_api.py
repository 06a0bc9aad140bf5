"""The HTTP API against a real `fireside-lab serve` process on loopback, called with a real HTTP client (`requests`).

One server per module (started once, stopped with its process group at the end), on a data dir of its own; the test
process prepares users, tokens, grants and polls with the library, on the same SQLite store. Every test uses its own
user and token, so the per-token write limit of one test never spills into another; sign-in tests each come from their
own loopback source address (127.0.0.x), since the sign-in limit counts per client address.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from browser import free_port
from conftest import ROOT

LOGIN_LIMIT = 5            # per minute, per client address
WRITE_LIMIT = 30           # per minute, per token
MAX_BODY = 4096
ALLOWED_ORIGIN = "https://allowed.example"
PASSWORD = "correct horse battery"
ACTOR = "test:api"


@dataclass
class Server:
    base: str
    log: Path
    proc: subprocess.Popen

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A `fireside-lab serve` process on a free loopback port, with low limits; the test process shares its data dir."""
    from fireside_lab import store
    from fireside_lab.config import reset_settings
    tmp = tmp_path_factory.mktemp("api")
    data = tmp / "data"
    mp = pytest.MonkeyPatch()
    mp.setenv("FIRESIDE_DATA_DIR", str(data))
    reset_settings()
    store.reset_default()
    store.default()                     # create and migrate the store here, before the server opens it
    port = free_port()
    env = dict(os.environ, PYTHONUNBUFFERED="1", FIRESIDE_DATA_DIR=str(data),
               FIRESIDE_WEB_LOGIN_LIMIT=f"{LOGIN_LIMIT}/minute",
               FIRESIDE_WEB_WRITE_LIMIT_TOKEN=f"{WRITE_LIMIT}/minute",
               FIRESIDE_WEB_MAX_BODY_BYTES=str(MAX_BODY),
               # the JSON form: the documented comma-separated form does not load (see test_cors_origins_comma_form)
               FIRESIDE_WEB_CORS_ORIGINS=ALLOWED_ORIGIN,
               FIRESIDE_JOBS_IMPORTS="jobs_tasks",
               PYTHONPATH=os.pathsep.join(p for p in [str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")] if p))
    log = tmp / "server.log"
    f = open(log, "w")
    cmd = [sys.executable, "-c", "from fireside_lab.cli import main; main()",       # `-m fireside_lab.cli` runs nothing
           "serve", "--port", str(port), "--address", "127.0.0.1"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=f, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        t0 = time.time()
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                if requests.get(base + "/livez", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.time() - t0 > 60:
                raise TimeoutError(f"server did not answer within 60 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield Server(base, log, proc)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        f.close()
        mp.undo()
        store.reset_default()
        reset_settings()


# ------------------------------------------------------------------------------------------------------------ helpers
_N = itertools.count(1)


def new_user(role: str = "researcher", *, password: str | None = None, scopes=None, expires_in=None):
    "A fresh account of `role` and a token of its own: (user_id, NewToken)."
    from fireside_lab import identity
    uid = f"{role}-{next(_N)}-{os.getpid()}"
    identity.add_user(uid, role, password, actor=ACTOR)
    kw = {"scopes": scopes} if scopes is not None else {}
    tok = identity.create_token(uid, "test", expires_in=expires_in, actor=ACTOR, **kw)
    return uid, tok


def new_poll(options=("A", "B", "C"), **kw) -> str:
    from fireside_lab import polls
    return polls.create_poll("Which one?", list(options), creator=ACTOR, **kw).poll_id


def poll_count() -> int:
    from fireside_lab import store
    from fireside_lab.polls.tables import polls
    return store.default().scalar(sa.select(sa.func.count()).select_from(polls))


def ballot_count(poll_id: str) -> int:
    from fireside_lab import store
    from fireside_lab.polls.tables import ballots
    return store.default().scalar(sa.select(sa.func.count()).select_from(ballots).where(ballots.c.poll_id == poll_id))


def bearer(tok) -> dict:
    return {"Authorization": f"Bearer {tok.token if hasattr(tok, 'token') else tok}"}


def api(server: Server, method: str, path: str, tok=None, *, headers=None, **kw) -> requests.Response:
    h = dict(bearer(tok) if tok is not None else {}, **(headers or {}))
    return requests.request(method, server.url("/api/v1" + path), headers=h, timeout=30, allow_redirects=False, **kw)


def assert_error(r: requests.Response, status: int, code: str, field: str | None = None) -> dict:
    "`r` is a refusal with `status` and error `code` (and `field`, when given); returns the error object."
    assert r.status_code == status, (r.status_code, r.text[:500])
    assert r.headers["Content-Type"].startswith("application/json"), r.headers
    err = r.json()["error"]
    assert err["code"] == code, err
    assert isinstance(err["message"], str) and err["message"], err
    if field is not None:
        assert err.get("field") == field, err
    return err


class SourceAddressAdapter(requests.adapters.HTTPAdapter):
    "Connect from a given local address (e.g. 127.0.0.7): the server sees another client address."
    def __init__(self, address: str, **kw):
        self._address = address
        super().__init__(**kw)

    def init_poolmanager(self, *args, **kw):
        kw["source_address"] = (self._address, 0)
        super().init_poolmanager(*args, **kw)


_ADDR = itertools.count(11)


def client_from_new_address() -> requests.Session:
    "A session whose connections come from a loopback address no other test uses."
    s = requests.Session()
    s.mount("http://", SourceAddressAdapter(f"127.0.0.{next(_ADDR)}"))
    return s


def login(s: requests.Session, server: Server, user: str, password: str, next_: str = "/polls"):
    return s.post(server.url("/login"), data={"username": user, "password": password, "next": next_},
                  allow_redirects=False, timeout=30)


# ------------------------------------------------------------------------------------------------------- authentication
def test_no_credentials_is_401_with_www_authenticate(server):
    before = poll_count()
    r = api(server, "POST", "/polls", json={"question": "Q?", "options": ["A", "B"]})
    assert_error(r, 401, "unauthenticated")
    assert r.headers["WWW-Authenticate"] == "Bearer"
    assert poll_count() == before


@pytest.mark.parametrize("auth, why", [("Bearer not-a-token", "malformed token"),
                                       ("Bearer fsl_0123456789abcdef_short", "malformed token"),
                                       ("Basic dXNlcjpwYXNz", "Bearer <token>"),
                                       ("Bearer " + "fsl_0123456789abcdef_" + "A" * 43, "unknown token")])
def test_malformed_or_unknown_token_is_401(server, auth, why):
    before = poll_count()
    r = api(server, "POST", "/polls", headers={"Authorization": auth}, json={"question": "Q?", "options": ["A", "B"]})
    err = assert_error(r, 401, "unauthenticated")
    assert why in err["message"]
    assert "A" * 43 not in err["message"]                # never the secret
    assert poll_count() == before


def test_wrong_secret_of_a_real_token_is_401(server):
    _, tok = new_user()
    forged = tok.token[:-4] + ("AAAA" if not tok.token.endswith("AAAA") else "BBBB")
    before = poll_count()
    r = api(server, "POST", "/polls", forged, json={"question": "Q?", "options": ["A", "B"]})
    assert "unknown token" in assert_error(r, 401, "unauthenticated")["message"]
    assert poll_count() == before


def test_expired_token_is_401(server):
    _, tok = new_user(expires_in=dt.timedelta(seconds=1))
    while dt.datetime.now(dt.timezone.utc) <= tok.expires_at + dt.timedelta(milliseconds=100):
        time.sleep(0.1)
    before = poll_count()
    r = api(server, "POST", "/polls", tok, json={"question": "Q?", "options": ["A", "B"]})
    assert "expired" in assert_error(r, 401, "unauthenticated")["message"]
    assert poll_count() == before


def test_revoked_token_is_401(server):
    from fireside_lab import identity
    uid, tok = new_user()
    assert api(server, "GET", "/version", tok).json()["user"] == uid     # works before
    assert identity.revoke_token(tok.token_id, actor=ACTOR) is True
    before = poll_count()
    r = api(server, "POST", "/polls", tok, json={"question": "Q?", "options": ["A", "B"]})
    assert "revoked" in assert_error(r, 401, "unauthenticated")["message"]
    assert poll_count() == before


def test_token_of_disabled_account_is_401(server):
    from fireside_lab import identity
    uid, tok = new_user()
    identity.set_disabled(uid, True, actor=ACTOR)
    before = poll_count()
    r = api(server, "POST", "/polls", tok, json={"question": "Q?", "options": ["A", "B"]})
    assert "disabled" in assert_error(r, 401, "unauthenticated")["message"]
    assert poll_count() == before


def test_version_names_the_caller(server):
    uid, tok = new_user("reviewer")
    body = api(server, "GET", "/version", tok).json()
    assert (body["user"], body["role"]) == (uid, "reviewer")
    anon = api(server, "GET", "/version").json()
    assert anon["user"] is None and anon["version"]


# ------------------------------------------------------------------------------------------------------ permissions
def test_viewer_cannot_create_a_poll(server):
    _, tok = new_user("viewer")
    before = poll_count()
    r = api(server, "POST", "/polls", tok, json={"question": "Q?", "options": ["A", "B"]})
    assert_error(r, 403, "forbidden")
    assert poll_count() == before


def test_viewer_votes_only_after_a_run_grant(server):
    from fireside_lab import identity
    uid, tok = new_user("viewer")
    pid = new_poll()
    r = api(server, "POST", f"/polls/{pid}/ballots", tok, json={"choices": "A"})
    assert_error(r, 403, "forbidden")
    assert ballot_count(pid) == 0
    assert identity.grant(f"user:{uid}", "run", "poll", pid, actor=ACTOR) is True
    r = api(server, "POST", f"/polls/{pid}/ballots", tok, json={"choices": "A"})
    assert r.status_code == 201, r.text
    receipt = r.json()
    assert receipt["poll_id"] == pid and receipt["voter"] == uid and receipt["replaced"] is False
    assert "choices" not in receipt                      # a receipt never carries the choices
    assert ballot_count(pid) == 1


def test_view_scoped_token_cannot_vote(server):
    uid, tok = new_user("researcher", scopes=("view",))
    pid = new_poll()
    assert api(server, "GET", f"/polls/{pid}", tok).status_code == 200            # viewing is in scope
    r = api(server, "POST", f"/polls/{pid}/ballots", tok, json={"choices": "A"})
    assert_error(r, 403, "forbidden")
    assert ballot_count(pid) == 0
    r = api(server, "POST", "/polls", tok, json={"question": "Q?", "options": ["A", "B"]})
    assert_error(r, 403, "forbidden")


# ----------------------------------------------------------------------------------------------------------- polls
def test_create_poll_201_creator_is_token_user(server):
    from fireside_lab import polls
    uid, tok = new_user()
    before = poll_count()
    r = api(server, "POST", "/polls", tok, json={"question": "Tea or coffee?", "options": ["tea", "coffee"]})
    assert r.status_code == 201, r.text
    p = r.json()
    assert p["creator"] == uid
    assert p["options"] == ["tea", "coffee"] and p["status"] == "open" and p["ballots"] == 0
    assert poll_count() == before + 1
    assert polls.get_poll(p["poll_id"]).creator == uid                         # as stored
    got = api(server, "GET", f"/polls/{p['poll_id']}", tok)
    assert got.status_code == 200 and got.json()["creator"] == uid
    listed = api(server, "GET", "/polls", tok, params={"limit": 500})
    assert listed.status_code == 200
    item = next(q for q in listed.json()["polls"] if q["poll_id"] == p["poll_id"])
    assert item["creator"] == uid and item["options"] == 2 and item["allow_change"] is False


def test_second_ballot_is_409_duplicate(server):
    uid, tok = new_user()
    pid = new_poll()
    assert api(server, "POST", f"/polls/{pid}/ballots", tok, json={"choices": "B"}).status_code == 201
    assert_error(api(server, "POST", f"/polls/{pid}/ballots", tok, json={"choices": "C"}), 409, "duplicate_ballot")
    assert ballot_count(pid) == 1
    rep = api(server, "GET", f"/polls/{pid}/report", tok)
    assert rep.status_code == 200 and rep.json()["n"] == 1
    assert {o["option"]: o["count"] for o in rep.json()["options"]} == {"A": 0, "B": 1, "C": 0}


def test_ballot_after_close_is_409_poll_closed(server):
    uid, tok = new_user()
    r = api(server, "POST", "/polls", tok, json={"question": "Q?", "options": ["A", "B"]})
    pid = r.json()["poll_id"]
    closed = api(server, "POST", f"/polls/{pid}/close", tok)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert_error(api(server, "POST", f"/polls/{pid}/ballots", tok, json={"choices": "A"}), 409, "poll_closed")
    assert ballot_count(pid) == 0


# ------------------------------------------------------------------------------------------------------ validation
def test_422_one_option_names_body_options(server):
    _, tok = new_user()
    before = poll_count()
    r = api(server, "POST", "/polls", tok, json={"question": "Q?", "options": ["only"]})
    err = assert_error(r, 422, "invalid", "body.options")
    assert "body.options" in err["message"]
    assert poll_count() == before


def test_422_unknown_field_is_named(server):
    _, tok = new_user()
    before = poll_count()
    r = api(server, "POST", "/polls", tok, json={"question": "Q?", "options": ["A", "B"], "colour": "red"})
    assert_error(r, 422, "invalid", "body.colour")
    assert poll_count() == before


def test_422_bad_choice_names_option(server):
    _, tok = new_user()
    pid = new_poll()
    r = api(server, "POST", f"/polls/{pid}/ballots", tok, json={"choices": "Z"})
    err = assert_error(r, 422, "invalid")
    assert "option" in err["field"], err
    assert ballot_count(pid) == 0


def test_422_query_limit_zero(server):
    _, tok = new_user()
    assert_error(api(server, "GET", "/polls", tok, params={"limit": 0}), 422, "invalid", "query.limit")
    assert_error(api(server, "GET", "/polls", tok, params={"bogus": 1}), 422, "invalid", "query.bogus")


def test_400_bad_json(server):
    _, tok = new_user()
    before = poll_count()
    r = api(server, "POST", "/polls", tok, data=b"{not json", headers={"Content-Type": "application/json"})
    assert_error(r, 400, "bad_json")
    r = api(server, "POST", "/polls", tok, data=b"[1, 2]", headers={"Content-Type": "application/json"})
    assert_error(r, 400, "bad_json")
    assert poll_count() == before


def test_413_body_too_large(server):
    _, tok = new_user()
    before = poll_count()
    big = json.dumps({"question": "Q" * (MAX_BODY + 10), "options": ["A", "B"]}).encode()
    r = api(server, "POST", "/polls", tok, data=big, headers={"Content-Type": "application/json"})
    assert_error(r, 413, "body_too_large")
    assert poll_count() == before


def test_404_unknown_route_and_unknown_poll(server):
    _, tok = new_user()
    assert_error(api(server, "GET", "/nope", tok), 404, "unknown_route")
    assert_error(api(server, "GET", "/nope"), 404, "unknown_route")
    r = requests.get(server.url("/api/v2/polls"), timeout=10)        # outside /api/v1/: still a JSON 404
    assert_error(r, 404, "unknown_route")
    assert_error(api(server, "GET", "/polls/no-such-poll", tok), 404, "not_found")
    assert_error(api(server, "POST", "/polls/no-such-poll/ballots", tok, json={"choices": "A"}), 404, "not_found")


def test_405_wrong_method(server):
    _, tok = new_user()
    r = api(server, "DELETE", "/polls", tok)
    assert_error(r, 405, "method_not_allowed")
    assert r.headers["Allow"] == "GET, POST"
    pid = new_poll()
    r = api(server, "PUT", f"/polls/{pid}/ballots", tok, json={"choices": "A"})
    assert_error(r, 405, "method_not_allowed")
    assert r.headers["Allow"] == "POST"


# ------------------------------------------------------------------------------------------------------ rate limits
def test_429_writes_per_token_with_retry_after(server):
    _, tok = new_user()
    _, other = new_user()
    for i in range(WRITE_LIMIT):
        r = api(server, "POST", "/polls", tok, json={})               # 422, but counted: the limit comes first
        assert r.status_code == 422, (i, r.status_code, r.text)
    r = api(server, "POST", "/polls", tok, json={"question": "Q?", "options": ["A", "B"]})
    assert_error(r, 429, "rate_limited")
    assert int(r.headers["Retry-After"]) >= 1
    # reads are not writes, and another token has its own budget
    assert api(server, "GET", "/polls", tok).status_code == 200
    assert api(server, "POST", "/polls", other, json={"question": "Q?", "options": ["A", "B"]}).status_code == 201


# ------------------------------------------------------------------------------------------------------- sign-in
def test_login_refusals_are_401_with_one_message(server):
    from fireside_lab import identity
    uid = f"login-{next(_N)}"
    identity.add_user(uid, "viewer", PASSWORD, actor=ACTOR)
    off = f"login-off-{next(_N)}"
    identity.add_user(off, "viewer", PASSWORD, actor=ACTOR)
    identity.set_disabled(off, True, actor=ACTOR)
    s = client_from_new_address()
    pages = []
    for user, pw in ((uid, "wrong password!"), (f"nobody-{next(_N)}", PASSWORD), (off, PASSWORD)):
        r = login(s, server, user, pw)
        assert r.status_code == 401, (user, r.status_code)
        assert "fireside_session" not in r.cookies
        assert "Wrong user name or password." in r.text
        pages.append(r.text)
    assert pages[0] == pages[1] == pages[2]                       # no hint which one was wrong


def test_good_login_sets_http_only_cookie_and_opens_dashboards(server):
    from fireside_lab import identity
    uid = f"login-{next(_N)}"
    identity.add_user(uid, "researcher", PASSWORD, actor=ACTOR)
    anon = requests.get(server.url("/polls"), allow_redirects=False, timeout=30)
    assert anon.status_code == 302 and "/login" in anon.headers["Location"].replace("./login", "/login")
    s = client_from_new_address()
    r = login(s, server, uid, PASSWORD, "/polls")
    assert r.status_code == 302, r.text[:300]
    assert r.headers["Location"] == "/polls"
    set_cookie = r.headers["Set-Cookie"]
    assert set_cookie.startswith("fireside_session="), set_cookie
    assert "httponly" in set_cookie.lower()
    assert "fireside_session" in s.cookies
    page = s.get(server.url("/polls"), allow_redirects=False, timeout=60)
    assert page.status_code == 200, (page.status_code, page.headers.get("Location"))
    # the cookie is for the dashboards: the API takes no cookies
    assert_error(s.post(server.url("/api/v1/polls"), json={"question": "Q?", "options": ["A", "B"]}, timeout=30),
                 401, "unauthenticated")


def test_login_rate_limit_counts_failures_429_with_retry_after(server):
    from fireside_lab import identity
    uid = f"login-{next(_N)}"
    identity.add_user(uid, "viewer", PASSWORD, actor=ACTOR)
    s = client_from_new_address()
    for i in range(LOGIN_LIMIT):
        assert login(s, server, uid, f"wrong-{i}-password").status_code == 401
    r = login(s, server, uid, "wrong again password")
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) >= 1
    r = login(s, server, uid, PASSWORD)                             # the failures used up the budget
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    assert "fireside_session" not in r.cookies
    # another address is not limited
    ok = login(client_from_new_address(), server, uid, PASSWORD)
    assert ok.status_code == 302


# -------------------------------------------------------------------------------------------------- signed requests
def _signed_headers(tok, method: str, path: str, body: bytes, ts: int | None = None) -> dict:
    from fireside_lab import identity
    ts = int(time.time()) if ts is None else ts
    return {"X-Fireside-Key": tok.token_id, "X-Fireside-Timestamp": str(ts),
            "X-Fireside-Signature": identity.signature(tok.signing_key, method, path, ts, body),
            "Content-Type": "application/json"}


def test_signed_vote_tamper_replay_and_stale(server):
    uid, tok = new_user()
    pid = new_poll()
    path = f"/api/v1/polls/{pid}/ballots"
    body = json.dumps({"choices": "A"}).encode()
    h = _signed_headers(tok, "POST", path, body)
    # tampered body, same headers: refused, nothing written
    r = requests.post(server.url(path), data=json.dumps({"choices": "B"}).encode(), headers=h, timeout=30)
    assert "bad signature" in assert_error(r, 401, "unauthenticated")["message"]
    assert ballot_count(pid) == 0
    # the genuine request
    r = requests.post(server.url(path), data=body, headers=h, timeout=30)
    assert r.status_code == 201, r.text
    assert r.json()["voter"] == uid
    # the very same request again: a replay
    r = requests.post(server.url(path), data=body, headers=h, timeout=30)
    assert "replay" in assert_error(r, 401, "unauthenticated")["message"]
    assert ballot_count(pid) == 1
    # correctly signed, but 10 minutes old
    pid2 = new_poll()
    path2 = f"/api/v1/polls/{pid2}/ballots"
    old = _signed_headers(tok, "POST", path2, body, ts=int(time.time()) - 600)
    r = requests.post(server.url(path2), data=body, headers=old, timeout=30)
    assert "timestamp" in assert_error(r, 401, "unauthenticated")["message"]
    # a partial set of signature headers
    r = requests.post(server.url(path2), data=body, headers={"X-Fireside-Key": tok.token_id}, timeout=30)
    assert_error(r, 401, "unauthenticated")
    assert ballot_count(pid2) == 0


def test_signed_get_with_query_string(server):
    uid, tok = new_user()
    path = "/api/v1/polls?limit=3&offset=0"
    r = requests.get(server.url(path), headers=_signed_headers(tok, "GET", path, b""), timeout=30)
    assert r.status_code == 200, r.text
    # the signature covers the query string
    h = _signed_headers(tok, "GET", path, b"")
    r = requests.get(server.url("/api/v1/polls?limit=4&offset=0"), headers=h, timeout=30)
    assert_error(r, 401, "unauthenticated")


# ------------------------------------------------------------------------------------------------------ OpenAPI
def test_openapi_document_is_valid_and_lists_every_route(server):
    from openapi_spec_validator import validate
    from fireside_lab.web import api as web_api
    from fireside_lab.web.server import load_routes
    load_routes()
    r = requests.get(server.url("/api/v1/openapi.json"), timeout=30)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/json")
    doc = r.json()
    validate(doc)
    assert doc["openapi"].startswith("3.1")
    assert web_api.ROUTES
    missing = [f"{rt.method} {rt.path}" for rt in web_api.ROUTES
               if rt.method.lower() not in doc["paths"].get(web_api.PREFIX + rt.path, {})]
    assert missing == []
    n_ops = sum(len(ops) for ops in doc["paths"].values())
    assert n_ops == len(web_api.ROUTES)
    assert doc["paths"]["/api/v1/polls"]["post"]["requestBody"]["required"] is True
    assert "401" in doc["paths"]["/api/v1/polls"]["post"]["responses"]
    docs = requests.get(server.url("/api/v1/docs"), timeout=30)
    assert docs.status_code == 200 and docs.headers["Content-Type"].startswith("text/html")
    for path in doc["paths"]:
        assert f"<code>{path}</code>" in docs.text, path


# ----------------------------------------------------------------------------------------------------------- CORS
def test_cors_preflight_and_simple_request(server):
    pre = {"Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "POST",
           "Access-Control-Request-Headers": "authorization, content-type"}
    r = requests.options(server.url("/api/v1/polls"), headers=pre, timeout=30)
    assert r.status_code == 204, r.text
    assert r.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert "POST" in r.headers["Access-Control-Allow-Methods"]
    assert "authorization" in r.headers["Access-Control-Allow-Headers"].lower()
    r = requests.options(server.url("/api/v1/polls"), headers=dict(pre, Origin="https://evil.example"), timeout=30)
    assert_error(r, 403, "forbidden")
    assert "Access-Control-Allow-Origin" not in r.headers
    _, tok = new_user()
    r = api(server, "GET", "/polls", tok, headers={"Origin": ALLOWED_ORIGIN})
    assert r.status_code == 200 and r.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    r = api(server, "GET", "/polls", tok, headers={"Origin": "https://evil.example"})
    assert r.status_code == 200 and "Access-Control-Allow-Origin" not in r.headers
    # a refusal to an allowed origin still carries the header, so the browser can read the error
    r = api(server, "GET", "/polls", headers={"Origin": ALLOWED_ORIGIN})
    assert_error(r, 401, "unauthenticated")
    assert r.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN


def test_cors_origins_comma_form(monkeypatch):
    from fireside_lab.web.guard import web_settings
    monkeypatch.setenv("FIRESIDE_WEB_CORS_ORIGINS", "https://a.example, https://b.example")
    assert web_settings().cors_origins == ["https://a.example", "https://b.example"]


# ------------------------------------------------------------------------------------------------------ operations
def test_livez_readyz_metrics(server):
    assert requests.get(server.url("/livez"), timeout=10).status_code == 200
    r = requests.get(server.url("/readyz"), timeout=10)
    assert r.status_code == 503
    checks = r.json()["checks"]
    assert checks["worker"]["ok"] is False
    assert checks["store"]["ok"] is True
    assert checks["schema"]["ok"] is True
    _, tok = new_user()
    assert api(server, "GET", "/polls", tok).status_code == 200
    m = requests.get(server.url("/metrics"), timeout=10)
    assert m.status_code == 200 and m.headers["Content-Type"].startswith("text/plain")
    text = m.text
    lines = [ln for ln in text.splitlines() if ln.startswith("fireside_http_requests_total{")]
    assert any('route="/api/v1/polls"' in ln and 'method="GET"' in ln and 'status="200"' in ln for ln in lines), lines
    assert any(ln.startswith("fireside_ballots_cast ") for ln in text.splitlines()), text[-2000:]


# ----------------------------------------------------------------------------------------------------------- runs
def _sse_events(text: str) -> list[tuple[str, dict]]:
    out = []
    for block in text.split("\n\n"):
        fields = dict(ln.split(": ", 1) for ln in block.splitlines() if ": " in ln and not ln.startswith(":"))
        if "event" in fields:
            out.append((fields["event"], json.loads(fields.get("data", "null"))))
    return out


def test_run_submit_events_cancel_and_visibility(server):
    uid, tok = new_user("researcher")
    r = api(server, "POST", "/runs", tok, json={"task": "test.add", "params": {"a": 2, "b": 3}})
    assert r.status_code == 201, r.text
    run = r.json()
    rid = run["run_id"]
    assert run["submitted_by"] == uid and run["status"] == "queued" and run["task"] == "test.add"
    assert_error(api(server, "POST", "/runs", tok, json={"task": "test.add", "params": {"a": "x"}}),
                 422, "invalid", "body.params")
    assert_error(api(server, "POST", "/runs", tok, json={"task": "no.such.task"}), 404, "not_found")
    # no worker: the stream shows `queued`, then ends at its timeout without `end`
    t0 = time.time()
    ev = api(server, "GET", f"/runs/{rid}/events", tok, params={"timeout": 2})
    assert ev.status_code == 200 and ev.headers["Content-Type"].startswith("text/event-stream")
    assert time.time() - t0 < 15
    assert "event: status" in ev.text
    events = _sse_events(ev.text)
    assert ("status", "queued") in [(n, d["status"]) for n, d in events]
    assert "end" not in [n for n, _ in events]
    # cancel: the stream ends with `end`
    c = api(server, "POST", f"/runs/{rid}/cancel", tok)
    assert c.status_code == 200 and c.json()["status"] == "cancelled", c.text
    ev = api(server, "GET", f"/runs/{rid}/events", tok, params={"timeout": 10})
    assert ev.status_code == 200
    events = _sse_events(ev.text)
    assert events[-1][0] == "end" and events[-1][1]["status"] == "cancelled", events
    # resume after the last seen event id: only `end`
    last_id = [ln for ln in ev.text.splitlines() if ln.startswith("id: ")][-1].split(": ")[1]
    ev2 = api(server, "GET", f"/runs/{rid}/events", tok, params={"timeout": 5}, headers={"Last-Event-ID": last_id})
    assert [n for n, _ in _sse_events(ev2.text)] == ["end"]
    # the submitter sees it; a viewer without grants does not
    assert api(server, "GET", f"/runs/{rid}", tok).json()["submitted_by"] == uid
    assert rid in [x["run_id"] for x in api(server, "GET", "/runs", tok).json()["runs"]]
    _, vtok = new_user("viewer")
    assert_error(api(server, "GET", f"/runs/{rid}", vtok), 403, "forbidden")
    assert_error(api(server, "GET", f"/runs/{rid}/events", vtok, params={"timeout": 1}), 403, "forbidden")
    assert_error(api(server, "POST", f"/runs/{rid}/cancel", vtok), 403, "forbidden")
    lst = api(server, "GET", "/runs", vtok)
    assert lst.status_code == 200
    assert rid not in [x["run_id"] for x in lst.json()["runs"]]
    assert_error(api(server, "GET", "/runs/no-such-run", tok), 404, "not_found")


def test_queue_priorities_rerun_refusal_compare_and_failures(server):
    "#20 over HTTP: the queue view by priority, an exact re-run refused with its reason, two runs compared, failures."
    _, tok = new_user("researcher")
    low = api(server, "POST", "/runs", tok, json={"task": "test.add", "params": {"a": 1}}).json()["run_id"]
    r = api(server, "POST", "/runs", tok, json={"task": "test.add", "params": {"a": 2}, "priority": 7})
    assert r.status_code == 201 and r.json()["priority"] == 7, r.text
    high = r.json()["run_id"]
    q = api(server, "GET", "/queue", tok)
    assert q.status_code == 200, q.text
    mine = [x for x in q.json() if x["run_id"] in (low, high)]
    assert [x["run_id"] for x in mine] == [high, low] and mine[0]["waiting"] == "waiting for a free worker"
    r = api(server, "POST", f"/runs/{low}/rerun", tok)                    # it never started: nothing to reproduce
    assert_error(r, 409, "conflict")
    assert "cannot be re-run exactly: it recorded no lake snapshot" in r.json()["error"]["message"]
    assert_error(api(server, "POST", f"/runs/{low}/resume", tok), 409, "conflict")     # not a failed notebook run
    c = api(server, "GET", f"/runs/{low}/compare/{high}", tok)
    assert c.status_code == 200 and c.json()["params"] == [{"name": "a", "a": 1, "b": 2}], c.text
    _, vtok = new_user("viewer")
    assert_error(api(server, "GET", f"/runs/{low}/compare/{high}", vtok), 403, "forbidden")
    f = api(server, "GET", "/failures", tok)
    assert f.status_code == 200 and isinstance(f.json(), list)
    for rid in (low, high): api(server, "POST", f"/runs/{rid}/cancel", tok)
