"""Sign-in and permissions on the served dashboards, in headless Debian Chromium (Playwright) against one real
`fireside-lab serve` process for the module (its own data dir and store):

1. voting: two signed-in voters (each in a fresh browser context) vote on a poll page; the report counts 2 ballots and
   the ballots' voters in the store are exactly those two user ids; a user without `run` on the poll may not vote;
2. a viewer with `view` on a run sees its detail but no Cancel / Retry, and a forged click (the hidden Bokeh button made
   visible in the page) is refused on the server: "Not allowed", the run stays queued, nothing is retried;
3. script in user-written text stays text: a poll's question and option, a feed post's caption (and creator), a
   display name in the shell bar, a run id in the URL, a run's error and progress message;
4. a public poll's link lets a browser without an account vote once (a guest id), another browser once more; a link to
   a poll that is not public leads to the sign-in page.
"""
from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa

import jobs_tasks  # noqa: F401  (registers test.add)
from browser import browser_page, fireside_server, login

ROOT = Path(__file__).resolve().parent.parent
FEED_SAMPLES = ROOT / "data" / "samples" / "feeds"
PASSWORD = "a long password"
XSS = "<img src=x onerror=window.__xss=1>"
POLL = "ident-colours"
XSS_POLL = "ident-xss"


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """The server's base URL. Its data dir (also this process's, for the module) holds the accounts and objects the
    tests use; sign-in attempts are not rate limited to the default 10 a minute (the module signs in often)."""
    from fireside_lab import feeds, polls, store
    from fireside_lab.config import reset_settings
    from fireside_lab.identity import add_user, grant

    data = tmp_path_factory.mktemp("identity") / "data"
    old = os.environ.get("FIRESIDE_DATA_DIR")
    os.environ["FIRESIDE_DATA_DIR"] = str(data)
    reset_settings()
    store.reset_default()
    try:
        # accounts: a researcher, voters, a viewer of one run, a user whose display name is a script
        add_user("rita", "researcher", PASSWORD, display_name="Rita", actor="test")
        for uid, name in [("vo1", "Voter One"), ("vo2", "Voter Two"), ("vo3", "Voter Three"), ("vor", "Run Only")]:
            add_user(uid, "viewer", PASSWORD, display_name=name, actor="test")
        add_user("vic", "viewer", PASSWORD, display_name="Vic", actor="test")
        add_user("mal", "viewer", PASSWORD, display_name=XSS, actor="test")
        # a poll: vo1 and vo2 may see it and vote, vo3 may only see it, vor may only vote (`run`)
        polls.create_poll("Favourite colour?", ["red", "green", "blue"], poll_id=POLL, creator="rita")
        for uid in ("vo1", "vo2"):
            grant(f"user:{uid}", "view", "poll", POLL, actor="test")
            grant(f"user:{uid}", "run", "poll", POLL, actor="test")
        grant("user:vo3", "view", "poll", POLL, actor="test")
        grant("user:vor", "run", "poll", POLL, actor="test")
        # a poll whose question and one option are a script
        polls.create_poll(XSS, [XSS, "no"], poll_id=XSS_POLL, creator="rita")
        # a feed post whose caption (and creator) is a script; an explicit embedding keeps the model out of the test,
        # and a store with a post is not seeded with the samples
        feeds.add_user(XSS)
        vec = [1.0] + [0.0] * 383
        feeds.publish(XSS, XSS, ["xss"], FEED_SAMPLES / "elf-1.mp4", FEED_SAMPLES / "elf-1.jpg", embedding=vec)
        with fireside_server(env={"FIRESIDE_WEB_LOGIN_LIMIT": "1000/minute;10000/hour"}) as url:
            yield url
    finally:
        store.reset_default()
        if old is None:
            os.environ.pop("FIRESIDE_DATA_DIR", None)
        else:
            os.environ["FIRESIDE_DATA_DIR"] = old
        reset_settings()


