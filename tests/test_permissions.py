"""The permission matrix: global permission (view / change / delete / none) x object grant (view / change / none),
for polls, runs, presets and highlight labels, each cell asserted three ways — the dashboard's callback, the HTTP API
on a real server, and list filtering (SQL) — against one expectation: an action is allowed by a global or an object
grant of that very action (actions do not imply each other, as in django-guardian).

Each cell is a fresh `viewer` account (whose role has no permission on these object types) with a user-level global
grant (`object_id = *`) and/or an object grant on one fresh object of the type.
"""
from __future__ import annotations

import itertools

import pytest

from test_api import ACTOR, api, server  # noqa: F401  (the module's server fixture)

GLOBAL = ("view", "change", "delete", None)
OBJECT = ("view", "change", None)
CELLS = list(itertools.product(GLOBAL, OBJECT))
_N = itertools.count(1)


def _account(kind: str, g: str | None, o: str | None, object_type: str, object_id: str):
    "A fresh viewer with global grant `g` on `object_type` and object grant `o` on `object_id`; (User, token)."
    from fireside_lab import identity
    uid = f"m-{kind}-{g or 'none'}-{o or 'none'}-{next(_N)}"
    identity.add_user(uid, "viewer", None, actor=ACTOR)
    if g: identity.grant(f"user:{uid}", g, object_type, "*", actor=ACTOR)
    if o: identity.grant(f"user:{uid}", o, object_type, object_id, actor=ACTOR)
    return identity.get_user(uid), identity.create_token(uid, "matrix", actor=ACTOR)


def _expect(g, o):
    return {a: a in (g, o) for a in ("view", "change")} | {"delete": g == "delete"}


@pytest.mark.parametrize("g,o", CELLS, ids=[f"global-{g or 'none'}-object-{o or 'none'}" for g, o in CELLS])
def test_polls(server, g, o):  # noqa: F811
    from fireside_lab import identity, polls
    from fireside_lab.polls.dashboard import dashboard
    pid = polls.create_poll("Matrix?", ["a", "b"], creator=ACTOR).poll_id
    user, tok = _account("poll", g, o, "poll", pid)
    want = _expect(g, o)
    assert identity.allowed(user, "delete", "poll", pid) is want["delete"]
    # list filtering, in SQL: the library, the dashboard's list, the API's list
    assert (pid in set(polls.list_polls(visible_to=user).poll_id)) is want["view"]
    assert (pid in dashboard(user=user).inner.listing.object) is want["view"]
    listed = {p["poll_id"] for p in api(server, "GET", "/polls?limit=500", tok).json()["polls"]}
    assert (pid in listed) is want["view"]
    # reading one poll
    assert api(server, "GET", f"/polls/{pid}", tok).status_code == (200 if want["view"] else 403)
    assert api(server, "GET", f"/polls/{pid}/report", tok).status_code == (200 if want["view"] else 403)
    # changing it: the API first (refused or done), then the dashboard's Close callback on a second poll
    r = api(server, "POST", f"/polls/{pid}/close", tok)
    assert r.status_code == (200 if want["change"] else 403), r.text
    assert polls.get_poll(pid).status() == ("closed" if want["change"] else "open")
    pid2 = polls.create_poll("Matrix 2?", ["a", "b"], creator=ACTOR).poll_id
    if o: identity.grant(f"user:{user.user_id}", o, "poll", pid2, actor=ACTOR)
    page = dashboard(pid2, user=user).inner
    if want["view"]:
        assert page.close_button.visible is want["change"]
        page.close(None)                         # the callback, as a forged click would reach it
    assert polls.get_poll(pid2).status() == ("closed" if want["change"] and want["view"] else "open")


@pytest.mark.parametrize("g,o", CELLS, ids=[f"global-{g or 'none'}-object-{o or 'none'}" for g, o in CELLS])
def test_runs(server, g, o):  # noqa: F811
    import jobs_tasks  # noqa: F401  (registers test.add in this process)
    from fireside_lab import identity, jobs
    from fireside_lab.jobs.dashboard import dashboard, runs_frame
    rid = jobs.enqueue("test.add", {"a": 1}, submitted_by="someone-else")
    user, tok = _account("run", g, o, "run", rid)
    want = _expect(g, o)
    assert identity.allowed(user, "delete", "run", rid) is want["delete"]
    assert (rid in set(jobs.runs(visible_to=user).run_id)) is want["view"]
    assert (rid in set(runs_frame(user=user).run_id)) is want["view"]
    listed = {r["run_id"] for r in api(server, "GET", "/runs?limit=500", tok).json()["runs"]}
    assert (rid in listed) is want["view"]
    assert api(server, "GET", f"/runs/{rid}", tok).status_code == (200 if want["view"] else 403)
    r = api(server, "POST", f"/runs/{rid}/cancel", tok)
    assert r.status_code == (200 if want["change"] else 403), r.text
    assert jobs.get_run(rid)["status"] == ("cancelled" if want["change"] else "queued")
    # the dashboard's Cancel: shown only to who may change the run; its callback refuses everyone else
    rid2 = jobs.enqueue("test.add", {"a": 2}, submitted_by="someone-else")
    if o: identity.grant(f"user:{user.user_id}", o, "run", rid2, actor=ACTOR)
    page = dashboard(user=user)
    page.run_id.value = rid2
    assert page.runs_tab.cancel_button.visible is want["change"]
    page.runs_tab.act(lambda r: jobs.cancel(r))
    assert jobs.get_run(rid2)["status"] == ("cancelled" if want["change"] else "queued")
    assert ("Not allowed" in page.message.object) is (not want["change"])


