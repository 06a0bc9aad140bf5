"""The highlight review dashboard in headless Chromium behind sign-in: a reviewer accepts one segment, adjusts another;
labels stored under the signed-in reviewer; no console errors."""
import re
import time
from pathlib import Path

from browser import browser_page, fireside_server, login

ROOT = Path(__file__).resolve().parent.parent
MONSTER = ROOT / "data" / "samples" / "videos" / "monster.mp4"   # two segments with the default settings
PASSWORD = "a long password"


def _bounds(page):
    "The Start (s) and End (s) inputs (the only text inputs: the reviewer is the signed-in user, never typed)."
    boxes = page.locator("input[type=text]")
    return boxes.nth(0), boxes.nth(1)


def _wait_value(box, value, timeout_s=30):
    t0 = time.time()
    while abs(float(box.input_value() or "nan") - value) > 1e-6:
        assert time.time() - t0 < timeout_s, f"input shows {box.input_value()!r}, expected {value}"
        time.sleep(0.1)


def _set_number(box, value):
    box.click()
    box.press("Control+a")
    box.type(f"{value:.2f}")
    box.press("Enter")


def test_review_accept_and_adjust_in_browser(data_dir):
    from fireside_lab import highlights, store
    from fireside_lab.identity import add_user
    st = store.default()
    r = highlights.detect_video(MONSTER, store=st)
    segs = highlights.video_segments(r["video_id"], r["detector_version"], store=st)
    assert len(segs) >= 2
    add_user("ada", "reviewer", PASSWORD, display_name="Ada", actor="test")
    store.reset_default()

    with fireside_server() as base, browser_page() as page:
        login(page, base, "ada", PASSWORD, "/highlights")
        page.get_by_text("Highlights review").first.wait_for(timeout=60_000)
        page.get_by_text(re.compile(r"monster — \d+ segment")).first.wait_for(state="attached", timeout=30_000)
        # the detected segments are listed (table and segment choice)
        page.get_by_text(f"{segs.start_s[0]:.2f}–{segs.end_s[0]:.2f} s").first.wait_for(state="attached", timeout=30_000)
        page.locator("table").filter(has_text="pending").first.wait_for(timeout=30_000)
        page.locator("video").first.wait_for(state="attached", timeout=30_000)

        assert page.locator("p.hl-reviewer").inner_text() == "Reviewing as Ada"
        assert page.get_by_placeholder("your name").count() == 0
        assert page.locator("input[type=text]").count() == 2
        page.get_by_role("button", name="Accept").click()
        page.get_by_text("Accepted segment").wait_for(timeout=30_000)

        seg_select = page.locator("select").filter(has_text="score").first
        seg_select.select_option(index=1)
        start, end = _bounds(page)
        _wait_value(start, segs.start_s[1]); _wait_value(end, segs.end_s[1])
        new_start, new_end = segs.start_s[1] + 0.3, segs.end_s[1] - 0.3
        _set_number(start, new_start)
        _set_number(end, new_end)
        page.get_by_role("button", name="Save adjusted bounds").click()
        page.get_by_text("Adjusted segment").wait_for(timeout=30_000)
        page.get_by_text("(adjusted)").first.wait_for(state="attached", timeout=30_000)
        page.screenshot(path=str(data_dir.parent / "highlights-review.png"))
        # the video is marked fully reviewed; the evaluation tab scores the detector against the two labels just made
        page.get_by_role("button", name="Mark video fully reviewed").click()
        page.get_by_text("Marked fully reviewed by").wait_for(timeout=30_000)
        page.get_by_text("Evaluation", exact=True).first.click()
        page.get_by_role("button", name="Evaluate against the review labels").click()
        page.get_by_text("Evaluated 1 detector version(s) on 1 reviewed video(s).").wait_for(timeout=60_000)
        page.screenshot(path=str(data_dir.parent / "highlights-evaluation.png"))
        errors = list(page.console_errors)

    st = store.default()
    lab = highlights.labels(store=st).set_index("segment_id")
    assert lab.decision.to_dict() == {segs.segment_id[0]: "accept", segs.segment_id[1]: "adjust"}
    assert set(lab.reviewer) == {"ada"}
    assert abs(lab.start_s[segs.segment_id[1]] - new_start) <= 1 / 30 + 1e-6
    assert abs(lab.end_s[segs.segment_id[1]] - new_end) <= 1 / 30 + 1e-6
    assert Path(lab.clip_path[segs.segment_id[1]]).exists()
    assert len(highlights.accepted_clips(store=st)) == 2
    assert highlights.compare(store=st).tiou.tolist() == [0.3, 0.5, 0.7]
    assert errors == []