@pytest.fixture(scope="module")
def browser():
    "A headless Chromium for the module; `session(...)` opens fresh contexts in it."
    with browser_page() as root:
        yield root


@contextlib.contextmanager
def session(browser, base, user, next_path="/"):
    """A page in a fresh browser context (own cookies) signed in as `user` and showing `next_path`. `page.dialogs`
    collects the messages of any dialog (alert, confirm, …), which are dismissed."""
    page = browser.new_session()
    page.dialogs = []

    def on_dialog(d):
        page.dialogs.append(d.message)
        d.dismiss()
    page.on("dialog", on_dialog)
    try:
        login(page, base, user, PASSWORD, next_path)
        yield page
    finally:
        page.context.close()


def visible_text(page, text, timeout_s=60):
    "Wait until `text` is shown somewhere visible (Playwright's text locators see into Panel's shadow DOM)."
    loc = page.get_by_text(text, exact=False).locator("visible=true").first
    loc.wait_for(timeout=timeout_s * 1000)
    return loc


def assert_inert(page):
    "The script payload on the page did not run: no flag, no <img src=x> element, no dialog."
    page.wait_for_timeout(1000)                        # let an injected image fail to load and run its handler
    assert not page.evaluate("window.__xss"), "an injected onerror handler ran"
    assert page.locator('img[src="x"]').count() == 0, "an <img> element was made from user text"
    assert page.dialogs == []


def poll_voters(poll_id):
    from fireside_lab import store
    from fireside_lab.polls.tables import ballots
    rows = store.default().rows(sa.select(ballots.c.voter).where(ballots.c.poll_id == poll_id))
    return sorted(r["voter"] for r in rows)


# -- 1. voting as the signed-in user

def _vote(page, name, option):
    visible_text(page, "Favourite colour?")
    assert page.locator("p.poll-voter").inner_text() == f"Voting as {name}"
    page.get_by_text(option, exact=True).first.click()
    page.get_by_role("button", name="Vote").click()
    visible_text(page, f"Ballot of {name} counted.", 30)


def _wait_ballots(page, text, timeout_s=30):
    n = page.locator(".poll-n")
    for _ in range(timeout_s * 5):
        if n.count() and n.inner_text() == text:
            return
        page.wait_for_timeout(200)
    assert n.inner_text() == text


def test_two_signed_in_voters_vote_and_a_third_may_not(base, browser):
    with session(browser, base, "vo1", f"/polls?poll={POLL}") as p1:
        _vote(p1, "Voter One", "blue")
        _wait_ballots(p1, "1 ballot")
        assert p1.console_errors == []
    with session(browser, base, "vo2", f"/polls?poll={POLL}") as p2:
        _vote(p2, "Voter Two", "red")
        _wait_ballots(p2, "2 ballots")
        assert p2.console_errors == []
    assert poll_voters(POLL) == ["vo1", "vo2"]         # the ballots are the signed-in users', nobody typed a name

    with session(browser, base, "vo3", f"/polls?poll={POLL}") as p3:
        visible_text(p3, "Favourite colour?")
        visible_text(p3, "You may not vote in this poll")
        assert p3.get_by_role("button", name="Vote").count() == 0
        assert p3.locator("p.poll-voter").count() == 0
        assert p3.console_errors == []
    assert poll_voters(POLL) == ["vo1", "vo2"]


def test_a_voter_with_only_the_run_grant_votes(base, browser):
    "README: `fireside-lab grant run poll:ID --user ana` — ana (a viewer) may vote in that poll."
    with session(browser, base, "vor", f"/polls?poll={POLL}") as page:
        shown = visible_text(page, re.compile(r"Favourite colour\?|You may not see this poll"), 60)
        assert shown.inner_text() == "Favourite colour?", shown.inner_text()
        _vote(page, "Run Only", "green")
    assert "vor" in poll_voters(POLL)


