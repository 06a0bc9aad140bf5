"""The documentation site: built from the project (README home page, architecture page, settings, HTTP API, every
chapter, the pipelines, an API reference), served by the workbench's server under /docs/, searchable offline."""
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from browser import browser_page, fireside_server

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    "The site, built once for this module (chapters as stored: `make docs` also executes them)."
    out = tmp_path_factory.mktemp("site")
    r = subprocess.run([sys.executable, "tools/build_docs.py", "--no-execute", "--out", str(out)], cwd=ROOT,
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return out


def test_site_has_every_part(site):
    chapters = sorted(p.relative_to(ROOT / "nbs").with_suffix("") for p in (ROOT / "nbs").rglob("*.ipynb")
                      if ".ipynb_checkpoints" not in p.parts)
    for ch in chapters:
        assert (site / "chapters" / ch / "index.html").exists(), ch
    assert "TradeStream" in (site / "reference" / "fireside_lab.markets.live" / "index.html").read_text()
    assert "/api/v1/runs/{run_id}/events" in (site / "http-api" / "index.html").read_text()
    assert "FIRESIDE_MARKETS_STREAM_BATCH_S" in (site / "settings" / "index.html").read_text()
    assert (site / "search" / "search_index.json").stat().st_size > 100_000
    for page in site.rglob("*.html"):                   # offline: nothing is fetched from another host
        text = page.read_text()
        assert "fonts.googleapis.com" not in text and "cdn.jsdelivr" not in text, page


def test_docs_served_under_docs_and_searchable(site, data_dir):
    with fireside_server(env={"FIRESIDE_WEB_DOCS_DIR": str(site)}) as base:
        assert requests.get(f"{base}/docs/openapi.json", timeout=10).json()["openapi"] == "3.1.0"
        with browser_page() as page:
            page.goto(f"{base}/docs/")
            page.get_by_text("A Jupyter-first research workbench").first.wait_for(timeout=30_000)
            page.goto(f"{base}/docs/architecture/")
            page.get_by_role("heading", name="The life of a run").first.wait_for(timeout=30_000)
            page.goto(f"{base}/docs/chapters/markets/13_live/")
            page.get_by_text("class TradeStream").first.wait_for(timeout=30_000)
            page.locator("label.md-search__icon, .md-search__input").first.click()
            page.locator("input.md-search__input").fill("ducklake snapshot")
            page.locator(".md-search-result__item").first.wait_for(timeout=30_000)     # lunr, in the page
            assert page.locator(".md-search-result__item").count() > 0
            assert page.console_errors == [], page.console_errors
