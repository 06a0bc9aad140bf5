"""The feed dashboard in headless Chromium behind sign-in: alice (a viewer) signs in, likes the lowest post of her
for-you feed and it rises; a clip plays; no console errors. Real store, real MiniLM embeddings (sample posts), a real
`fireside-lab serve`, Debian's Chromium."""
import time

from browser import browser_page, fireside_server, login

PASSWORD = "a long password"


def _for_you(page) -> list[str]:
    cap = page.locator(".feed-list-for-you .feed-caption")
    return [cap.nth(i).get_attribute("data-post") for i in range(cap.count())]


def test_like_raises_post_in_for_you(data_dir, tmp_path):
    from fireside_lab.identity import add_user
    add_user("alice", "viewer", PASSWORD, display_name="Alice", actor="test")   # the sample feed user alice
    with fireside_server(timeout=120) as base, browser_page() as page:
        login(page, base, "alice", PASSWORD, "/feeds", timeout_s=180)   # the first visit seeds the sample posts
        page.get_by_text("fireside-lab feeds").first.wait_for(timeout=120_000)
        page.locator("nav.fs-bar .fs-name").filter(has_text="Alice").wait_for(timeout=30_000)
        assert page.get_by_text("View as").locator("visible=true").count() == 0   # admins only may view as another
        page.get_by_text("For you", exact=True).first.click()
        page.locator(".feed-list-for-you .feed-caption").nth(9).wait_for(timeout=60_000)
        before = _for_you(page)
        assert len(before) == 10 and len(set(before)) == 10
        target = before[-1]
        card = page.locator(".feed-list-for-you .feed-card").filter(has=page.locator(f"[data-post='{target}']"))
        card.locator(".feed-like button").click()
        t0 = time.time()
        # wait for the re-ranked list itself: a read taken while the list re-renders can mix old and new cards
        while not ((after := _for_you(page)) and len(after) == 10 and after[0] == target):
            assert time.time() - t0 < 60, f"the liked post did not rise to the top of for-you: {before} -> {after}"
            time.sleep(0.3)
        assert len(set(after)) == 10 and after != before
        page.get_by_text("alice liked").first.wait_for(timeout=10_000)
        # clip playback: the player appears in the card with a <video> element
        card = page.locator(".feed-list-for-you .feed-card").first
        card.locator(".feed-play button").click()
        page.locator(".feed-list-for-you video").first.wait_for(state="attached", timeout=30_000)
        page.screenshot(path=str(tmp_path / "feeds-for-you.png"), full_page=True)
        # the analytics tab shows the like
        page.get_by_text("Analytics", exact=True).first.click()
        page.get_by_text("Top creators").first.wait_for(timeout=30_000)
        page.screenshot(path=str(tmp_path / "feeds-dashboard.png"), full_page=True)
        assert page.console_errors == []
