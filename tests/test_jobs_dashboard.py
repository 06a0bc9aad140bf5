"""The jobs dashboard in headless Chromium behind sign-in: a researcher sees a succeeded and a failed notebook run,
the failed one's traceback and its Retry / Cancel buttons; no console errors."""
import jobs_tasks  # noqa: F401
from browser import browser_page, fireside_server, login
from jobs_helpers import data_env, workers

from fireside_lab import jobs

PASSWORD = "a long password"


def test_dashboard_shows_runs_and_traceback(tmp_path):
    from fireside_lab.identity import add_user
    with data_env(tmp_path):
        with workers(1):
            ok = jobs.submit("pipelines/examples/hello", name="dashboard", n=2)
            bad = jobs.submit("pipelines/examples/fails")
            assert jobs.wait(ok, timeout=120)["status"] == "succeeded"
            assert jobs.wait(bad, timeout=120)["status"] == "failed"
        jobs.schedule_add("nightly-hello", "0 22 * * 6", "pipelines/examples/hello", {"n": 1})
        add_user("rita", "researcher", PASSWORD, display_name="Rita", actor="test")
        with fireside_server() as base, browser_page() as page:
            login(page, base, "rita", PASSWORD, f"/jobs?run={bad}")
            page.get_by_text("fireside-lab jobs").first.wait_for(timeout=60_000)
            page.locator("nav.fs-bar .fs-name").filter(has_text="Rita").wait_for(timeout=30_000)
            page.get_by_text(ok).first.wait_for(timeout=30_000)
            page.get_by_text(bad).first.wait_for(timeout=30_000)
            assert page.get_by_text("succeeded").count() >= 1 and page.get_by_text("failed").count() >= 1
            tb = page.locator("pre.run-traceback")
            tb.first.wait_for(timeout=30_000)
            assert "ZeroDivisionError" in tb.first.inner_text()
            assert "division by zero" in page.locator("pre.run-error").first.inner_text()
            # a researcher may change every run: the selected run's Retry and Cancel are shown
            page.get_by_role("button", name="Retry").wait_for(timeout=30_000)
            page.get_by_role("button", name="Cancel").wait_for(timeout=30_000)
            # the schedules tab: English description and the switch
            page.get_by_text("Schedules", exact=True).first.click()
            page.get_by_text("At 22:00, only on Saturday").first.wait_for(timeout=30_000)
            page.get_by_text("Workers", exact=True).first.click()
            page.get_by_text("last_heartbeat").first.wait_for(timeout=30_000)
            page.screenshot(path=str(tmp_path / "jobs-dashboard.png"), full_page=True)
            assert page.console_errors == []
