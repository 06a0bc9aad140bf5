"""The polls dashboard in headless Chromium behind sign-in: a researcher creates a poll, casts their ballot on its
page, watches the report update; a second signed-in voter (another browser context) votes too; no console errors."""
import re

import sqlalchemy as sa

from browser import browser_page, fireside_server, login

PASSWORD = "a long password"


def wait_text(page, locator, text, timeout_s=30):
    for _ in range(int(timeout_s * 5)):
        if locator.inner_text() == text:
            return
        page.wait_for_timeout(200)
    assert locator.inner_text() == text


def test_create_vote_and_live_report(data_dir, tmp_path):
    from fireside_lab import polls, store
    from fireside_lab.identity import add_user, grant
    polls.import_anes96()
    add_user("rita", "researcher", PASSWORD, display_name="Rita", actor="test")
    add_user("vera", "viewer", PASSWORD, display_name="Vera", actor="test")
    with fireside_server() as base, browser_page() as page:
        login(page, base, "rita", PASSWORD, "/polls")
        page.get_by_text("fireside-lab polls").first.wait_for(timeout=60_000)
        page.locator("nav.fs-bar .fs-name").filter(has_text="Rita").wait_for(timeout=30_000)
        page.locator("table.polls-list").get_by_text("anes96-pid-private").wait_for(timeout=30_000)
        assert "944" in page.locator("table.polls-list").inner_text()

        # create a poll through the form
        page.get_by_placeholder("Question").fill("Favourite colour?")
        page.get_by_placeholder("One option per line").fill("red\ngreen\nblue")
        page.get_by_placeholder("poll id (optional").fill("colours")
        page.get_by_role("button", name="Create poll").click()
        page.get_by_text("Created poll").wait_for(timeout=30_000)
        page.locator("table.polls-list").get_by_text("Favourite colour?").wait_for(timeout=30_000)
        assert polls.get_poll("colours").options == ("red", "green", "blue")

        # its shareable page: cast the signed-in user's ballot, see the report count it
        page.goto(f"{base}/polls?poll=colours")
        page.get_by_text("Favourite colour?").first.wait_for(timeout=60_000)
        n = page.locator(".poll-n")
        n.wait_for(timeout=30_000)
        assert n.inner_text() == "0 ballots"
        assert page.locator("p.poll-voter").inner_text() == "Voting as Rita"
        assert page.get_by_placeholder("your name or voter id").count() == 0      # the voter is never typed
        page.get_by_text("blue", exact=True).first.click()
        page.get_by_role("button", name="Vote").click()
        page.get_by_text("Ballot of Rita counted.").wait_for(timeout=30_000)
        wait_text(page, n, "1 ballot")
        rows = page.locator("table.poll-report tbody tr")
        assert re.search(r"blue\s+1\s+100\.0 %", rows.nth(2).inner_text())

        # a second ballot from the same voter is refused on the page
        page.get_by_role("button", name="Vote").click()
        page.get_by_text("has already voted").wait_for(timeout=30_000)

        # live: a ballot cast elsewhere (this test process) appears without reloading
        polls.vote("colours", "bob", "red")
        wait_text(page, n, "2 ballots")
        page.screenshot(path=str(tmp_path / "polls-dashboard.png"), full_page=True)

        # a second signed-in voter, in a fresh browser context (own cookies), with the right to see and vote
        grant("user:vera", "view", "poll", "colours", actor="test")
        grant("user:vera", "run", "poll", "colours", actor="test")
        other = page.new_session()
        login(other, base, "vera", PASSWORD, "/polls?poll=colours")
        other.get_by_text("Favourite colour?").first.wait_for(timeout=60_000)
        assert other.locator("p.poll-voter").inner_text() == "Voting as Vera"
        other.get_by_text("green", exact=True).first.click()
        other.get_by_role("button", name="Vote").click()
        other.get_by_text("Ballot of Vera counted.").wait_for(timeout=30_000)
        wait_text(other, other.locator(".poll-n"), "3 ballots")
        wait_text(page, n, "3 ballots")             # the first page sees it live too
        assert other.console_errors == []

        # the ANES private poll's page shows its 944 ballots and privacy
        page.goto(f"{base}/polls?poll=anes96-pid-private")
        page.locator(".poll-n").wait_for(timeout=60_000)
        assert page.locator(".poll-n").inner_text() == "944 ballots"
        page.get_by_text("ε = 2.079").first.wait_for(timeout=30_000)
        assert page.console_errors == []

    from fireside_lab.polls.tables import ballots
    voters = [r["voter"] for r in store.default().rows(sa.select(ballots.c.voter).where(ballots.c.poll_id == "colours"))]
    assert sorted(voters) == ["bob", "rita", "vera"]
