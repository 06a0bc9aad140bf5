"""The polls dashboard in headless Chromium: create a poll, cast a ballot on its page, watch the report update; no console errors."""
import re

from browser import browser_page, panel_server


def wait_text(page, locator, text, timeout_s=30):
    for _ in range(int(timeout_s * 5)):
        if locator.inner_text() == text:
            return
        page.wait_for_timeout(200)
    assert locator.inner_text() == text


def test_create_vote_and_live_report(data_dir, tmp_path):
    from fireside_lab import polls
    polls.import_anes96()
    with panel_server("dashboards/polls.py") as base, browser_page() as page:
        page.goto(f"{base}/polls")
        page.get_by_text("fireside-lab polls").first.wait_for(timeout=60_000)
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

        # its shareable page: cast a ballot, see the report count it
        page.goto(f"{base}/polls?poll=colours")
        page.get_by_text("Favourite colour?").first.wait_for(timeout=60_000)
        n = page.locator(".poll-n")
        n.wait_for(timeout=30_000)
        assert n.inner_text() == "0 ballots"
        page.get_by_placeholder("your name or voter id").fill("alice")
        page.get_by_text("blue", exact=True).first.click()
        page.get_by_role("button", name="Vote").click()
        page.get_by_text("Ballot of alice counted.").wait_for(timeout=30_000)
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

        # the ANES private poll's page shows its 944 ballots and privacy
        page.goto(f"{base}/polls?poll=anes96-pid-private")
        page.locator(".poll-n").wait_for(timeout=60_000)
        assert page.locator(".poll-n").inner_text() == "944 ballots"
        page.get_by_text("ε = 2.079").first.wait_for(timeout=30_000)
        assert page.console_errors == []
