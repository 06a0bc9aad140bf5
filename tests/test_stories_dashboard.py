"""The stories dashboard in a real browser behind sign-in (a viewer): `fireside-lab serve`, headless Debian Chromium
(Playwright).
The running summary and the suggestion shown are written by the real SmolLM2 model (one scene, a few tokens)."""
from pathlib import Path

import pytest

from browser import browser_page, fireside_server, login

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples" / "stories"
PASSWORD = "a long password"


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def test_dashboard_shows_the_macbeth_summary_and_a_suggestion(data_dir, tmp_path):
    from fireside_lab import stories
    from fireside_lab.identity import add_user
    stories.import_story(SAMPLES / "macbeth.xml")
    stories.summarize(["macbeth"], scenes=["act1-scene1"], batch_size=12, max_new_tokens=6)
    sid = stories.suggest("macbeth", "scene", max_new_tokens=8, context_entries=2)
    sm = stories.summaries().set_index("story_id").loc["macbeth"]
    sug = stories.suggestions("macbeth").set_index("id").loc[sid]
    assert sug.status == "complete" and sug.text.strip()
    total = sm.entries_total
    add_user("vic", "viewer", PASSWORD, display_name="Vic", actor="test")   # viewers may read every story
    with fireside_server() as base, browser_page() as page:
        login(page, base, "vic", PASSWORD, "/stories")
        page.get_by_text("The Tragedy of Macbeth").first.wait_for(timeout=60_000)
        page.get_by_text(f"12/{total} entries summarised").first.wait_for(state="attached", timeout=30_000)
        page.get_by_text(" ".join(sm.running_summary.split())[:40]).first.wait_for(state="attached", timeout=30_000)
        page.locator("table").filter(has_text="complete").first.wait_for(state="attached", timeout=30_000)
        page.get_by_text(" ".join(sug.text.split())[:20]).first.wait_for(state="attached", timeout=30_000)
        page.screenshot(path=str(tmp_path / "stories.png"), full_page=True)
        assert page.console_errors == []