# -- 2. a viewer of a run: no Cancel / Retry, and a forged click is refused on the server

_REVEAL = """(label) => {
  const found = [];
  for (const m of Bokeh.documents[0].all_models)
    if (m.label === label) { m.visible = true; found.push(m.id); }
  return found.length;
}"""


def test_viewer_sees_no_cancel_and_forged_clicks_are_refused(base, browser):
    from fireside_lab import jobs
    from fireside_lab.identity import grant
    rid = jobs.enqueue("test.add", {"a": 1, "b": 2}, submitted_by="rita")
    grant("user:vic", "view", "run", rid, actor="test")
    assert jobs.get_run(rid)["status"] == "queued"
    n_runs = len(jobs.runs(limit=1000))

    with session(browser, base, "vic", f"/jobs?run={rid}") as page:
        visible_text(page, f"Run {rid}")                # the run's detail
        visible_text(page, "test.add")
        assert page.locator("nav.fs-bar .fs-name").inner_text() == "Vic"
        cancel, retry = page.get_by_role("button", name="Cancel"), page.get_by_role("button", name="Retry")
        page.wait_for_timeout(1000)
        assert not cancel.is_visible() and not retry.is_visible()

        # forge: make the hidden Bokeh button visible in the page and click it; the server checks again
        assert page.evaluate(_REVEAL, "Cancel") == 1
        cancel.wait_for(state="visible", timeout=10_000)
        cancel.click()
        visible_text(page, "Not allowed", 30)
        visible_text(page, f"you may not cancel or retry run {rid}", 10)
        assert jobs.get_run(rid)["status"] == "queued"
        assert page.console_errors == []

    with session(browser, base, "vic", f"/jobs?run={rid}") as page:    # a fresh page: no message shown yet
        visible_text(page, f"Run {rid}")
        retry = page.get_by_role("button", name="Retry")
        page.wait_for_timeout(1000)
        assert not retry.is_visible()
        assert page.evaluate(_REVEAL, "Retry") == 1
        retry.wait_for(state="visible", timeout=10_000)
        retry.click()
        visible_text(page, "Not allowed", 30)
        visible_text(page, f"you may not cancel or retry run {rid}", 10)
        assert page.get_by_text("retried as").count() == 0
        assert len(jobs.runs(limit=1000)) == n_runs   # no run was made
        assert jobs.get_run(rid)["status"] == "queued"
        assert page.console_errors == []


# -- 3. script in user-written text stays text

def test_poll_question_stays_text(base, browser):
    with session(browser, base, "rita", "/polls") as page:
        page.locator("table.polls-list").get_by_text(XSS, exact=True).wait_for(timeout=60_000)
        assert_inert(page)
        page.goto(f"{base}/polls?poll={XSS_POLL}")
        page.locator("h2.poll-question").get_by_text(XSS, exact=True).wait_for(timeout=60_000)
        page.locator("table.poll-report").get_by_text(XSS, exact=True).wait_for(timeout=30_000)   # the option
        assert page.get_by_text(XSS, exact=True).locator("visible=true").count() >= 3  # question, choice, report
        assert_inert(page)
        assert page.console_errors == []


def test_feed_caption_and_creator_stay_text(base, browser):
    with session(browser, base, "vic", "/feeds") as page:
        visible_text(page, "fireside-lab feeds")
        card = page.locator(".feed-list-new .feed-card").first
        card.locator(".feed-caption").get_by_text(XSS, exact=True).wait_for(timeout=60_000)
        assert card.locator(".feed-creator").inner_text() == "@" + XSS
        assert_inert(page)
        # the like's status line quotes the caption: still text
        card.locator(".feed-like button").click()
        assert XSS in visible_text(page, "vic liked", 30).inner_text()
        assert_inert(page)
        assert page.console_errors == []