@pytest.fixture(scope="module")
def video(server):  # noqa: F811
    "One real sample clip through the detector (ffmpeg), in the server's store: (video_id, [segment ids])."
    from conftest import ROOT
    from fireside_lab import highlights
    r = highlights.detect_video(ROOT / "data" / "samples" / "videos" / "monster.mp4")
    segs = highlights.video_segments(r["video_id"], r["detector_version"])
    assert len(segs) >= 2
    return r["video_id"], list(segs.segment_id)


def _reviewer_of(segment_id: str):
    from fireside_lab.highlights.review import labels
    lab = labels()
    row = lab[lab.segment_id == segment_id]
    return None if row.empty else row.reviewer.iloc[-1]


@pytest.mark.parametrize("g,o", CELLS, ids=[f"global-{g or 'none'}-object-{o or 'none'}" for g, o in CELLS])
def test_highlight_labels(server, video, g, o):  # noqa: F811
    from fireside_lab import identity
    from fireside_lab.highlights import videos
    from fireside_lab.highlights.dashboard import HighlightReview
    vid, segments = video
    user, tok = _account("video", g, o, "video", vid)
    want = _expect(g, o)
    assert identity.allowed(user, "delete", "video", vid) is want["delete"]
    assert (vid in set(videos(visible_to=user).video_id)) is want["view"]
    listed = {v["video_id"] for v in api(server, "GET", "/videos", tok).json()["videos"]}
    assert (vid in listed) is want["view"]
    assert api(server, "GET", f"/videos/{vid}/segments", tok).status_code == (200 if want["view"] else 403)
    # labelling through the API: the caller becomes the segment's reviewer, or nothing is written
    before = _reviewer_of(segments[0])
    r = api(server, "POST", f"/segments/{segments[0]}/label", tok, json={"decision": "accept"})
    assert r.status_code == (201 if want["change"] else 403), r.text
    assert _reviewer_of(segments[0]) == (user.user_id if want["change"] else before)
    # labelling through the dashboard's decision callback (on the second segment)
    review = HighlightReview(user=user)
    assert bool(review.video.options) is want["view"]
    if want["view"]:
        assert review.accept_btn.visible is want["change"]
        before = _reviewer_of(segments[1])
        review.segment.value = segments[1]
        review.decide("reject")
        assert _reviewer_of(segments[1]) == (user.user_id if want["change"] else before)


@pytest.mark.parametrize("g,o", CELLS, ids=[f"global-{g or 'none'}-object-{o or 'none'}" for g, o in CELLS])
def test_presets(server, g, o):  # noqa: F811
    """A preset is listed where its `view` is granted (API, dashboard, SQL filter), and run now only with `run`, which
    no cell grants: view, change and delete each give no right to run it."""
    import jobs_tasks  # noqa: F401  (registers test.add in this process)
    from fireside_lab import identity, jobs
    from fireside_lab.jobs.dashboard import dashboard, presets_frame
    name = f"matrix-{next(_N)}"
    jobs.preset_save(name, "test.add", {"a": 1})
    user, tok = _account("preset", g, o, "preset", name)
    want = _expect(g, o)
    assert identity.allowed(user, "delete", "preset", name) is want["delete"]
    assert identity.allowed(user, "change", "preset", name) is want["change"]
    assert (name in set(presets_frame(user)["name"])) is want["view"]
    assert (name in {p["name"] for p in api(server, "GET", "/presets", tok).json()}) is want["view"]
    n = len(jobs.runs(limit=10_000))
    assert api(server, "POST", f"/presets/{name}/run", tok).status_code == 403
    tab = dashboard(user=user).presets_tab
    tab.chosen.options = [name]
    tab.chosen.value = name
    assert not tab.run_now.visible
    tab.do_run_now()                              # the callback, as a forged click would reach it
    assert len(jobs.runs(limit=10_000)) == n
    identity.grant(f"user:{user.user_id}", "run", "preset", name, actor=ACTOR)
    assert api(server, "POST", f"/presets/{name}/run", tok).status_code == 201
    assert jobs.runs(limit=1)["submitted_by"].iloc[0] == user.user_id
