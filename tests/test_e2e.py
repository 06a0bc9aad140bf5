"""The `make run` start-up path end to end: `fireside-lab up` in a temporary data dir, the first run of every
pipeline succeeds, the first admin (password from `FIRESIDE_ADMIN_PASSWORD`, never echoed) signs in and every
dashboard shows real content in headless Chromium, then a clean shutdown.

Screenshots of each dashboard are written to a temporary folder, or to `docs/screenshots/` (the README's tour) when
`FIRESIDE_UPDATE_SCREENSHOTS=1`.
"""
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from browser import browser_page, free_port, login

ROOT = Path(__file__).resolve().parent.parent
PIPELINES = ["pipelines/summarize_stories", "pipelines/market_analytics", "pipelines/detect_highlights",
             "pipelines/evaluate_highlights"]
ADMIN_PASSWORD = "e2e admin password"


def _runs(env):
    code = ("import json; from fireside_lab import jobs; "
            "print(jobs.runs(limit=100)[['task','status','error']].to_json(orient='records'))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def _summary(env, story_id="macbeth"):
    code = ("from fireside_lab import stories; df = stories.summaries(); "
            f"print(df[df.story_id == {story_id!r}].running_summary.iloc[0])")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


@pytest.mark.timeout(1800)
def test_make_run_end_to_end(tmp_path):
    port = free_port()
    env = dict(os.environ, FIRESIDE_DATA_DIR=str(tmp_path / "data"), PYTHONUNBUFFERED="1",
               FIRESIDE_ADMIN_PASSWORD=ADMIN_PASSWORD)
    shots = ROOT / "docs" / "screenshots" if os.environ.get("FIRESIDE_UPDATE_SCREENSHOTS") else tmp_path / "shots"
    shots.mkdir(parents=True, exist_ok=True)
    log = open(tmp_path / "up.log", "w")
    up = subprocess.Popen([str(Path(sys.executable).parent / "fireside-lab"), "up", "--port", str(port)], env=env,
                          cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        t0 = time.time()
        while True:
            assert up.poll() is None, (tmp_path / "up.log").read_text()
            try:
                urllib.request.urlopen(base + "/liveness", timeout=2)
                break
            except Exception:
                assert time.time() - t0 < 600, "the dashboards did not come up"
                time.sleep(1)
        # the first run of each pipeline succeeds
        t0 = time.time()
        while True:
            runs = _runs(env)
            by_task = {t: [r for r in runs if r["task"] == t] for t in PIPELINES}
            failed = [r for rs in by_task.values() for r in rs if r["status"] in ("failed", "cancelled")]
            assert not failed, failed
            if all(rs and rs[-1]["status"] == "succeeded" for rs in by_task.values()):
                break
            assert time.time() - t0 < 1500, by_task
            time.sleep(5)
        summary = _summary(env)
        assert len(summary) > 20, summary

        descendants = psutil.Process(up.pid).children(recursive=True)
        with browser_page() as page:
            login(page, base, "admin", ADMIN_PASSWORD, "/")     # every dashboard wants a signed-in user
            def visit(slug, *texts, wait_ms=1500):
                page.goto(f"{base}/{slug}")
                for t in texts:  # the first *visible* match (a hidden <option> of a filter may match first)
                    page.get_by_text(t, exact=False).locator("visible=true").first.wait_for(timeout=60000)
                page.wait_for_timeout(wait_ms)
                page.screenshot(path=str(shots / f"{slug or 'index'}.png"))
            visit("", "fireside-lab", "Jobs", "Polls", "Markets", "Feeds")
            visit("jobs", "pipelines/summarize_stories", "succeeded")
            visit("polls", "anes96-pid")
            page.goto(f"{base}/polls?poll=anes96-pid")
            page.get_by_text("944", exact=False).locator("visible=true").first.wait_for(timeout=60000)
            page.wait_for_timeout(1500)
            page.screenshot(path=str(shots / "polls-report.png"))
            visit("markets", "XRP/ETH")
            visit("highlights", "start_s", "pending")          # the selected clip's detected segments, awaiting review
            clips = page.locator("select option").all_inner_texts()
            assert any(c.startswith("bigbuckbunny") and "segment" in c and not c.startswith("bigbuckbunny — 0") for c in clips), clips
            visit("feeds", "For you")
            visit("stories", "Macbeth", summary[:30])
            assert page.console_errors == []
    finally:
        if up.poll() is None:
            up.send_signal(signal.SIGINT)
        try:
            up.wait(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(up.pid, signal.SIGKILL)
            raise
        log.close()
    assert up.returncode == 0, (tmp_path / "up.log").read_text()
    time.sleep(1)
    left = [p for p in descendants if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert left == [], [(p.pid, p.cmdline()) for p in left]
    log_text = (tmp_path / "up.log").read_text()
    assert "stopped" in log_text
    assert "account admin created with FIRESIDE_ADMIN_PASSWORD" in log_text and ADMIN_PASSWORD not in log_text
