"""The `make run` start-up path end to end: `fireside-lab up` in a temporary data dir, the first run of every
pipeline succeeds, the first admin (its password generated and printed once by `up`) signs in and every
dashboard shows real content in headless Chromium; the admin creates a poll, a new voter account signs in and votes;
an API client with a token lists runs and submits one (and a signed request is accepted); the API docs page and the
documentation site under /docs/ (architecture page, a chapter) render; no console errors; then a clean shutdown with
no process left.

Screenshots of each dashboard are written to a temporary folder, or to `docs/screenshots/` (the README's tour) when
`FIRESIDE_UPDATE_SCREENSHOTS=1`.
"""
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest
import requests

from browser import browser_page, free_port, login

ROOT = Path(__file__).resolve().parent.parent
PIPELINES = ["pipelines/summarize_stories", "pipelines/market_analytics", "pipelines/detect_highlights",
             "pipelines/evaluate_highlights"]
VOTER_PASSWORD = "e2e voter password"


def _cli(env, *args, stdin=None):
    out = subprocess.run([str(Path(sys.executable).parent / "fireside-lab"), *args], env=env, input=stdin,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout + out.stderr


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
    env = dict(os.environ, FIRESIDE_DATA_DIR=str(tmp_path / "data"), PYTHONUNBUFFERED="1")
    env.pop("FIRESIDE_ADMIN_PASSWORD", None)      # as on a fresh machine: `up` generates it and prints it once
    shots = ROOT / "docs" / "screenshots" if os.environ.get("FIRESIDE_UPDATE_SCREENSHOTS") else tmp_path / "shots"
    shots.mkdir(parents=True, exist_ok=True)
    site = tmp_path / "site"          # the docs site (chapters as stored; `make docs` executes them too)
    built = subprocess.run([sys.executable, "tools/build_docs.py", "--no-execute", "--out", str(site)], cwd=ROOT,
                           capture_output=True, text=True, timeout=900)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    env["FIRESIDE_WEB_DOCS_DIR"] = str(site)
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
        shown = re.findall(r"account admin created; its password, shown this once: (\S+)",
                           (tmp_path / "up.log").read_text())
        assert len(shown) == 1, (tmp_path / "up.log").read_text()
        admin_password = shown[0]
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
            page.goto(f"{base}/login")
            page.locator("#username").wait_for(timeout=30000)
            page.screenshot(path=str(shots / "signin.png"))
            login(page, base, "admin", admin_password, "/")     # every dashboard wants a signed-in user
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

            # the admin creates a poll; a new voter account signs in (its own browser session) and votes
            page.goto(f"{base}/polls")
            page.get_by_placeholder("Question").fill("Favourite colour?")
            page.get_by_placeholder("One option per line").fill("red\ngreen\nblue")
            page.get_by_placeholder("poll id (optional").fill("colours")
            page.get_by_role("button", name="Create poll").click()
            page.get_by_text("Created poll").wait_for(timeout=30000)
            _cli(env, "users", "add", "vee", "--role", "viewer", "--display-name", "Vee", "--password-stdin",
                 stdin=VOTER_PASSWORD + "\n")
            for action in ("view", "run"):
                _cli(env, "grant", action, "poll:colours", "--user", "vee")
            voter = page.new_session()
            login(voter, base, "vee", VOTER_PASSWORD, "/polls?poll=colours")
            voter.get_by_text("Favourite colour?").first.wait_for(timeout=60000)
            voter.get_by_text("green", exact=True).first.click()
            voter.get_by_role("button", name="Vote").click()
            voter.get_by_text("Ballot of Vee counted.").wait_for(timeout=30000)
            assert voter.console_errors == []

            # an API client with a token lists the runs and submits one; a signed request is accepted too
            made = _cli(env, "tokens", "create", "admin", "--name", "e2e")
            token = re.search(r"^(fsl_\S+)$", made, re.M).group(1)                  # the token alone on its line
            key = re.search(r"signing key \(HMAC requests\): ([0-9a-f]+)", made).group(1)
            auth = {"Authorization": f"Bearer {token}"}
            listed = requests.get(f"{base}/api/v1/runs", headers=auth, timeout=30)
            assert listed.status_code == 200 and {r["task"] for r in listed.json()["runs"]} >= set(PIPELINES)
            sub = requests.post(f"{base}/api/v1/runs", headers=auth, json={"task": "markets.build_candles"}, timeout=30)
            assert sub.status_code == 201, sub.text
            rid, deadline = sub.json()["run_id"], time.time() + 300
            while (st := requests.get(f"{base}/api/v1/runs/{rid}", headers=auth, timeout=30).json()["status"]) \
                    not in ("succeeded", "failed") and time.time() < deadline:
                time.sleep(1)
            assert st == "succeeded", st
            from fireside_lab.identity.tokens import signature
            ts = str(int(time.time()))
            token_id = token.split("_")[1]
            signed = requests.get(f"{base}/api/v1/runs?limit=5", timeout=30, headers={
                "X-Fireside-Key": token_id, "X-Fireside-Timestamp": ts,
                "X-Fireside-Signature": signature(key, "GET", "/api/v1/runs?limit=5", ts)})
            assert signed.status_code == 200 and signed.json()["runs"], signed.text

            # the API docs page and the documentation site
            page.goto(f"{base}/api/v1/docs")
            page.get_by_text("/api/v1/runs").first.wait_for(timeout=30000)
            page.screenshot(path=str(shots / "api-docs.png"))
            page.goto(f"{base}/jobs")                                        # the shell's bar links the docs site
            page.locator("a[data-nav='docs']").first.click(timeout=60000)
            page.wait_for_url(f"{base}/docs/", timeout=30000)
            page.get_by_role("link", name="Architecture").first.wait_for(timeout=30000)
            page.goto(f"{base}/docs/architecture/")
            page.get_by_role("heading", name="The life of a run").first.wait_for(timeout=30000)
            page.screenshot(path=str(shots / "docs.png"))
            page.goto(f"{base}/docs/chapters/markets/13_live/")
            page.get_by_text("class TradeStream").first.wait_for(timeout=30000)
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
    assert log_text.count(admin_password) == 1          # printed once, at the first start; never logged again
