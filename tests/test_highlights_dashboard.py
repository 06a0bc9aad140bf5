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
    "The Start (s) and End (s) inputs (the first text inputs; the reviewer is the signed-in user, never typed)."
    boxes = page.locator("input[type=text]")
    return boxes.nth(0), boxes.nth(1)


def _wait_value(box, value, timeout_s=30):
    t0 = time.time()
    while abs(float(box.input_value() or "nan") - value) > 1e-6:
        assert time.time() - t0 < timeout_s, f"input shows {box.input_value()!r}, expected {value}"
        time.sleep(0.1)


def _set_number(box, value, tries=5):
    """Type `value` into a Bokeh numeric input and commit it (Enter); retried until the input reads it back and keeps
    it for half a second (under load a server push from an earlier action can land between the keystrokes)."""
    for _ in range(tries):
        box.fill(f"{value:.2f}")
        box.press("Enter")
        time.sleep(0.5)
        try:
            if abs(float(box.input_value()) - value) <= 1e-6: return
        except ValueError: pass
    raise AssertionError(f"the input kept {box.input_value()!r}, expected {value}")


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
        assert page.locator("input[type=text]").count() == 4   # Start, End and the missed highlight's two
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


def _table(page, header, has_text, timeout_s=60):
    """The rows of the rendered HTML table that has the column `header` and the text `has_text`, as a list of
    {header: cell text}; waits for it."""
    t0 = time.time()
    while True:
        for table in page.locator("table").filter(has_text=has_text).all():
            heads = table.locator("thead th").all_inner_texts()
            if header in heads:
                rows = table.locator("tbody tr").all()
                return [dict(zip(heads, row.locator("td").all_inner_texts())) for row in rows]
        assert time.time() - t0 < timeout_s, f"no table with column {header!r} and text {has_text!r}"
        time.sleep(0.2)


def test_add_missed_highlight_and_evaluate_in_browser(data_dir):
    """A reviewer accepts one detected segment, adds the highlight the detector missed by typing its bounds, marks the
    video fully reviewed and evaluates: the page shows recall 1/2 at tIoU 0.5, as `highlights.evaluate` computes."""
    from fireside_lab import highlights, store
    from fireside_lab.identity import add_user
    st = store.default()
    r = highlights.detect_video(MONSTER, store=st)
    segs = highlights.video_segments(r["video_id"], r["detector_version"], store=st)
    assert len(segs) == 2 and segs.start_s[0] >= 1.6          # nothing detected in 0.3–1.6 s: the missed highlight
    add_user("ada", "reviewer", PASSWORD, display_name="Ada", actor="test")
    add_user("eve", "reviewer", PASSWORD, display_name="<img src=x onerror=alert(1)>", actor="test")
    highlights.label(segs.segment_id[1], "reject", "eve", store=st)    # another reviewer's label, untrusted name
    store.reset_default()

    with fireside_server() as base, browser_page() as page:
        login(page, base, "ada", PASSWORD, "/highlights")
        page.get_by_text(re.compile(r"monster — \d+ segment")).first.wait_for(state="attached", timeout=60_000)
        page.get_by_role("button", name="Add missed highlight").wait_for(timeout=30_000)
        boxes = page.locator("input[type=text]")
        assert boxes.count() == 4                                     # Start, End, Missed start, Missed end
        add_start, add_end = boxes.nth(2), boxes.nth(3)
        _wait_value(add_start, 0.0); _wait_value(add_end, 2.0)   # proposed: the first 2 s no segment covers
        # the other reviewer's label is listed, its name shown as text
        rows = _table(page, "what", "reject")
        assert {"reviewer": "<img src=x onerror=alert(1)> (eve)", "what": "segment #2", "decision": "reject"}.items() \
            <= next(x for x in rows if x["decision"] == "reject").items()

        # a drag across the timeline (Bokeh's x box-select) fills the missed bounds, start before end
        canvas = page.locator(".bk-Canvas, canvas").first.bounding_box()
        y = canvas["y"] + canvas["height"] * 0.5
        page.mouse.move(canvas["x"] + canvas["width"] * 0.6, y)
        page.mouse.down()
        page.mouse.move(canvas["x"] + canvas["width"] * 0.45, y, steps=8)
        page.mouse.up()
        t0 = time.time()
        while float(add_start.input_value() or "nan") == 0.0:
            assert time.time() - t0 < 30, "the drag did not fill the missed-highlight inputs"
            time.sleep(0.1)
        assert 0 < float(add_start.input_value()) < float(add_end.input_value()) < 7.4

        page.get_by_role("button", name="Accept").click()
        page.get_by_text("Accepted segment").wait_for(timeout=30_000)
        page.wait_for_timeout(1000)          # let the redraw after Accept settle before typing the missed bounds
        _set_number(add_start, 0.3)
        _set_number(add_end, 1.6)
        _wait_value(add_start, 0.3); _wait_value(add_end, 1.6)
        page.get_by_role("button", name="Add missed highlight").click()
        page.get_by_text("Added missed highlight 0.30–1.60 s (reviewer ada).").wait_for(timeout=30_000)
        _table(page, "what", "added")
        page.get_by_role("button", name="Mark video fully reviewed").click()
        page.get_by_text("Marked fully reviewed by").wait_for(timeout=30_000)
        rows = _table(page, "what", "fully reviewed")
        num = lambda s: float(s) if s else None
        mine = sorted((x["what"], x["decision"], num(x["start_s"]), num(x["end_s"]))
                      for x in rows if x["reviewer"] == "Ada (ada)")
        assert mine == [("added", "added", 0.3, 1.6), ("segment #1", "accept", segs.start_s[0], segs.end_s[0]),
                        ("whole video", "fully reviewed", None, None)], mine
        page.screenshot(path=str(data_dir.parent / "highlights-missed.png"))

        page.get_by_text("Evaluation", exact=True).first.click()
        page.get_by_role("button", name="Evaluate against the review labels").click()
        page.get_by_text("Evaluated 1 detector version(s) on 1 reviewed video(s).").wait_for(timeout=60_000)
        shown = _table(page, "average_precision", "0.5")
        page.screenshot(path=str(data_dir.parent / "highlights-missed-evaluation.png"))
        errors = list(page.console_errors)

    at05 = next(x for x in shown if float(x["tiou"]) == 0.5)
    assert float(at05["recall"]) < 1 and float(at05["recall"]) == 0.5      # 1 of ada's 2 highlights was detected
    st = store.default()
    assert highlights.added_segments(store=st)[["start_s", "end_s", "reviewer"]].values.tolist() == [[0.3, 1.6, "ada"]]
    m = highlights.evaluate(store=st)["metrics"]
    cols = ["tiou", "tp", "fp", "fn", "precision", "recall", "f1", "average_precision"]
    page_m = [[round(float(x[c]), 3) for c in cols] for x in shown]
    assert page_m == m[cols].astype(float).round(3).values.tolist()
    assert m.set_index("tiou").loc[0.5, ["tp", "fp", "fn"]].tolist() == [1, 1, 1]
    assert errors == []