def test_display_name_stays_text(base, browser):
    from fireside_lab.identity import grant
    with session(browser, base, "mal", "/") as page:
        name = page.locator("nav.fs-bar .fs-name")
        name.wait_for(timeout=60_000)
        assert name.inner_text() == XSS
        visible_text(page, XSS)
        assert_inert(page)
        page.goto(f"{base}/feeds")
        page.locator("nav.fs-bar .fs-name").get_by_text(XSS, exact=True).wait_for(timeout=60_000)
        assert_inert(page)
        # as a voter: "Voting as …" and the ballot's confirmation name them, as text
        grant("user:mal", "view", "poll", XSS_POLL, actor="test")
        grant("user:mal", "run", "poll", XSS_POLL, actor="test")
        page.goto(f"{base}/polls?poll={XSS_POLL}")
        page.locator("p.poll-voter").wait_for(timeout=60_000)
        assert page.locator("p.poll-voter").inner_text() == f"Voting as {XSS}"
        page.get_by_text("no", exact=True).first.click()
        page.get_by_role("button", name="Vote").click()
        visible_text(page, f"Ballot of {XSS} counted.", 30)
        assert_inert(page)
        assert page.console_errors == []
    assert "mal" in poll_voters(XSS_POLL)


def test_run_id_in_the_url_and_run_texts_stay_text(base, browser):
    from fireside_lab import jobs, store
    from fireside_lab.jobs import tables
    # a run whose error and progress message are a script (as a task's exception or progress could write them)
    rid = jobs.enqueue("test.add", {"a": 1, "b": 2}, submitted_by="rita")
    store.default().execute(sa.update(tables.runs).where(tables.runs.c.run_id == rid)
                            .values(error=XSS, progress_message=XSS))
    with session(browser, base, "rita", f"/jobs?run={quote(XSS, safe='')}") as page:
        visible_text(page, "fireside-lab jobs")
        visible_text(page, f"run {XSS!r}: no such run", 30)
        visible_text(page, rid)                          # the runs table, with the error and message columns
        assert page.get_by_text(XSS, exact=True).locator("visible=true").count() >= 2
        assert_inert(page)
        page.goto(f"{base}/jobs?run={rid}")
        page.locator("pre.run-error").get_by_text(XSS, exact=True).wait_for(timeout=60_000)
        assert_inert(page)
        assert page.console_errors == []


# -- 4. a public poll: anyone with the link votes, one ballot per browser, without an account

def _guest_vote(page, base, option):
    page.goto(f"{base}/vote/ident-public")
    visible_text(page, "Open to all?")
    assert page.locator("p.poll-voter").inner_text() == "Voting as guest"
    page.get_by_text(option, exact=True).first.click()
    page.get_by_role("button", name="Vote").click()
    visible_text(page, "Ballot of guest counted.", 30)


def test_a_public_poll_takes_one_ballot_per_browser_without_an_account(base, browser):
    from fireside_lab import polls
    polls.create_poll("Open to all?", ["yes", "no"], poll_id="ident-public", public=True, creator="rita")
    polls.create_poll("Members only?", ["yes", "no"], poll_id="ident-members", creator="rita")
    page = browser.new_session()
    try:
        page.goto(f"{base}/vote/ident-members")                 # not public: the link leads to the sign-in page
        page.wait_for_url(re.compile(r"/login\?next="))
        _guest_vote(page, base, "yes")
        page.get_by_role("button", name="Vote").click()          # the same browser again: refused
        visible_text(page, "has already voted", 30)
        page.goto(f"{base}/polls")                               # a guest sees no list of polls
        visible_text(page, "to see the polls")
        assert page.console_errors == []
    finally:
        page.context.close()
    page = browser.new_session()                                 # another browser is another guest
    try:
        _guest_vote(page, base, "no")
    finally:
        page.context.close()
    voters = poll_voters("ident-public")
    assert len(voters) == 2 and all(v.startswith("guest:") for v in voters)
    assert polls.report("ident-public").n == 2 and poll_voters("ident-members") == []
